"""A dead or dying store, a failing database write, and the tools that put things right."""

from __future__ import annotations

import io
import os
import socket
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from minio import Minio

from backend.audit.models import AuditEvent
from backend.documents.store import object_store
from backend.documents import services
from backend.documents.models import Document, DocumentVersion
from storage.errors import StoreUnavailable
from tests import factories
from tests.fixtures.clients import api_client as client_for

pytestmark = [pytest.mark.django_db, pytest.mark.s3]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def rep():
    return factories.UserFactory(username="rep")


def test_a_dead_store_gives_503_with_a_clear_message_and_writes_no_rows(rep, settings):
    # given the store URL points at a port where nothing listens
    settings.STORAGE_URL = f"s3://key:secret@127.0.0.1:{_closed_port()}/docs?secure=0"

    # when a document is created
    response = client_for(rep).post(
        "/api/documents/",
        {"title": "Tender 2026", "kind": "bid", "file": SimpleUploadedFile("t.pdf", factories.pdf_bytes())},
        format="multipart",
    )

    # then 503 says the store is down, and there is no document, version or "created" event
    assert response.status_code == 503
    assert response.json()["code"] == "store_unavailable"
    assert "unavailable" in response.json()["detail"]
    assert Document.objects.count() == 0
    assert DocumentVersion.objects.count() == 0
    assert not AuditEvent.objects.filter(event_type="document.created").exists()


class _KillingStream:
    """A PDF-looking stream that kills the S3 server once `after` bytes have been read."""

    def __init__(self, total: int, after: int, kill):
        self.total, self.after, self.kill = total, after, kill
        self.sent = 0
        self.killed = False

    def read(self, size: int = -1) -> bytes:
        if self.sent >= self.total:
            return b""
        if self.sent >= self.after and not self.killed:
            self.killed = True
            self.kill()
        size = min(size if size and size > 0 else 1 << 20, self.total - self.sent)
        head = factories.PDF_BYTES if self.sent == 0 else b""
        chunk = (head + os.urandom(size))[:size]
        self.sent += len(chunk)
        return chunk


def test_the_store_dying_mid_upload_leaves_no_row_and_no_object(rep, settings, s3_server_factory):
    # given a throwaway S3 server holding an existing document
    server = s3_server_factory()
    bucket = f"dying-{uuid.uuid4().hex[:8]}"
    settings.STORAGE_URL = server.url_for_bucket(bucket)
    document = factories.document(rep)
    keys_before = {info.key for info in object_store().iter_objects("")}

    # when the server is killed 20 MiB into a 60 MiB upload
    stream = _KillingStream(total=60 << 20, after=20 << 20, kill=server.stop)
    source = services.UploadSource(stream=stream, filename="big.pdf", declared_size=None)
    with pytest.raises(StoreUnavailable):
        services.document_version_create(actor=rep, document=document, upload=source)

    # then no version row was written, and once the server is back nothing half-written remains
    assert document.versions.count() == 1
    server.start()
    keys_after = {info.key for info in object_store().iter_objects("")}
    assert keys_after == keys_before
    assert list(object_store().iter_incomplete_uploads()) == []


def _make_version_inserts_fail():
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE FUNCTION dossier_test_refuse() RETURNS trigger AS $$ "
                "BEGIN RAISE EXCEPTION 'injected failure'; END $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                "CREATE TRIGGER dossier_test_refuse BEFORE INSERT ON documents_documentversion "
                "FOR EACH ROW EXECUTE FUNCTION dossier_test_refuse()"
            )
    else:
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TRIGGER dossier_test_refuse BEFORE INSERT ON documents_documentversion "
                "BEGIN SELECT RAISE(ABORT, 'injected failure'); END"
            )


def test_a_failed_row_write_leaves_an_orphan_that_fsck_reports_and_gc_removes(rep, capsys):
    # given an existing document, and the database refusing new version rows (a real trigger)
    document = factories.document(rep)
    _make_version_inserts_fail()

    # when a new version is uploaded, the bytes land but the row does not
    content = factories.pdf_bytes("orphan-to-be")
    with pytest.raises(Exception, match="injected failure"):
        services.document_version_create(actor=rep, document=document, upload=factories.upload_source(content))
    orphan = [i.key for i in object_store().iter_objects("sha256/") if i.key != document.valid_version.object_key]
    assert len(orphan) == 1

    # then fsck names the orphan and fails
    with pytest.raises(CommandError, match="1 orphan"):
        call_command("storage_fsck")
    assert f"ORPHAN   {orphan[0]}" in capsys.readouterr().out

    # when gc runs with no grace period
    call_command("storage_gc", "--grace-seconds", "0")

    # then the orphan is gone and the referenced object is not
    store = object_store()
    assert not store.exists(orphan[0])
    assert store.exists(document.valid_version.object_key)
    call_command("storage_fsck")


def test_gc_aborts_unfinished_multipart_uploads_a_crash_left_behind(rep, capsys):
    # given a multipart upload that was started and never finished (a crashed process)
    store = object_store()
    store.client.create_multipart(store.bucket, "sha256/00/00/crashed", {})
    assert [u.key for u in store.iter_incomplete_uploads()] == ["sha256/00/00/crashed"]

    # when gc runs with no grace period
    call_command("storage_gc", "--grace-seconds", "0")

    # then the unfinished upload is aborted
    assert list(store.iter_incomplete_uploads()) == []
    assert "aborted unfinished upload of sha256/00/00/crashed" in capsys.readouterr().out


def test_gc_respects_the_grace_period(rep):
    # given an object that nothing references, written just now
    store = object_store()
    stored = store.put_stream(io.BytesIO(factories.pdf_bytes("fresh-orphan")))

    # when gc runs with the default grace period
    call_command("storage_gc")

    # then the young orphan stays (its row may still be committing)
    assert store.exists(stored.key)


def test_fsck_reports_missing_and_corrupt_objects(rep, s3_server, settings, capsys):
    # given two documents; one object deleted and one overwritten behind Dossier's back
    missing_doc = factories.document(rep, content=factories.pdf_bytes("will-vanish"))
    corrupt_doc = factories.document(rep, content=factories.pdf_bytes("will-rot"))
    bucket = settings.STORAGE_URL.split("/")[3].split("?")[0]
    raw = Minio(s3_server.endpoint, access_key=s3_server.access_key, secret_key=s3_server.secret_key, secure=False)
    raw.remove_object(bucket, missing_doc.valid_version.object_key)
    rotten = b"%PDF-1.4 rotten bytes, same length?"[: corrupt_doc.valid_version.size].ljust(
        corrupt_doc.valid_version.size, b"!"
    )
    raw.put_object(bucket, corrupt_doc.valid_version.object_key, io.BytesIO(rotten), len(rotten))

    # when fsck runs
    with pytest.raises(CommandError, match="1 missing, 1 corrupt"):
        call_command("storage_fsck")

    # then it names both
    out = capsys.readouterr().out
    assert f"MISSING  {missing_doc.valid_version.object_key}" in out
    assert f"CORRUPT  {corrupt_doc.valid_version.object_key}" in out

