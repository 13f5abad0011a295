"""manage.py dossier_backup / dossier_restore on the real servers: PostgreSQL (pg_dump/pg_restore from Debian's
binaries), the S3 test server (weed mini) for the document store and the backups, a tantivy index.

Backups read committed data through their own snapshot, so these tests commit (transactional tests)."""

from __future__ import annotations

import io
import json
import uuid

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from backend.audit.checkpoints import checkpoints_read
from backend.audit.models import AuditEvent
from backend.documents.models import Document, DocumentVersion
from backend.documents.store import object_store
from backend.documents.services import document_version_create
from tests import factories
from tests.fixtures.clients import api_client
from tests.indexing.helpers import engine_hits

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.s3, pytest.mark.timeout(300)]


def run(*args) -> tuple[str, str]:
    """The command as manage.py runs it (system checks included), its stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err, skip_checks=False)
    return out.getvalue(), err.getvalue()


def seed_stack():
    """Two users' documents: distinct files, one file shared by two documents, a second version."""
    owner = factories.UserFactory(username="backup-owner")
    other = factories.UserFactory(username="backup-other")
    files = {f"Tender {i}": f"tender dossier backupword{i} {uuid.uuid4().hex}".encode() for i in range(5)}
    documents = {title: factories.document(owner, title=title, content=content, filename="tender.txt")
                 for title, content in files.items()}
    shared = b"the same bytes twice " + uuid.uuid4().hex.encode()
    files["Copy A"] = files["Copy B"] = shared
    documents["Copy A"] = factories.document(owner, title="Copy A", content=shared, filename="copy.txt")
    documents["Copy B"] = factories.document(other, title="Copy B", content=shared, filename="copy.txt")
    files["Tender 0"] = b"tender dossier backupword0, second edition " + uuid.uuid4().hex.encode()
    document_version_create(actor=owner, document=documents["Tender 0"],
                            upload=factories.upload_source(files["Tender 0"], "tender.txt"))
    return owner, other, documents, files


def wipe_stack(settings, s3_server, tmp_path) -> None:
    """A new, empty stack: no tables, an empty bucket, an empty index and no audit checkpoints."""
    with connection.cursor() as cursor:
        cursor.execute("DROP SCHEMA public CASCADE")
        cursor.execute("CREATE SCHEMA public")
    settings.STORAGE_URL = s3_server.url_for_bucket(f"t-wiped-{uuid.uuid4().hex[:12]}")
    settings.SEARCH_URL = f"tantivy://{tmp_path / 'search-after-restore'}"
    settings.AUDIT_CHECKPOINT_URL = f"file://{tmp_path / 'checkpoints-after-restore'}"


@pytest.fixture
def schema_kept():
    """Whatever a failing test leaves, the next test finds the tables (the wipe drops them)."""
    yield
    if "audit_auditevent" not in connection.introspection.table_names():
        call_command("migrate", verbosity=0)


def test_a_seeded_stack_backed_up_to_s3_wiped_and_restored_comes_back_whole(settings, s3_server, tmp_path,
                                                                             schema_kept):
    # given a seeded stack on PostgreSQL and S3, with a signed audit checkpoint and events after it
    owner, other, documents, files = seed_stack()
    run("audit_verify")
    checkpoint = checkpoints_read().newest
    factories.document(owner, title="After the checkpoint", content=b"late " + uuid.uuid4().hex.encode(),
                       filename="late.txt")
    events_before = AuditEvent.objects.count()
    versions_before = sorted(DocumentVersion.objects.values_list("object_key", "sha256", "size"))
    dest = s3_server.url_for_bucket(f"backups-{uuid.uuid4().hex[:12]}")

    # when it is backed up to an s3:// destination
    out, err = run("dossier_backup", dest)

    # then the backup says what it wrote, with progress on the way, and names no credentials
    assert "Backup " in out and "8 objects (8 copied, 0 already there" in out, out
    assert "objects 8/8 (100%)" in err and s3_server.secret_key not in out + err
    recorded = AuditEvent.objects.filter(event_type="ops.backup.created").get()
    assert recorded.detail["objects"] == 8 and s3_server.secret_key not in recorded.target_label

    # when the stack is wiped and the backup restored onto the empty stack
    wipe_stack(settings, s3_server, tmp_path)
    out, _ = run("dossier_restore", dest)
    assert "8 objects (8 copied, 0 already there)" in out, out

    # then the database is back, the restore is the trail's next event
    assert sorted(DocumentVersion.objects.values_list("object_key", "sha256", "size")) == versions_before
    assert AuditEvent.objects.count() == events_before + 1  # the restore (the backup records its event after its snapshot)
    assert AuditEvent.objects.order_by("-id").first().event_type == "ops.backup.restored"
    # storage_fsck is clean
    out, _ = run("storage_fsck")
    assert "checked 8 objects: 0 missing, 0 corrupt, 0 orphan" in out
    # the backed-up checkpoint is where the stack keeps checkpoints, and audit_verify passes against it
    assert checkpoints_read().newest == checkpoint
    out, _ = run("audit_verify")
    assert out.startswith("OK:") and "checkpoint" in out, out
    # search_reindex rebuilds the (empty) index from the restored database
    out, _ = run("search_reindex", "--clear", "--no-progress")
    assert "of 8 documents" in out, out
    from indexing.engine import search_backend

    assert engine_hits(search_backend(), owner, "backupword3") == {documents["Tender 3"].pk}
    # and a sample of documents downloads byte-identical
    for title in ("Tender 0", "Tender 4", "Copy B"):
        document = Document.objects.get(pk=documents[title].pk)
        reader = owner if document.owner_id == owner.pk else other
        response = api_client(reader).get(f"/api/documents/{document.pk}/download/")
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == files[title]


def test_restore_refuses_a_stack_that_holds_data_unless_forced(settings, s3_server, tmp_path, schema_kept):
    # given a backup of one document, and then another document written after it
    owner = factories.UserFactory(username="refusal-owner")
    kept = factories.document(owner, title="In the backup", content=b"kept " + uuid.uuid4().hex.encode(),
                              filename="kept.txt")
    run("dossier_backup", str(tmp_path / "backups"), "--no-progress")
    later = factories.document(owner, title="After the backup", content=b"later " + uuid.uuid4().hex.encode(),
                               filename="later.txt")

    # when it is restored onto this stack, which is not empty
    with pytest.raises(CommandError) as refused:
        run("dossier_restore", str(tmp_path / "backups"))

    # then it is refused, saying what is there, and nothing changed
    assert "not empty" in str(refused.value) and "--force" in str(refused.value)
    assert "documents in the database" in str(refused.value)
    assert set(Document.objects.values_list("pk", flat=True)) == {kept.pk, later.pk}
    assert not AuditEvent.objects.filter(event_type="ops.backup.restored").exists()

    # when it is forced
    run("dossier_restore", str(tmp_path / "backups"), "--force", "--no-progress")

    # then the stack is the backup's: the later document is gone, the kept one downloads
    assert list(Document.objects.values_list("pk", flat=True)) == [kept.pk]
    restored = AuditEvent.objects.filter(event_type="ops.backup.restored").get()
    assert restored.detail["forced"] is True
    # the later document's object is now an orphan in the store, as storage_fsck says (storage_gc sweeps it)
    with pytest.raises(CommandError, match="1 orphan"):
        run("storage_fsck")


def test_a_second_backup_copies_only_the_new_objects(tmp_path):
    # given a stack with three documents, backed up once into a directory
    owner = factories.UserFactory(username="incremental-owner")
    for i in range(3):
        factories.document(owner, title=f"Doc {i}", content=f"incremental {i} {uuid.uuid4().hex}".encode(),
                           filename="doc.txt")
    dest = tmp_path / "backups"
    first, _ = run("dossier_backup", str(dest), "--no-progress")
    assert "3 objects (3 copied, 0 already there" in first, first

    # when one more document is added and the stack is backed up again
    factories.document(owner, title="Doc 3", content=b"incremental new " + uuid.uuid4().hex.encode(),
                       filename="doc.txt")
    second, _ = run("dossier_backup", str(dest), "--no-progress")

    # then only the new object is copied, and both backups are complete, each with its own manifest
    assert "4 objects (1 copied, 3 already there" in second, second
    manifests = sorted(dest.glob("backups/*/manifest.json"))
    assert len(manifests) == 2
    newest = json.loads(manifests[-1].read_text())
    assert newest["objects"]["count"] == 4 and newest["database"]["vendor"] == "postgresql"
    assert len(list((dest / "objects").rglob("*"))) - len([p for p in (dest / "objects").rglob("*") if p.is_dir()]) == 4


def test_a_corrupt_object_fails_the_backup_and_writes_no_manifest(tmp_path, s3_server, settings):
    # given a document whose stored bytes were changed behind the store's back
    owner = factories.UserFactory(username="corrupt-owner")
    doc = factories.document(owner, title="Changed", content=b"original " + uuid.uuid4().hex.encode(),
                             filename="c.txt")
    version = doc.versions.get()
    bucket = settings.STORAGE_URL.split("/")[-1].split("?")[0]
    s3_server.raw_client().put_object(bucket, version.object_key, io.BytesIO(b"x" * version.size), version.size)

    # when it is backed up
    with pytest.raises(CommandError, match="failed"):
        run("dossier_backup", str(tmp_path / "backups"), "--no-progress")

    # then no complete backup exists (a restore would find none) and the bad copy was not kept
    assert not list((tmp_path / "backups").glob("backups/*/manifest.json"))
    assert not list((tmp_path / "backups").glob("objects/**/" + version.sha256))
    with pytest.raises(CommandError, match="no complete backup"):
        run("dossier_restore", str(tmp_path / "backups"))


def test_on_a_versioned_bucket_a_backup_notes_version_ids_and_restore_brings_deleted_objects_back(
        settings, s3_server, tmp_path, schema_kept):
    from minio.commonconfig import ENABLED
    from minio.versioningconfig import VersioningConfig

    # given documents on a versioned S3 bucket
    bucket = settings.STORAGE_URL.split("/")[-1].split("?")[0]
    client = s3_server.raw_client()
    client.make_bucket(bucket)
    client.set_bucket_versioning(bucket, VersioningConfig(ENABLED))
    owner = factories.UserFactory(username="versions-owner")
    files = {f"Kept {i}": f"versioned {i} {uuid.uuid4().hex}".encode() for i in range(2)}
    documents = {title: factories.document(owner, title=title, content=content, filename="v.txt")
                 for title, content in files.items()}
    # and one object written a second time (an older version of it stays in the bucket)
    rewritten = documents["Kept 0"].versions.get().object_key
    client.put_object(bucket, rewritten, io.BytesIO(files["Kept 0"]), len(files["Kept 0"]))

    # when it is backed up noting version ids only
    out, _ = run("dossier_backup", str(tmp_path / "backups"), "--objects", "versions", "--no-progress")

    # then no bytes were copied, and each object's version id is listed
    assert "2 objects (0 copied" in out, out
    assert not (tmp_path / "backups" / "objects").exists()
    [listing] = (tmp_path / "backups").glob("backups/*/objects.jsonl")
    noted = {entry["key"]: entry["version_id"] for entry in map(json.loads, listing.read_text().splitlines())}
    assert noted == {key: client.stat_object(bucket, key).version_id for key in noted}  # the current ones

    # when the database is wiped and the objects deleted (the bucket keeps their versions), then restored
    with connection.cursor() as cursor:
        cursor.execute("DROP SCHEMA public CASCADE")
        cursor.execute("CREATE SCHEMA public")
    for key in [json.loads(line)["key"] for line in listing.read_text().splitlines()]:
        object_store().delete(key)
    run("dossier_restore", str(tmp_path / "backups"), "--no-progress")

    # then the objects are current again and download byte-identical
    out, _ = run("storage_fsck")
    assert "checked 2 objects: 0 missing, 0 corrupt, 0 orphan" in out
    for title, content in files.items():
        response = api_client(owner).get(f"/api/documents/{documents[title].pk}/download/")
        assert b"".join(response.streaming_content) == content


def test_sqlite_online_backup_copies_the_database_and_lists_its_referenced_objects(tmp_path):
    import sqlite3

    from backend.documents.integrity import object_references
    from backend.ops.backup import ObjectEntry, sqlite_online_backup, sqlite_restore

    # given a SQLite database holding the tables that reference objects, one key referenced twice
    live = sqlite3.connect(tmp_path / "live.sqlite3")
    for references in object_references():
        meta = references.model._meta
        live.execute(f'CREATE TABLE "{meta.db_table}" (object_key TEXT, sha256 TEXT, size INTEGER)')
    tables = [r.model._meta.db_table for r in object_references()]
    live.execute(f'INSERT INTO "{tables[0]}" VALUES (?, ?, ?), (?, ?, ?)',
                 ["sha256/aa/bb/" + "a" * 64, "a" * 64, 10, "sha256/bb/cc/" + "b" * 64, "b" * 64, 20])
    live.execute(f'INSERT INTO "{tables[-1]}" VALUES (?, ?, ?)', ["sha256/aa/bb/" + "a" * 64, "a" * 64, 10])
    live.commit()

    # when it is backed up online (the connection stays open, as the app's does)
    entries = sqlite_online_backup(live, tmp_path / "backup.sqlite3")

    # then each referenced object is listed once, and the copy holds the rows
    assert entries == [ObjectEntry("sha256/aa/bb/" + "a" * 64, "a" * 64, 10),
                       ObjectEntry("sha256/bb/cc/" + "b" * 64, "b" * 64, 20)]
    # and restoring it over an emptied database brings the rows back
    live.execute(f'DELETE FROM "{tables[0]}"')
    live.commit()
    live.close()
    sqlite_restore(tmp_path / "backup.sqlite3", str(tmp_path / "live.sqlite3"))
    restored = sqlite3.connect(tmp_path / "live.sqlite3")
    assert restored.execute(f'SELECT count(*) FROM "{tables[0]}"').fetchone() == (2,)
    restored.close()


def test_a_destination_that_does_not_answer_fails_the_backup_with_a_message_and_no_audit_event():
    from tests.fixtures.processes import free_port

    # given an s3:// destination where nothing listens
    dest = f"s3://KEY:SECRET@127.0.0.1:{free_port()}/backups?secure=0"

    # when the stack is backed up there
    with pytest.raises(CommandError) as failed:
        run("dossier_backup", dest, "--no-progress")

    # then the command says so (without the credentials), and no backup is recorded
    assert "backup to s3://127.0.0.1:" in str(failed.value) and "SECRET" not in str(failed.value)
    assert not AuditEvent.objects.filter(event_type="ops.backup.created").exists()


def test_check_reads_a_backup_through_and_names_a_missing_or_changed_object(tmp_path):
    # given a directory backup of three documents
    owner = factories.UserFactory(username="check-owner")
    for i in range(3):
        factories.document(owner, title=f"Checked {i}", content=f"checked {i} {uuid.uuid4().hex}".encode(),
                           filename="c.txt")
    dest = tmp_path / "backups"
    run("dossier_backup", str(dest), "--no-progress")
    out, _ = run("dossier_restore", str(dest), "--check", "--no-progress")
    assert "checked the database and 3 objects: 0 missing, 0 corrupt" in out, out

    # when one object's copy is changed and another's deleted
    first, second, _ = sorted(p for p in (dest / "objects").rglob("*") if p.is_file())
    first.write_bytes(b"changed on the backup disk")
    second.unlink()

    # then the check names both and fails, and nothing of the stack was touched
    with pytest.raises(CommandError, match="1 missing, 1 corrupt"):
        run("dossier_restore", str(dest), "--check", "--no-progress")
    assert Document.objects.count() == 3
    assert not AuditEvent.objects.filter(event_type="ops.backup.restored").exists()


def test_keep_prunes_older_backups_and_the_objects_only_they_listed(tmp_path):
    # given a backup of a document that is then removed, and a later document
    owner = factories.UserFactory(username="prune-owner")
    gone = factories.document(owner, title="Gone", content=b"gone " + uuid.uuid4().hex.encode(), filename="g.txt")
    gone_key = gone.versions.get().object_key
    dest = tmp_path / "backups"
    run("dossier_backup", str(dest), "--no-progress")
    Document.objects.filter(pk=gone.pk).delete()
    factories.document(owner, title="Stays", content=b"stays " + uuid.uuid4().hex.encode(), filename="s.txt")
    run("dossier_backup", str(dest), "--no-progress")

    # when a third backup keeps only the newest two
    out, _ = run("dossier_backup", str(dest), "--no-progress", "--keep", "2")

    # then the oldest backup is gone, and with it the object only it listed; the kept ones restore-check clean
    assert "removed 1 older backups and 1 objects" in out, out
    assert len(list(dest.glob("backups/*/manifest.json"))) == 2
    assert not (dest / "objects" / gone_key).exists()
    out, _ = run("dossier_restore", str(dest), "--check", "--no-progress")
    assert "0 missing, 0 corrupt" in out


def test_a_restore_that_cannot_bring_an_object_back_says_how_far_it_got_and_how_to_go_on(settings, s3_server,
                                                                                          tmp_path, schema_kept):
    # given a directory backup of two documents, one of whose object copies was lost from the backup disk
    owner = factories.UserFactory(username="partial-owner")
    for i in range(2):
        factories.document(owner, title=f"Part {i}", content=f"part {i} {uuid.uuid4().hex}".encode(),
                           filename="p.txt")
    dest = tmp_path / "backups"
    run("dossier_backup", str(dest), "--no-progress")
    next(p for p in (dest / "objects").rglob("*") if p.is_file()).unlink()

    # when it is restored onto a stack with an empty store
    settings.STORAGE_URL = s3_server.url_for_bucket(f"t-partial-{uuid.uuid4().hex[:12]}")
    with pytest.raises(CommandError) as failed:
        run("dossier_restore", str(dest), "--force", "--no-progress")

    # then it says the database is back, how many objects are, and to run it again with --force
    message = str(failed.value)
    assert "the database is restored, but " in message and " of 2 objects are back" in message, message
    assert Document.objects.count() == 2
    assert "again with --force" in message
