"""What a portal user (a customer's contact, role "portal") may see: their own customer's rows, read-only.

They get none of the staff rules. They see, read-only, what belongs to their own customer: documents
shared with it (sharing.py), its orders and invoices, its service records with the notes meant for
the customer, published portal articles addressed to every customer or to theirs, and published
announcements likewise. They may follow up their own customer's service records (comment, rate,
complain). A disabled or not yet activated portal account may do nothing.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from backend.access.policy.registry import register_portal
from backend.access.policy.users import portal_customer_id
from backend.crm.models import (
    Announcement,
    ArticleStatus,
    ArticleVisibility,
    Customer,
    Invoice,
    KnowledgeArticle,
    Order,
    ServiceAttachment,
    ServiceNote,
    ServiceRecord,
)


def _own_customer_q(customer_id: int) -> Q:
    return Q(customer_id=customer_id)


def _customer_q(customer_id: int) -> Q:
    return Q(pk=customer_id)


def _invoice_q(customer_id: int) -> Q:
    return Q(order__customer_id=customer_id)


def _service_note_q(customer_id: int) -> Q:
    return Q(record__customer_id=customer_id) & (Q(from_customer=True) | Q(visible_to_customer=True))


def _service_attachment_q(customer_id: int) -> Q:
    # Files of the request itself and of notes meant for the customer; never an internal note's files.
    return Q(record__customer_id=customer_id) & (Q(note__isnull=True) | Q(note__visible_to_customer=True))


def _article_q(customer_id: int) -> Q:
    through = KnowledgeArticle.audience_customers.through.objects
    addressed = through.filter(knowledgearticle_id=OuterRef("pk"))
    return (
        Q(status=ArticleStatus.PUBLISHED, visibility=ArticleVisibility.PORTAL)
        & (~Exists(addressed) | Exists(addressed.filter(customer_id=customer_id)))
    )


def _announcement_q(customer_id: int) -> Q:
    addressed = Announcement.customers.through.objects.filter(announcement_id=OuterRef("pk"), customer_id=customer_id)
    return Q(published_at__isnull=False, published_at__lte=timezone.now()) & (Q(all_customers=True) | Exists(addressed))


register_portal(Order, ServiceRecord, q=_own_customer_q)
register_portal(Customer, q=_customer_q)
register_portal(Invoice, q=_invoice_q)
register_portal(ServiceNote, q=_service_note_q)
register_portal(ServiceAttachment, q=_service_attachment_q)
register_portal(KnowledgeArticle, q=_article_q)
register_portal(Announcement, q=_announcement_q)


def portal_can_follow_up(user, record: ServiceRecord) -> bool:
    """A portal user may comment on, rate and complain about their own customer's service records."""
    customer_id = portal_customer_id(user)
    return customer_id is not None and record.customer_id == customer_id
