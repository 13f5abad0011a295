"""Documents linked to CRM records, as the caller may see them."""

from __future__ import annotations

from django.db import router
from django.db.models import Prefetch, QuerySet

from backend.access.policy import Action, staff_kind, visible
from backend.common.prepared import staff_instances
from backend.crm.models import Customer, DocumentLink
from backend.documents.models import Document, Tag


def customer_documents_visible(*, user, customer: Customer, kind: str = "", with_tags: bool = True) -> QuerySet[Document]:
    """Every document linked to the customer, directly or through its deals, quotes, orders and
    service records, that `user` may view; newest first, each once, with its links prefetched. The
    customer page asks with `with_tags` false: it shows neither the tags nor the people (owner, uploader,
    who holds it checked out), so only the valid version is joined."""
    linked_ids = DocumentLink.objects.filter(customer=customer).values("document_id")
    queryset = visible(user, Document.objects.filter(pk__in=linked_ids), Action.VIEW)
    if kind:
        queryset = queryset.filter(kind=kind)
    if with_tags:
        queryset = queryset.prefetch_related(Prefetch("tags", queryset=Tag.objects.only("id", "name"))).select_related(
            "owner", "valid_version__uploaded_by", "department", "checked_out_by")
    return (
        queryset.select_related("valid_version")
        .prefetch_related(
            Prefetch(
                "crm_links",
                queryset=DocumentLink.objects.filter(customer=customer).select_related(
                    "opportunity", "quote", "order", "service_record"
                ),
                to_attr="customer_links",
            ),
        )
        .order_by("-created_at", "-id")
    )


def links_for_document_visible(*, user, document: Document) -> QuerySet[DocumentLink]:
    return (
        visible(user, DocumentLink.objects.filter(document=document), Action.VIEW)
        .select_related("customer", "opportunity", "quote", "order", "service_record", "created_by")
        .order_by("-created_at")
    )


_DOCUMENT_SLOT = -(2**42) - 300  # a placeholder document id: never a real one


def links_for_document_page(*, user, document: Document) -> list[DocumentLink]:
    """links_for_document_visible's rows for the document page, from a query compiled once per kind of staff
    user and planned once per connection: the policy's filter (the document's and the customer's visibility)
    cost more to build and to plan (~10 ms in PostgreSQL's planner) than to run."""
    links = staff_instances(user, staff_kind(user), "crm.links_for_document_page",
                            lambda stand_in: links_for_document_visible(user=stand_in, document=_DOCUMENT_SLOT),
                            {"document": document.pk}, placeholders={_DOCUMENT_SLOT: "document"},
                            using=router.db_for_read(DocumentLink), required=("document",))
    return list(links_for_document_visible(user=user, document=document)) if links is None else links
