"""The upload intake takes plain inputs, not a request: a form's file, or a body with its length and name,
and the checksum a client declared in any mapping of headers."""

from __future__ import annotations

import base64
import hashlib
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from backend.common.errors import FileTooLarge, InvalidInput, LengthRequired
from backend.documents.intake import declared_sha256, filename_from_disposition, upload_of_body, upload_of_file


def test_a_forms_file_is_an_upload_with_its_name_and_size():
    file = SimpleUploadedFile("报价单.pdf", b"%PDF-1.7 body", content_type="application/pdf")

    upload = upload_of_file(file, declared_sha256="ab" * 32)

    assert (upload.filename, upload.declared_size, upload.declared_sha256) == ("报价单.pdf", 13, "ab" * 32)
    assert upload.stream.read() == b"%PDF-1.7 body"


@override_settings(UPLOAD_MAX_BYTES=10)
def test_a_body_needs_a_length_within_the_limit_before_a_byte_is_read():
    body = io.BytesIO(b"0123456789AB")

    with pytest.raises(LengthRequired):
        upload_of_body(body, length=None, filename="a.txt")
    with pytest.raises(FileTooLarge):
        upload_of_body(body, length=12, filename="a.txt")
    assert body.tell() == 0

    upload = upload_of_body(body, length=10, filename="a.txt")
    assert (upload.filename, upload.declared_size) == ("a.txt", 10)


def test_the_declared_checksum_comes_from_any_mapping_of_headers():
    digest = hashlib.sha256(b"x").digest()

    assert declared_sha256({"Content-Digest": f"sha-256=:{base64.b64encode(digest).decode()}:"}) == digest.hex()
    assert declared_sha256({"X-Content-SHA256": digest.hex().upper()}) == digest.hex()
    assert declared_sha256({}) is None
    with pytest.raises(InvalidInput):
        declared_sha256({"X-Content-SHA256": "not hex"})


def test_the_file_name_comes_from_a_content_disposition_value():
    assert filename_from_disposition("attachment; filename*=UTF-8''%E6%8A%A5%E4%BB%B7.pdf") == "报价.pdf"
    assert filename_from_disposition('attachment; filename="a b.pdf"') == "a b.pdf"
    assert filename_from_disposition("attachment") == ""
