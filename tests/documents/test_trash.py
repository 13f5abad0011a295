"""The trash: delete moves a document there; whoever could manage it restores it within the window; the
purge job deletes it for good after that, objects included, never under a legal hold."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from backend.access.policy import Action, visible
from backend.access.policy.trash import trash_visibility_q
from backend.accounts.models import Role
from backend.audit.models import AuditEvent
from backend.common.errors import Conflict, NotFound, UnderLegalHold
from backend.documents.holds import legal_hold_place
from backend.documents.models import Document
from backend.documents.services import document_get_for_action
from backend.documents.store import object_store
from backend.documents.trash import (
    document_purge,
    document_restore,
    document_trash,
    trash_purge_expired,
    trashed_document_get,
)
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner():
    return factories.UserFactory(username="owner")


@pytest.fixture
def compliance():
    return factories.UserFactory(username="compliance", role=Role.COMPLIANCE)


def _events(event_type):
    return list(AuditEvent.objects.filter(event_type=event_type).order_by("id"))


def _age(document, days):
    Document.objects.filter(pk=document.pk).update(trashed_at=timezone.now() - dt.timedelta(days=days))


def test_a_trashed_document_is_hidden_from_everyone_and_audited(owner):
    # given an internal document a department colleague may read
    colleague = factories.UserFactory(department=owner.department)
    document = factories.document(owner, title="Supply contract")
    assert visible(colleague, Document.objects.all()).filter(pk=document.pk).exists()

    # when its owner deletes it
    document_trash(actor=owner, document=document)

    # then nobody sees it or can open it, not even the owner; the deletion is audited
    for user in (owner, colleague):
        assert not visible(user, Document.objects.all()).filter(pk=document.pk).exists()
        with pytest.raises(NotFound):
            document_get_for_action(actor=user, document_id=document.pk, action=Action.VIEW)
    [event] = _events("document.trashed")
    assert (event.actor_id, event.target_id) == (owner.pk, str(document.pk))
    # and its rows and objects are still there, in the owner's trash only
    stored = Document.objects.get(pk=document.pk)
    assert stored.trashed_by_id == owner.pk
    assert object_store().exists(stored.valid_version.object_key)
    assert Document.objects.filter(trash_visibility_q(owner)).filter(pk=document.pk).exists()
    assert not Document.objects.filter(trash_visibility_q(colleague)).exists()


def test_the_owner_or_an_admin_restores_it_and_nobody_else(owner):
    # given a trashed internal document
    admin = factories.UserFactory(role=Role.ADMIN)
    colleague = factories.UserFactory(department=owner.department)
    document = factories.document(owner)
    document_trash(actor=owner, document=document)

    # when a colleague tries to restore it, then it is not found for them
    with pytest.raises(NotFound):
        document_restore(actor=colleague, document=Document.objects.get(pk=document.pk))
    with pytest.raises(NotFound):
        trashed_document_get(actor=colleague, document_id=document.pk)

    # when an admin restores it
    document_restore(actor=admin, document=trashed_document_get(actor=admin, document_id=document.pk))

    # then everyone who could see it sees it again, and the restore is audited
    assert visible(colleague, Document.objects.all()).filter(pk=document.pk).exists()
    assert Document.objects.get(pk=document.pk).trashed_at is None
    [event] = _events("document.restored")
    assert event.actor_id == admin.pk
    # and restoring it again finds nothing in the trash
    with pytest.raises(NotFound):
        document_restore(actor=owner, document=Document.objects.get(pk=document.pk))


def test_a_secret_document_in_the_trash_is_its_owners_not_an_admins(owner):
    # given a trashed secret document
    admin = factories.UserFactory(role=Role.ADMIN)
    document = factories.document(owner, classification="secret")
    document_trash(actor=owner, document=document)

    # then an admin neither sees it in the trash nor restores it
    assert not Document.objects.filter(trash_visibility_q(admin)).exists()
    with pytest.raises(NotFound):
        document_restore(actor=admin, document=Document.objects.get(pk=document.pk))


def test_only_managers_may_trash(owner):
    # given a colleague who may read but not manage the document
    colleague = factories.UserFactory(department=owner.department)
    document = factories.document(owner)

    # when they try to delete it, then it is refused as not found and it stays
    with pytest.raises(NotFound):
        document_trash(actor=colleague, document=document)
    assert Document.objects.get(pk=document.pk).trashed_at is None


def test_the_purge_job_deletes_for_good_after_the_window_only(owner, settings, django_capture_on_commit_callbacks):
    # given two trashed documents: one 31 days ago, one 29 days ago, with a 30-day window
    settings.TRASH_RETENTION_DAYS = 30
    old = factories.document(owner, title="Old")
    recent = factories.document(owner, title="Recent")
    old_key = old.valid_version.object_key
    for document in (old, recent):
        document_trash(actor=owner, document=document)
    _age(old, 31)
    _age(recent, 29)

    # when the purge job runs
    with django_capture_on_commit_callbacks(execute=True):
        report = trash_purge_expired()

    # then only the old one is gone, rows and object, audited as the system's purge
    assert report.purged == [old.pk]
    assert not Document.objects.filter(pk=old.pk).exists()
    assert Document.objects.filter(pk=recent.pk).exists()
    assert not object_store().exists(old_key)
    [event] = _events("document.purged")
    assert (event.actor_id, event.target_id, event.detail["reason"]) == (None, str(old.pk), "trash_expired")
    # and running it again changes nothing
    assert trash_purge_expired().purged == []


def test_an_object_another_document_still_uses_stays(owner, django_capture_on_commit_callbacks):
    # given two documents with the same content, one trashed long ago
    content = factories.pdf_bytes("shared")
    trashed = factories.document(owner, title="Copy", content=content)
    kept = factories.document(owner, title="Original", content=content)
    document_trash(actor=owner, document=trashed)
    _age(trashed, 60)

    # when it is purged
    with django_capture_on_commit_callbacks(execute=True):
        trash_purge_expired()

    # then the shared object stays for the other document
    assert object_store().exists(kept.valid_version.object_key)


def test_nothing_held_is_trashed_or_purged(owner, compliance):
    # given a document under a legal hold, and another held after it was trashed long ago
    held = factories.document(owner, title="Held")
    trashed_then_held = factories.document(owner, title="Trashed then held")
    document_trash(actor=owner, document=trashed_then_held)
    _age(trashed_then_held, 90)
    legal_hold_place(actor=compliance, scope="matter", name="Arbitration 2026", reason="Dispute",
                     documents=[held, trashed_then_held])

    # when its owner deletes it, then the hold refuses it
    with pytest.raises(UnderLegalHold):
        document_trash(actor=owner, document=held)
    # and the purge job keeps the trashed one, and so does compliance purging it
    report = trash_purge_expired()
    assert (report.purged, report.held) == ([], [trashed_then_held.pk])
    with pytest.raises(UnderLegalHold):
        document_purge(actor=compliance, document=trashed_then_held, reason="disposal")
    assert Document.objects.filter(pk__in=[held.pk, trashed_then_held.pk]).count() == 2


def test_purge_rights(owner, compliance):
    # given a document not in the trash
    document = factories.document(owner)

    # then its owner cannot purge it without trashing it first, the job cannot either
    with pytest.raises(NotFound):
        document_purge(actor=owner, document=document, reason="now")
    with pytest.raises(Conflict):
        document_purge(actor=None, document=document, reason="job")
    # and compliance can (an approved disposal), naming why in the event
    document_purge(actor=compliance, document=document, reason="disposal", detail={"disposal": 7})
    assert not Document.objects.filter(pk=document.pk).exists()
    [event] = _events("document.purged")
    assert (event.actor_id, event.detail["reason"], event.detail["disposal"]) == (compliance.pk, "disposal", 7)


def test_the_owner_purges_from_the_trash_early(owner):
    # given a document the owner trashed a minute ago
    document = factories.document(owner)
    document_trash(actor=owner, document=document)

    # when they delete it for good from the trash
    document_purge(actor=owner, document=Document.objects.get(pk=document.pk), reason="emptied")

    # then it is gone
    assert not Document.objects.filter(pk=document.pk).exists()


def test_the_search_index_leaves_a_trashed_document_out_until_it_is_restored(owner):
    from indexing.sync import index_docs_for_documents

    # given a document in the trash
    document = factories.document(owner)
    document_trash(actor=owner, document=document)

    # then the index sync treats it as gone, and as present again once restored
    assert index_docs_for_documents([document.pk])[1] == set()
    document_restore(actor=owner, document=Document.objects.get(pk=document.pk))
    assert index_docs_for_documents([document.pk])[1] == {document.pk}


def test_the_api_delete_moves_to_the_trash_and_a_hold_answers_409(owner, compliance):
    from tests.fixtures.clients import client_for

    held = factories.document(owner, title="Held")
    free = factories.document(owner, title="Free")
    legal_hold_place(actor=compliance, scope="document", name="Audit", reason="Tax audit", documents=[held])

    refused = client_for(owner).delete(f"/api/documents/{held.pk}/")
    trashed = client_for(owner).delete(f"/api/documents/{free.pk}/")

    assert refused.status_code == 409 and refused.json()["code"] == "legal_hold"
    assert Document.objects.get(pk=held.pk).trashed_at is None
    assert trashed.status_code == 204 and Document.objects.get(pk=free.pk).trashed_at is not None
    assert client_for(owner).get(f"/api/documents/{free.pk}/").status_code == 404
