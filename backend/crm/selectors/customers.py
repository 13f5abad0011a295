"""Reads of customers and what hangs off them."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet

from backend.access.policy import Action, visible
from backend.common.errors import NotFound
from backend.crm.models import OPEN_STAGES, AccountTeamMember, Contact, Customer


def customer_list_visible(*, user, search: str = "", status: str = "", owner_id: int | None = None) -> QuerySet:
    queryset = visible(user, Customer.objects.all(), Action.VIEW).select_related("owner")
    if search:
        queryset = queryset.filter(Q(name__icontains=search) | Q(code__icontains=search))
    if status:
        queryset = queryset.filter(status=status)
    if owner_id:
        queryset = queryset.filter(owner_id=owner_id)
    return queryset.order_by("name", "id")


def customer_get_visible(
    *, user, customer_id: int, action: Action = Action.VIEW, detailed: bool = False
) -> Customer:
    """The customer if `user` may `action` it; NotFound otherwise (missing or not).

    `detailed` also loads the account team, contacts and the open-opportunity count.
    """
    queryset = visible(user, Customer.objects.all(), action).select_related("owner", "owner__department")
    if detailed:
        queryset = queryset.prefetch_related(
            Prefetch("team", queryset=AccountTeamMember.objects.select_related("user").order_by("added_at")),
            Prefetch("contacts", queryset=Contact.objects.order_by("-is_primary", "name")),
        ).annotate(
            open_opportunities=Count("opportunities", filter=Q(opportunities__stage__in=OPEN_STAGES), distinct=True)
        )
    customer = queryset.filter(pk=customer_id).first()
    if customer is None:
        raise NotFound()
    return customer
