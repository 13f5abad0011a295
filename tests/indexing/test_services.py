"""The indexing pipeline end to end: uploads on the real S3 server, the embedded index, the outbox."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from backend.access.policy import user_principals, view_principals_for_documents
from backend.access.services import document_permission_grant, document_permission_revoke
from backend.accounts.services import user_move_department
from backend.documents import services as documents
from backend.documents.models import DocumentVersion
from indexing import query, services
from indexing.backends import SearchFilters, SearchRequest
from indexing.models import IndexStatus, SearchOutbox, VersionIndexState
from storage.errors import StoreUnavailable
from tests import factories
from tests.indexing import files

pytestmark = [pytest.mark.django_db, pytest.mark.s3]


@pytest.fixture
def people():
    sales = factories.DepartmentFactory(code="sales")
    service = factories.DepartmentFactory(code="service")
    owner = factories.UserFactory(username="owner", department=sales)
    colleague = factories.UserFactory(username="colleague", department=sales)
    outsider = factories.UserFactory(username="outsider", department=service)
    return owner, colleague, outsider


def engine_hits(backend, user, q=None, **filters) -> set[int]:
    """Document ids the *engine* returns for `user` (no database re-check): the index ACL itself."""
    request = SearchRequest(query=query.parse(q) if q else None, principals=tuple(user_principals(user)),
                            filters=SearchFilters(**filters), limit=100)
    return {hit.document_id for hit in backend.search(request).hits}


def state_of(document) -> VersionIndexState:
    return VersionIndexState.objects.get(version_id=document.valid_version_id)


# -- uploads ---------------------------------------------------------------------------------------


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


def test_images_are_unsupported_but_their_metadata_is_searchable(people, committed, search_index):
    owner, _, _ = people
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
    monkeypatch.setattr(services, "_read_content", lambda version: reads.append(version) or b"")
    first = DocumentVersion.objects.get(document=doc, number=1)

    with committed():
        restored = documents.document_version_restore(actor=owner, version=first)

    assert reads == []
    assert VersionIndexState.objects.get(version=restored).text == "first text"


# -- what changes the index ---------------------------------------------------------------------


def test_grants_and_revocations_change_who_finds_a_document(people, committed, search_index):
    owner, _, outsider = people
    with committed():
        doc = factories.document(owner, title="Secret bid", classification="secret", content=b"tender price")
    assert engine_hits(search_index, outsider, "tender") == set()

    with committed():
        document_permission_grant(actor=owner, document=doc, level="view", user=outsider)
    assert engine_hits(search_index, outsider, "tender") == {doc.pk}

    with committed():
        document_permission_revoke(actor=owner, document=doc, user=outsider)
    assert engine_hits(search_index, outsider, "tender") == set()


def test_group_grants_and_classification_changes_reach_the_index(people, committed, search_index):
    owner, colleague, outsider = people
    with committed():
        doc = factories.document(owner, classification="internal", content=b"margin")
    assert engine_hits(search_index, colleague, "margin") == {doc.pk}  # same department
    assert engine_hits(search_index, outsider, "margin") == set()

    with committed():
        documents.document_update(actor=owner, document=doc, classification="confidential")
    assert engine_hits(search_index, colleague, "margin") == set()

    with committed():
        document_permission_grant(actor=owner, document=doc, level="view", group=outsider.department.group)
    assert engine_hits(search_index, outsider, "margin") == {doc.pk}


def test_metadata_status_and_new_versions_reach_the_index(people, committed, search_index):
    owner, _, _ = people
    with committed():
        doc = factories.document(owner, title="Draft quote", kind="quote", content=b"alpha")
    with committed():
        documents.document_update(actor=owner, document=doc, title="供货报价", tags=["2026"])
    assert engine_hits(search_index, owner, "供货 2026") == {doc.pk}

    with committed():
        documents.document_version_approve(actor=owner, version=DocumentVersion.objects.get(document=doc))
    assert engine_hits(search_index, owner, "alpha", statuses=("approved",)) == {doc.pk}

    with committed():
        documents.document_version_create(actor=owner, document=doc, upload=factories.upload_source(b"beta", "v2.txt"))
    # the approved version stays the valid one; the new draft is found with all_versions
    assert engine_hits(search_index, owner, "beta") == set()
    assert engine_hits(search_index, owner, "beta", all_versions=True) == {doc.pk}


def test_an_approved_version_past_its_date_reads_expired(people, committed, search_index, monkeypatch):
    owner, _, _ = people
    with committed():
        doc = factories.document(owner, content=b"old terms")
    with committed():
        documents.document_version_approve(actor=owner, version=DocumentVersion.objects.get(document=doc),
                                           valid_until=timezone.localdate() + dt.timedelta(days=1))
    assert engine_hits(search_index, owner, "old", statuses=("approved",)) == {doc.pk}

    # two days later the periodic job re-indexes it
    later = timezone.localdate() + dt.timedelta(days=2)
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: later)
    with committed():
        assert services.enqueue_expired() == 1

    assert engine_hits(search_index, owner, "old", statuses=("expired",)) == {doc.pk}


def test_deleting_a_document_removes_it_from_the_index(people, committed, search_index):
    owner, _, _ = people
    with committed():
        doc = factories.document(owner, content=b"ephemeral")
    document_id = doc.pk
    with committed():
        documents.document_delete(actor=owner, document=doc)

    assert engine_hits(search_index, owner, "ephemeral") == set()
    assert document_id not in search_index.document_ids()


def test_moving_a_user_between_departments_changes_no_document_acl(people, committed, search_index):
    owner, colleague, outsider = people
    with committed():
        sales_doc = factories.document(owner, classification="internal", content=b"quota")
        public_doc = factories.document(owner, classification="public", content=b"quota")
    before = view_principals_for_documents([sales_doc.pk, public_doc.pk])
    assert engine_hits(search_index, outsider, "quota") == {public_doc.pk}

    with committed():
        user_move_department(actor=None, user=outsider, department=owner.department)

    # documents carry the same tokens and nothing was queued; the user's tokens changed at query time
    assert view_principals_for_documents([sales_doc.pk, public_doc.pk]) == before
    assert not SearchOutbox.objects.exists()
    assert engine_hits(search_index, outsider, "quota") == {sales_doc.pk, public_doc.pk}


# -- a dead search engine, a dead store -----------------------------------------------------------


def _break_engine(settings, tmp_path):
    blocker = tmp_path / "engine-down"
    blocker.write_text("not a directory")
    good = settings.SEARCH_URL
    settings.SEARCH_URL = f"tantivy://{blocker}/index"
    return good


def test_uploads_succeed_while_the_engine_is_down_and_the_backlog_drains_after_the_next_write(
    people, committed, search_index, settings, tmp_path
):
    owner, _, _ = people
    good = _break_engine(settings, tmp_path)
    with committed():
        first = factories.document(owner, title="During outage", content=b"outage words")

    assert SearchOutbox.objects.filter(document_id=first.pk, blocked_on="engine").exists()
    state = state_of(first)
    assert state.status == IndexStatus.PENDING and state.extracted_at is not None  # text kept for later

    settings.SEARCH_URL = good
    services._breaker["open_until"] = 0.0
    with committed():
        second = factories.document(owner, title="After outage", content=b"recovery words")

    assert engine_hits(search_index, owner, "words") == {first.pk, second.pk}
    assert not SearchOutbox.objects.exists()
    assert state_of(first).status == IndexStatus.INDEXED


def test_the_periodic_drain_writes_the_backlog_by_itself(people, committed, search_index, settings, tmp_path):
    from indexing import tasks

    owner, _, _ = people
    good = _break_engine(settings, tmp_path)
    with committed():
        doc = factories.document(owner, content=b"queued words")
    backoff_until = SearchOutbox.objects.get(document_id=doc.pk).available_at

    # while the engine is still down the periodic drain leaves the row to its back-off
    assert tasks.drain_outbox()["documents"] == 0
    assert SearchOutbox.objects.get(document_id=doc.pk).available_at == backoff_until

    # once it answers again, the next periodic drain writes the backlog without waiting for the back-off
    settings.SEARCH_URL = good
    assert backoff_until > timezone.now()
    assert tasks.drain_outbox() == {"documents": 1, "versions": 1, "error": ""}
    assert engine_hits(search_index, owner, "queued") == {doc.pk}
    assert not SearchOutbox.objects.exists()


def test_an_unreadable_store_is_retried_then_the_version_fails(people, committed, search_index, monkeypatch, settings):
    owner, _, _ = people
    settings.SEARCH_EXTRACT_MAX_ATTEMPTS = 2

    def store_down(version):
        raise StoreUnavailable("down")

    monkeypatch.setattr(services, "_read_content", store_down)
    with committed():
        doc = factories.document(owner, title="Unreadable for now", content=b"later")

    row = SearchOutbox.objects.get(document_id=doc.pk)
    assert row.blocked_on == "store"
    assert state_of(doc).status == IndexStatus.PENDING and state_of(doc).attempts == 1
    assert engine_hits(search_index, owner, "unreadable") == {doc.pk}  # metadata is in already

    SearchOutbox.objects.update(available_at=timezone.now())
    services.outbox_drain()

    assert state_of(doc).status == IndexStatus.FAILED
    assert "unavailable 2 times" in state_of(doc).reason
    assert not SearchOutbox.objects.exists()


def test_the_hook_never_raises_even_when_the_engine_is_broken(people, settings, tmp_path):
    owner, _, _ = people
    _break_engine(settings, tmp_path)

    services.index_document_changed(document_id=123456, reason="test")  # no exception

    assert SearchOutbox.objects.filter(document_id=123456).exists()
