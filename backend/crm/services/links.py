"""Typed links between documents and CRM records.

Linking an internal document to a customer's record lets that customer's owner and account team
see it, so it needs change access on both the document and the record.
"""

from __future__ import annotations

from django.db import transaction

from backend.access.policy import Action
from backend.access.services import require
from backend.audit import services as audit
from backend.common.errors import InvalidInput
from backend.crm.audit_events import CRM_DOCUMENT_LINKED, CRM_DOCUMENT_UNLINKED
from backend.crm.models import Customer, DocumentLink, LinkTarget, Opportunity, Order, Quote, ServiceRecord
from backend.documents.models import Document
from indexing import hooks as search_index

_TARGETS: dict[type, str] = {
    Customer: LinkTarget.CUSTOMER,
    Opportunity: LinkTarget.OPPORTUNITY,
    Quote: LinkTarget.QUOTE,
    Order: LinkTarget.ORDER,
    ServiceRecord: LinkTarget.SERVICE_RECORD,
}


def _link_fields(target) -> dict:
    target_type = _TARGETS.get(type(target))
    if target_type is None:
        raise InvalidInput("Documents link to customers, opportunities, quotes, orders or service records.")
    fields = {"target_type": target_type}
    if target_type == LinkTarget.CUSTOMER:
        fields["customer_id"] = target.pk
    else:
        fields["customer_id"] = target.customer_id
        fields[target_type] = target
    return fields


def _after_link_change(document_id: int) -> None:
    """Links change who may see a document and what search shows next to it (queued in this transaction)."""
    search_index.index_document_acl_changed(document_id=document_id)


def document_link_create(*, actor, document: Document, target) -> DocumentLink:
    """Link a document to a CRM record (idempotent: an existing identical link is returned)."""
    fields = _link_fields(target)
    require(actor=actor, action=Action.CHANGE, obj=document)
    require(actor=actor, action=Action.CHANGE, obj=target)
    with transaction.atomic():
        existing = DocumentLink.objects.filter(document=document, **fields).first()
        if existing is not None:
            return existing
        link = DocumentLink.objects.create(document=document, created_by=actor, **fields)
        _after_link_change(document.pk)
        audit.record(
            CRM_DOCUMENT_LINKED, actor=actor, target=document, customer_id=fields["customer_id"],
            detail={"target_type": fields["target_type"], "target_id": target.pk, "target": str(target)},
        )
    return link


def document_link_delete(*, actor, link: DocumentLink) -> None:
    require(actor=actor, action=Action.CHANGE, obj=link.document)
    require(actor=actor, action=Action.CHANGE, obj=link.target)
    with transaction.atomic():
        document = link.document
        customer_id = link.customer_id
        detail = {"target_type": link.target_type, "target_id": link.target.pk}
        link.delete()
        _after_link_change(document.pk)
        # The audit event is the transaction's last write.
        audit.record(CRM_DOCUMENT_UNLINKED, actor=actor, target=document, customer_id=customer_id, detail=detail)
