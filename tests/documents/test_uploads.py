"""Uploading: types sniffed from content, size limits, file names, raw streaming, digests, idempotency."""

from __future__ import annotations

import base64
import hashlib
import io
from pathlib import Path

import docx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from backend.audit.models import AuditEvent
from backend.documents.store import object_store
from backend.documents.models import Document, DocumentVersion
from tests import factories
from tests.fixtures.clients import api_client as client_for

pytestmark = [pytest.mark.django_db, pytest.mark.s3]


def _docx_bytes(text: str) -> bytes:
    document = docx.Document()
    document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _stored_keys() -> list[str]:
    return [info.key for info in object_store().iter_objects("")]


@pytest.fixture
def rep():
    return factories.UserFactory(username="rep")


def _create(client, content: bytes, filename: str, **extra):
    data = {"title": "Supply contract", "kind": "contract", "classification": "internal",
            "file": SimpleUploadedFile(filename, content), **extra}
    return client.post("/api/documents/", data, format="multipart")


def test_multipart_create_stores_the_first_version_and_keeps_both_file_names(rep):
    # given a DOCX whose name has Chinese characters and a path part (Django's parser drops the path)
    content = _docx_bytes("供货合同 Supply contract")

    # when the rep creates a document with it
    response = _create(client_for(rep), content, "..\\合同/供货合同 v1.docx", tags="supply, 2026")

    # then the document has version 1 with the sniffed type, the digest, a safe and an original name
    assert response.status_code == 201, response.content
    body = response.json()
    version = body["valid_version"]
    assert version["number"] == 1
    assert version["mime_type"] == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert version["sha256"] == hashlib.sha256(content).hexdigest()
    assert version["filename"] == "供货合同 v1.docx"
    stored = DocumentVersion.objects.get(document_id=body["id"])
    assert stored.filename == "供货合同 v1.docx"
    assert body["tags"] == ["2026", "supply"]
    assert f"sha256/{stored.sha256[:2]}/{stored.sha256[2:4]}/{stored.sha256}" in _stored_keys()


def test_an_executable_renamed_pdf_is_refused_with_415_naming_the_detected_type(rep):
    # given an ELF binary named like a PDF
    content = Path("/bin/true").read_bytes()

    # when it is uploaded
    response = _create(client_for(rep), content, "quote.pdf")

    # then 415 names what was detected, and nothing is written anywhere
    assert response.status_code == 415
    assert "application/x-" in response.json()["detail"]
    assert response.json()["code"] == "unsupported_type"
    assert Document.objects.count() == 0
    assert _stored_keys() == []


def test_the_allowlist_is_configurable(rep, settings):
    # given an allowlist without PDF
    settings.UPLOAD_ALLOWED_TYPES = ["text/plain"]

    # when a PDF is uploaded
    response = _create(client_for(rep), factories.pdf_bytes(), "a.pdf")

    # then it is refused
    assert response.status_code == 415
    assert "PDF" in response.json()["detail"]


def test_over_the_size_limit_is_413_and_leaves_nothing(rep, settings):
    # given a 64 KiB limit
    settings.UPLOAD_MAX_BYTES = 64 * 1024
    content = factories.pdf_bytes() + b"0" * (200 * 1024)

    # when a larger file is sent as multipart and as a raw body
    multipart = _create(client_for(rep), content, "big.pdf")
    raw = client_for(rep).generic(
        "POST", "/api/documents/?title=Big&kind=other", content, content_type="application/pdf"
    )

    # then both are 413 and nothing is stored
    assert multipart.status_code == 413
    assert raw.status_code == 413
    assert "limit" in multipart.json()["detail"]
    assert Document.objects.count() == 0
    assert _stored_keys() == []


def test_a_lying_content_length_cannot_sneak_past_the_limit(rep, settings):
    # given a small limit and a raw body
    settings.UPLOAD_MAX_BYTES = 64 * 1024
    document = factories.document(rep)
    content = factories.pdf_bytes() + b"1" * (100 * 1024)

    # when the stream is larger than the limit (the store counts while streaming)
    from backend.documents.services import UploadSource, document_version_create

    source = UploadSource(stream=io.BytesIO(content), filename="x.pdf", declared_size=None)
    from backend.common.errors import FileTooLarge

    with pytest.raises(FileTooLarge):
        document_version_create(actor=rep, document=document, upload=source)

    # then no version was added and only version 1's object exists
    assert document.versions.count() == 1
    assert len(_stored_keys()) == 1


def test_raw_body_upload_streams_with_the_name_from_content_disposition(rep):
    # given an existing document and a raw PDF body
    document = factories.document(rep)
    content = factories.pdf_bytes("raw")

    # when a new version is sent as the body with an RFC 5987 file name and a matching digest
    digest = base64.b64encode(hashlib.sha256(content).digest()).decode()
    response = client_for(rep).generic(
        "POST",
        f"/api/documents/{document.pk}/versions/?comment=signed",
        content,
        content_type="application/octet-stream",
        HTTP_CONTENT_DISPOSITION="attachment; filename*=UTF-8''%E6%8A%A5%E4%BB%B7%E5%8D%95.pdf",
        HTTP_CONTENT_DIGEST=f"sha-256=:{digest}:",
    )

    # then version 2 has that name, the comment and the digest
    assert response.status_code == 201, response.content
    assert response.json()["filename"] == "报价单.pdf"
    assert response.json()["comment"] == "signed"
    assert response.json()["number"] == 2


def test_a_wrong_digest_is_rejected_and_nothing_is_kept(rep):
    # given an existing document
    document = factories.document(rep)
    keys_before = _stored_keys()

    # when the body does not match the digest the client declared
    response = client_for(rep).generic(
        "POST", f"/api/documents/{document.pk}/versions/", factories.pdf_bytes("tampered"),
        content_type="application/pdf", HTTP_X_CONTENT_SHA256="0" * 64,
    )

    # then 400, no version, no new object
    assert response.status_code == 400
    assert response.json()["code"] == "checksum_mismatch"
    assert document.versions.count() == 1
    assert _stored_keys() == keys_before


def test_raw_upload_without_length_is_411(rep):
    # given a document
    document = factories.document(rep)

    # when a raw body arrives with no Content-Length
    response = client_for(rep).generic(
        "POST", f"/api/documents/{document.pk}/versions/", b"", content_type="application/pdf"
    )

    # then the client is told to send one
    assert response.status_code == 411


def test_empty_file_and_missing_fields_are_400_with_field_messages(rep):
    client = client_for(rep)

    # when the file is empty / the title is missing / the kind is unknown
    empty = _create(client, b"", "empty.pdf")
    no_title = client.post("/api/documents/", {"file": SimpleUploadedFile("a.pdf", factories.pdf_bytes())},
                           format="multipart")
    bad_kind = _create(client, factories.pdf_bytes(), "a.pdf", kind="poem")
    no_file = client.post("/api/documents/", {"title": "x"}, format="multipart")

    # then each is a 400 that says what is wrong
    assert empty.status_code == 400 and "file: The submitted file is empty." in empty.json()["detail"]
    assert no_title.status_code == 400 and "title" in no_title.json()["fields"]
    assert bad_kind.status_code == 400 and "kind" in bad_kind.json()["fields"]
    assert no_file.status_code == 400 and "file" in no_file.json()["fields"]
    assert Document.objects.count() == 0


def test_identical_content_is_stored_once(rep):
    # given the same bytes uploaded as two documents
    content = factories.pdf_bytes("same")
    first = factories.document(rep, content=content)
    second = factories.document(rep, content=content, title="Copy")

    # then both versions point at one object
    assert first.valid_version.object_key == second.valid_version.object_key
    assert len(_stored_keys()) == 1


def test_a_retried_upload_with_the_same_idempotency_key_creates_one_version(rep):
    # given a document
    document = factories.document(rep)
    client = client_for(rep)

    # when the same upload is sent three times with one Idempotency-Key
    responses = [
        client.post(f"/api/documents/{document.pk}/versions/",
                    {"file": SimpleUploadedFile("v2.pdf", factories.pdf_bytes("retry"))},
                    format="multipart", HTTP_IDEMPOTENCY_KEY="upload-7f3a")
        for _ in range(3)
    ]

    # then the first is created, the retries return the same version, and only one was audited
    assert [r.status_code for r in responses] == [201, 200, 200]
    assert {r.json()["number"] for r in responses} == {2}
    assert document.versions.count() == 2
    assert AuditEvent.objects.filter(event_type="document.version.uploaded", target_id=str(document.pk)).count() == 2


def test_document_create_is_idempotent_too(rep):
    client = client_for(rep)

    # when the same create is retried with one key
    first = client.post("/api/documents/", {"title": "Bid", "kind": "bid",
                        "file": SimpleUploadedFile("bid.pdf", factories.pdf_bytes("bid"))},
                        format="multipart", HTTP_IDEMPOTENCY_KEY="create-1")
    again = client.post("/api/documents/", {"title": "Bid", "kind": "bid",
                        "file": SimpleUploadedFile("bid.pdf", factories.pdf_bytes("bid"))},
                        format="multipart", HTTP_IDEMPOTENCY_KEY="create-1")

    # then one document exists
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert Document.objects.count() == 1
