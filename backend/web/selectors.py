"""Reads the staff pages need that no app selector answers in one query yet. Visibility is the policy's."""

from __future__ import annotations

from collections import defaultdict

from backend.access.policy import Action, visible
from backend.crm.models import DocumentLink, Opportunity


def customers_for_documents(*, user, document_ids) -> dict[int, list[tuple[int, str]]]:
    """For each document id, the (id, name) of the linked customers `user` may see. One query."""
    ids = list(document_ids)
    out: dict[int, list[tuple[int, str]]] = defaultdict(list)
    if not ids:
        return out
    rows = (
        visible(user, DocumentLink.objects.filter(document_id__in=ids), Action.VIEW)
        .values_list("document_id", "customer_id", "customer__name")
        .order_by("document_id", "customer__name")
        .distinct()
    )
    for document_id, customer_id, name in rows:
        if (customer_id, name) not in out[document_id]:
            out[document_id].append((customer_id, name))
    return out


def opportunity_ids_changeable(*, user, ids) -> set[int]:
    """Which of these opportunities `user` may change (one query, decided by the policy)."""
    ids = list(ids)
    if not ids:
        return set()
    return set(visible(user, Opportunity.objects.filter(pk__in=ids), Action.CHANGE).values_list("pk", flat=True))


def service_record_ids_changeable(*, user, ids) -> set[int]:
    """Which of these service records `user` may move along the dispatch states (one query)."""
    from backend.crm.models import ServiceRecord

    ids = list(ids)
    if not ids:
        return set()
    return set(visible(user, ServiceRecord.objects.filter(pk__in=ids), Action.CHANGE).values_list("pk", flat=True))


def service_engineers():
    """Active service staff who can be dispatched."""
    from backend.accounts.models import Role, User

    return User.objects.filter(role=Role.SERVICE, is_active=True).order_by("display_name", "username")


def announcement_ids_changeable(*, user, ids) -> set[int]:
    """Which of these announcements `user` may publish or withdraw (one query, decided by the policy)."""
    from backend.crm.models import Announcement

    ids = list(ids)
    if not ids:
        return set()
    return set(visible(user, Announcement.objects.filter(pk__in=ids), Action.CHANGE).values_list("pk", flat=True))
