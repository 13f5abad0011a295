"""Legal holds: compliance places and lifts them (audited); what they cover cannot be trashed or purged;
the store holds their objects (S3 Object Lock on the real server) and storage_fsck checks it does."""

from __future__ import annotations

import pytest

from backend.accounts.models import Role
from backend.audit.models import AuditEvent
from backend.common.errors import InvalidInput, NotFound, UnderLegalHold
from backend.crm.services.links import document_link_create
from backend.documents.holds import (
    holds_on_document,
    legal_hold_documents_change,
    legal_hold_lift,
    legal_hold_place,
    legal_holds_sync_store,
)
from backend.documents.integrity import storage_integrity_check, storage_orphans_sweep
from backend.documents.models import Document, HeldObject
from backend.documents.services import document_delete
from backend.documents.store import object_store
from backend.documents.trash import document_purge, document_trash
from storage.errors import ObjectHeld
from tests import factories
from tests.crm.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def locked_store(settings, s3_backed_documents):
    """Documents on a fresh Object Lock bucket of the real S3 server."""
    settings.STORAGE_URL = s3_backed_documents + "&object_lock=1"
    return settings.STORAGE_URL


@pytest.fixture
def owner():
    return factories.UserFactory(username="owner")


@pytest.fixture
def compliance():
    return factories.UserFactory(username="compliance", role=Role.COMPLIANCE)


def test_only_compliance_places_and_lifts_holds_and_both_are_audited(owner, compliance):
    # given a document and an admin (who manages it, but is not compliance)
    admin = factories.UserFactory(role=Role.ADMIN)
    document = factories.document(owner)

    # when the admin or the owner tries to place a hold, then it is not found for them
    for user in (admin, owner):
        with pytest.raises(NotFound):
            legal_hold_place(actor=user, scope="document", name="Audit", reason="Tax audit", documents=[document])

    # when compliance places one, then it covers the document and is audited with its reason
    hold = legal_hold_place(actor=compliance, scope="document", name="Audit", reason="Tax audit",
                            documents=[document])
    assert holds_on_document(document) == [hold]
    placed = AuditEvent.objects.get(event_type="document.legal_hold.placed")
    assert (placed.actor_id, placed.detail["reason"], placed.detail["documents"]) == (
        compliance.pk, "Tax audit", [document.pk])

    # when the owner tries to lift it, then it is not found; lifting needs a reason
    with pytest.raises(NotFound):
        legal_hold_lift(actor=owner, hold=hold, reason="done")
    with pytest.raises(InvalidInput):
        legal_hold_lift(actor=compliance, hold=hold, reason=" ")
    legal_hold_lift(actor=compliance, hold=hold, reason="Audit closed")

    # then the document is free again, and the lift is audited
    assert holds_on_document(document) == []
    lifted = AuditEvent.objects.get(event_type="document.legal_hold.lifted")
    assert (lifted.actor_id, lifted.detail["reason"]) == (compliance.pk, "Audit closed")
    document_trash(actor=owner, document=document)


def test_a_customer_hold_covers_its_documents_those_linked_later_too(owner, compliance):
    # given a customer with one linked document, under a hold
    customer = CustomerFactory(owner=owner)
    linked = factories.document(owner, title="Contract")
    document_link_create(actor=owner, document=linked, target=customer)
    legal_hold_place(actor=compliance, scope="customer", name="Ningbo dispute", reason="Claim",
                     customer=customer)
    later = factories.document(owner, title="Later letter")
    document_link_create(actor=owner, document=later, target=customer)
    unrelated = factories.document(owner, title="Unrelated")

    # then neither linked document can be deleted, in the trash or for good; the unrelated one can
    for document in (linked, later):
        with pytest.raises(UnderLegalHold) as refused:
            document_trash(actor=owner, document=document)
        assert refused.value.extra["holds"][0]["name"] == "Ningbo dispute"
        with pytest.raises(UnderLegalHold):
            document_delete(actor=owner, document=document)
        with pytest.raises(UnderLegalHold):
            document_purge(actor=compliance, document=document, reason="disposal")
    document_trash(actor=owner, document=unrelated)


def test_a_matters_documents_change(owner, compliance):
    # given a matter on one document
    first, second = factories.document(owner, title="A"), factories.document(owner, title="B")
    hold = legal_hold_place(actor=compliance, scope="matter", name="Matter 7", reason="Litigation", documents=[first])

    # when compliance adds the second and removes the first
    legal_hold_documents_change(actor=compliance, hold=hold, add=[second], remove=[first])

    # then the hold covers the second only, audited
    assert (holds_on_document(first), holds_on_document(second)) == ([], [hold])
    changed = AuditEvent.objects.get(event_type="document.legal_hold.changed")
    assert (changed.detail["added"], changed.detail["removed"]) == ([second.pk], [first.pk])


def test_held_objects_are_held_by_the_s3_server_until_the_hold_is_lifted(
        locked_store, owner, compliance, django_capture_on_commit_callbacks):
    # given a document with two versions on an Object Lock bucket
    document = factories.document(owner, content=factories.pdf_bytes("v1"))
    from backend.documents.services import document_version_create

    document_version_create(actor=owner, document=document, upload=factories.upload_source(factories.pdf_bytes("v2")))
    keys = sorted(document.versions.values_list("object_key", flat=True))
    store = object_store()

    # when compliance places a hold on it
    with django_capture_on_commit_callbacks(execute=True):
        hold = legal_hold_place(actor=compliance, scope="document", name="Hold", reason="Claim", documents=[document])

    # then the server holds both objects: the store's own delete is refused, and storage_fsck is content
    assert sorted(HeldObject.objects.values_list("object_key", flat=True)) == keys
    for key in keys:
        assert store.is_legally_held(key)
        with pytest.raises(ObjectHeld):
            store.delete(key)
    report = storage_integrity_check(verify_content=False)
    assert (report.ok, report.held, report.not_held) == (True, 2, [])

    # when the hold is released behind Dossier's back, then storage_fsck reports it, and the sync restores it
    store.clear_legal_hold(keys[0])
    report = storage_integrity_check(verify_content=False)
    assert (report.ok, report.not_held) == (False, [keys[0]])
    HeldObject.objects.filter(object_key=keys[0]).delete()
    assert legal_holds_sync_store().held == [keys[0]]
    assert storage_integrity_check(verify_content=False).ok

    # when compliance lifts the hold and the document is purged
    with django_capture_on_commit_callbacks(execute=True):
        legal_hold_lift(actor=compliance, hold=hold, reason="Settled")
    assert not HeldObject.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        document_purge(actor=compliance, document=Document.objects.get(pk=document.pk), reason="disposal")

    # then its objects are gone from the store
    assert [store.exists(key) for key in keys] == [False, False]


def test_an_orphan_still_held_on_the_store_is_kept_and_reported(locked_store, owner, compliance):
    # given an object held on the store that no version references any more (its hold lifted, not yet synced)
    store = object_store()
    document = factories.document(owner)
    key = document.valid_version.object_key
    store.set_legal_hold(key)
    HeldObject.objects.create(object_key=key)
    Document.objects.filter(pk=document.pk).delete()

    # when the sweep and the check run
    swept = storage_orphans_sweep(grace_seconds=0)
    report = storage_integrity_check(verify_content=False)

    # then the object stays, reported as held, not as an orphan to worry about
    assert (swept.deleted, swept.held) == ([], [key])
    assert (report.orphans, report.held_orphans, report.ok) == ([], [key], True)
    assert store.exists(key)
