"""What changes the index: every service that changes a document, its access or its links calls a hook."""

from __future__ import annotations

import pytest

from backend.access.policy import view_principals_for_documents
from backend.access.services import document_permission_grant, document_permission_revoke
from backend.accounts.services import user_move_department
from backend.documents import services as documents
from backend.documents.models import DocumentVersion
from indexing import hooks
from indexing.models import SearchOutbox
from tests import factories
from tests.indexing.helpers import break_engine, engine_hits

pytestmark = [pytest.mark.django_db, pytest.mark.s3]


def test_grants_and_revocations_change_who_finds_a_document(people, committed, search_index):
    owner, _, outsider = people
    with committed():
        doc = factories.document(owner, title="Secret bid", classification="secret", content=b"tender price")
    assert engine_hits(search_index, outsider, "tender") == set()

    with committed():
        document_permission_grant(actor=owner, document=doc, level="view", user=outsider)
    # "view" is the details: found by its title, not by its text
    assert engine_hits(search_index, outsider, "bid") == {doc.pk}
    assert engine_hits(search_index, outsider, "tender") == set()

    with committed():
        document_permission_grant(actor=owner, document=doc, level="read", user=outsider)
    assert engine_hits(search_index, outsider, "tender") == {doc.pk}

    with committed():
        document_permission_revoke(actor=owner, document=doc, user=outsider)
    assert engine_hits(search_index, outsider, "tender") == set()
    assert engine_hits(search_index, outsider, "bid") == set()


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
        document_permission_grant(actor=owner, document=doc, level="read", group=outsider.department.group)
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


def test_the_hook_never_raises_even_when_the_engine_is_broken(people, settings, tmp_path):
    owner, _, _ = people
    break_engine(settings, tmp_path)

    hooks.index_document_changed(document_id=123456, reason="test")  # no exception

    assert SearchOutbox.objects.filter(document_id=123456).exists()


@pytest.fixture
def callbacks_lost(django_capture_on_commit_callbacks):
    """`with callbacks_lost():` commits what happens inside but never runs its on-commit callbacks (a crash
    right after the commit)."""
    return lambda: django_capture_on_commit_callbacks(execute=False)


def _queued(document_id) -> set[str]:
    return set(SearchOutbox.objects.filter(document_id=document_id).values_list("reason", flat=True))


def test_a_created_document_is_queued_in_its_own_transaction(people, callbacks_lost):
    owner, _, _ = people

    with callbacks_lost():
        doc = factories.document(owner, content=b"crash after commit")

    assert _queued(doc.pk) == {"created"}


def test_a_new_version_is_queued_in_its_own_transaction(people, committed, callbacks_lost):
    owner, _, _ = people
    with committed():
        doc = factories.document(owner, content=b"first")
    SearchOutbox.objects.all().delete()

    with callbacks_lost():
        documents.document_version_create(actor=owner, document=doc, upload=factories.upload_source(b"second", "v2.txt"))

    assert _queued(doc.pk) == {"version"}


def test_an_acl_change_is_queued_in_its_own_transaction(people, committed, callbacks_lost):
    owner, _, outsider = people
    with committed():
        doc = factories.document(owner, classification="secret", content=b"grant")
    SearchOutbox.objects.all().delete()

    with callbacks_lost():
        document_permission_grant(actor=owner, document=doc, level="view", user=outsider)

    assert _queued(doc.pk) == {"access"}


def test_a_deleted_document_is_queued_in_its_own_transaction(people, committed, callbacks_lost):
    owner, _, _ = people
    with committed():
        doc = factories.document(owner, content=b"gone")
    document_id = doc.pk
    SearchOutbox.objects.all().delete()

    with callbacks_lost():
        documents.document_delete(actor=owner, document=doc)

    assert _queued(document_id) == {"deleted"}
