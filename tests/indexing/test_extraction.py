"""Extraction of uploaded versions: text found, or the reason there is none, and the upload never blocked."""

from __future__ import annotations

import pytest

from backend.documents import services as documents
from backend.documents.models import DocumentVersion
from indexing import extraction
from indexing.models import IndexStatus, SearchOutbox, VersionIndexState
from tests import factories
from tests.indexing import files
from tests.indexing.helpers import engine_hits, state_of

pytestmark = [pytest.mark.django_db, pytest.mark.s3]


@pytest.mark.parametrize(
    "filename, content, word",
    [
        ("quote.txt", "报价单：数控机床 net 60".encode("gbk"), "控机"),
        ("contract.docx", files.docx_with("供货合同 supply terms"), "supply"),
        ("prices.xlsx", files.xlsx_with(("数控机床", 128000)), "128000"),
        ("bid.pdf", files.pdf_with_text("标书 technical proposal"), "标书"),
        ("mail.eml", files.eml_with_attachments(), "forwarded"),
        ("list.csv", "客户,金额\n上海精工,128000\n".encode("gbk"), "精工"),
    ],
)
def test_an_upload_is_extracted_and_searchable_after_commit(people, committed, search_index, filename, content, word):
    owner, _, _ = people
    with committed():
        doc = factories.document(owner, title="Upload", content=content, filename=filename)

    state = state_of(doc)
    assert state.status == IndexStatus.INDEXED and state.indexed_at is not None
    assert engine_hits(search_index, owner, word) == {doc.pk}
    assert not SearchOutbox.objects.exists()


def test_a_corrupt_file_is_marked_failed_and_never_blocks_the_upload(people, committed, search_index):
    owner, _, _ = people
    with committed():
        doc = factories.document(owner, title="Broken 合同", content=files.pdf_with_text("x")[:300],
                                 filename="broken.pdf")

    state = state_of(doc)
    assert state.status == IndexStatus.FAILED and "PDF is corrupt" in state.reason
    assert engine_hits(search_index, owner, "合同") == {doc.pk}  # metadata stays searchable
    assert not SearchOutbox.objects.exists()


def test_an_encrypted_file_is_marked_failed(people, committed):
    owner, _, _ = people
    with committed():
        doc = factories.document(owner, content=files.pdf_with_text("x", password="pw"), filename="locked.pdf")

    assert state_of(doc).status == IndexStatus.FAILED and "encrypted" in state_of(doc).reason


def test_images_are_unsupported_with_ocr_off_but_their_metadata_is_searchable(people, committed, search_index,
                                                                              settings):
    owner, _, _ = people
    settings.SEARCH_OCR_LANGUAGES = ""  # with OCR on they are read: tests/indexing/test_ocr.py
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    with committed():
        doc = factories.document(owner, title="Factory photo", content=png, filename="photo.png", tags=["现场"])

    assert state_of(doc).status == IndexStatus.UNSUPPORTED
    assert engine_hits(search_index, owner, "现场 photo") == {doc.pk}


def test_files_over_the_size_budget_fail_with_the_reason(people, committed, settings):
    owner, _, _ = people
    settings.SEARCH_EXTRACT_MAX_BYTES = 100
    with committed():
        doc = factories.document(owner, content=b"word " * 100, filename="big.txt")

    assert state_of(doc).status == IndexStatus.FAILED and "text is extracted from files up to" in state_of(doc).reason


def test_extraction_over_the_time_budget_fails_with_the_reason(people, committed, settings):
    owner, _, _ = people
    settings.SEARCH_EXTRACT_TIMEOUT_SECONDS = 0
    with committed():
        doc = factories.document(owner, content=files.pdf_with_text("slow"), filename="slow.pdf")

    assert state_of(doc).status == IndexStatus.FAILED and "longer than" in state_of(doc).reason


def test_restoring_a_version_reuses_the_extracted_text(people, committed, monkeypatch):
    owner, _, _ = people
    with committed():
        doc = factories.document(owner, content=b"first text", filename="a.txt")
    with committed():
        documents.document_version_create(actor=owner, document=doc, upload=factories.upload_source(b"second", "b.txt"))
    reads = []
    monkeypatch.setattr(extraction, "_read_content", lambda version: reads.append(version) or b"")
    first = DocumentVersion.objects.get(document=doc, number=1)

    with committed():
        restored = documents.document_version_restore(actor=owner, version=first)

    assert reads == []
    assert VersionIndexState.objects.get(version=restored).text == "first text"
