"""Deleting a document: the audit events (each live share's end, then the deletion) are the
transaction's last writes, and they still name the document that is gone."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backend.audit.models import AuditEvent
from backend.documents.models import Document
from backend.documents.services import document_delete
from backend.sharing.shares import document_share_create
from tests import factories
from tests.crm.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _local_store(settings, tmp_path):
    settings.STORAGE_URL = f"file://{tmp_path}/objects"


def _writes(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]


def test_the_audit_events_are_the_last_writes_of_the_delete():
    # given a document shared with a customer
    owner = factories.UserFactory(username="owner")
    document = factories.document(owner, title="Supply contract", classification="internal")
    customer = CustomerFactory(owner=owner, name="Ningbo Castings")
    share = document_share_create(actor=owner, document=document, customer=customer)
    document_id = document.pk

    # when the owner deletes it
    with CaptureQueriesContext(connection) as captured:
        document_delete(actor=owner, document=document)

    # then the document is gone, and the last two writes are the share's end and the deletion, in that order
    assert not Document.objects.filter(pk=document_id).exists()
    audit_table = AuditEvent._meta.db_table
    writes = _writes(captured.captured_queries)
    assert [audit_table in sql for sql in writes[-2:]] == [True, True]
    assert not any(audit_table in sql for sql in writes[:-2])
    ended, deleted = AuditEvent.objects.order_by("-id")[:2][::-1]
    assert (ended.event_type, ended.detail["share"], ended.customer_id) == ("document.share.revoked", share.pk,
                                                                           customer.pk)
    assert deleted.event_type == "document.deleted"
    # and both still name the document as it was
    for event in (ended, deleted):
        assert (event.target_type, event.target_id, event.target_label) == (
            "documents.document", str(document_id), "Supply contract")
