"""Handing a document to another owner (document_owner_transfer): manage needed, only active staff may
receive it, the search index is told in the same transaction, and the audit event is its last write."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backend.access.policy import Action, can
from backend.access.services import document_permission_grant
from backend.accounts.models import Role
from backend.audit.models import AuditEvent
from backend.common.errors import InvalidInput, NotFound
from backend.documents.models import Document
from backend.documents.ownership import document_owner_transfer
from indexing.models import SearchOutbox
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _local_store(settings, tmp_path):
    settings.STORAGE_URL = f"file://{tmp_path}/objects"


def _writes(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]


def test_the_owner_hands_a_document_over_audited_and_indexed():
    owner = factories.UserFactory(username="owner")
    heir = factories.UserFactory(username="heir")
    document = factories.document(owner, classification="confidential")
    before = SearchOutbox.objects.count()
    with CaptureQueriesContext(connection) as captured:
        document_owner_transfer(actor=owner, document=document, new_owner=heir)
    document = Document.objects.get(pk=document.pk)
    assert document.owner_id == heir.pk
    assert can(heir, Action.MANAGE, document) and not can(owner, Action.VIEW, document)
    assert SearchOutbox.objects.count() > before
    event = AuditEvent.objects.filter(event_type="document.owner.transferred").get()
    assert event.actor_id == owner.pk and event.target_id == str(document.pk)
    assert event.detail == {"from_id": owner.pk, "from": "owner", "to_id": heir.pk, "to": "heir"}
    assert "audit_auditevent" in _writes(captured.captured_queries)[-1]


def test_only_a_manager_hands_over_and_only_to_active_staff():
    owner = factories.UserFactory(username="owner")
    changer = factories.UserFactory(username="changer")
    document = factories.document(owner, classification="confidential")
    document_permission_grant(actor=owner, document=document, level="change", user=changer)
    with pytest.raises(NotFound):
        document_owner_transfer(actor=changer, document=document, new_owner=changer)
    portal = factories.UserFactory(username="contact", role=Role.PORTAL, department=None)
    gone = factories.UserFactory(username="gone", is_active=False)
    for receiver in (portal, gone, owner):
        with pytest.raises(InvalidInput):
            document_owner_transfer(actor=owner, document=document, new_owner=receiver)
    assert Document.objects.get(pk=document.pk).owner_id == owner.pk
    assert not AuditEvent.objects.filter(event_type="document.owner.transferred").exists()
    assert AuditEvent.objects.filter(event_type="document.access.denied", actor_id=changer.pk).exists()
