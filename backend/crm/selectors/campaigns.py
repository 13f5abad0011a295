"""Reads of campaigns and leads: the list, one campaign with its materials, invitees, results, cost and
who engaged with its materials, and the leads a rep was given.

Results are attributed through leads: a campaign's opportunities and orders are those of the customers
that came to us as its leads. Every count and sum is narrowed to the rows the reader may see (a rep reads
their department's part of a campaign's results, an administrator all of it), so the page never reveals
another team's deals. Amounts are summed per currency, never across currencies.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Max, Min, Q, QuerySet, Sum
from django.utils import timezone

from backend.access.policy import Action, visible
from backend.audit.models import AuditEvent
from backend.common.errors import NotFound
from backend.crm.models import (
    Campaign, CampaignMaterial, CampaignParticipant, CampaignStatus, Customer, Expense, ExpenseStatus, Lead,
    LeadStatus, Opportunity, Order, OrderLine, OrderStatus, Stage,
)
from backend.documents.models import Document
from backend.sharing.audit_events import PORTAL_SHARE_DOWNLOADED, PORTAL_SHARE_VIEWED

SHARE_OPEN_EVENTS = (PORTAL_SHARE_VIEWED, PORTAL_SHARE_DOWNLOADED)
OPEN_LEAD_STATUSES = (LeadStatus.NEW, LeadStatus.CONTACTED)


def campaign_list_visible(*, user, status: str = "", q: str = "") -> QuerySet:
    """Campaigns `user` may see, newest first, with how many leads each brought (the reader's visible ones)."""
    leads = visible(user, Lead.objects.all()).values("pk")
    queryset = (visible(user, Campaign.objects.all()).select_related("owner")
                .annotate(lead_count=Count("leads", filter=Q(leads__in=leads), distinct=True)))
    if status in CampaignStatus.values:
        queryset = queryset.filter(status=status)
    q = (q or "").strip()[:100]
    if q:
        queryset = queryset.filter(Q(theme__icontains=q) | Q(region__icontains=q))
    return queryset.order_by("-starts_on", "-id")


def campaign_get_visible(*, user, campaign_id: int, action: Action = Action.VIEW) -> Campaign:
    campaign = visible(user, Campaign.objects.select_related("owner"), action).filter(pk=campaign_id).first()
    if campaign is None:
        raise NotFound()
    return campaign


def campaign_materials(*, user, campaign: Campaign) -> list[CampaignMaterial]:
    """The campaign's materials whose documents `user` may see (others are not named)."""
    documents = visible(user, Document.objects.all()).values("pk")
    return list(campaign.materials.filter(document__in=documents)
                .select_related("document", "document__valid_version", "added_by").order_by("added_at", "id"))


def campaign_participants(*, user, campaign: Campaign) -> list[CampaignParticipant]:
    customers = visible(user, Customer.objects.all()).values("pk")
    return list(campaign.participants.filter(customer__in=customers)
                .select_related("customer", "contact").order_by("customer__name", "id"))


def campaign_leads(*, user, campaign: Campaign) -> list[Lead]:
    return list(visible(user, Lead.objects.filter(campaign=campaign))
                .select_related("customer", "assigned_to", "recorded_by").order_by("-recorded_at", "-id"))


def _by_currency(rows, key: str = "total") -> dict[str, Decimal]:
    return {row["currency"]: row[key] or Decimal("0") for row in rows if row[key]}


@dataclass(frozen=True)
class CampaignResults:
    leads: int
    leads_assigned: int
    opportunities: int
    opportunities_open: int
    opportunities_won: int
    won_amounts: dict[str, Decimal]
    orders: int
    order_amounts: dict[str, Decimal]
    cost: dict[str, Decimal]          # approved expenses
    cost_pending: dict[str, Decimal]  # submitted, not yet decided
    invited: int
    attended: int


def campaign_results(*, user, campaign: Campaign) -> CampaignResults:
    """Leads, opportunities, orders and cost of a campaign, over the rows `user` may see (a few aggregate
    queries, none per row)."""
    leads = visible(user, Lead.objects.filter(campaign=campaign)).aggregate(
        total=Count("pk"), assigned=Count("pk", filter=Q(assigned_to__isnull=False)))
    lead_customers = Lead.objects.filter(campaign=campaign).values("customer_id")
    opportunities = visible(user, Opportunity.objects.filter(customer_id__in=lead_customers))
    opp_counts = opportunities.aggregate(
        total=Count("pk"), open=Count("pk", filter=~Q(stage__in=(Stage.WON, Stage.LOST))),
        won=Count("pk", filter=Q(stage=Stage.WON)))
    won = opportunities.filter(stage=Stage.WON).values("currency").annotate(total=Sum("amount")).order_by("currency")
    orders = visible(user, Order.objects.filter(customer_id__in=lead_customers)).exclude(
        status=OrderStatus.CANCELLED)
    order_amounts = (OrderLine.objects.filter(order__in=orders.values("pk")).values("order__currency")
                     .annotate(total=Sum("line_total")).order_by("order__currency"))
    expenses = visible(user, Expense.objects.filter(campaign=campaign))
    cost = expenses.filter(status=ExpenseStatus.APPROVED).values("currency").annotate(total=Sum("amount")) \
        .order_by("currency")
    pending = expenses.filter(status=ExpenseStatus.SUBMITTED).values("currency").annotate(total=Sum("amount")) \
        .order_by("currency")
    customers = visible(user, Customer.objects.all()).values("pk")
    participants = campaign.participants.filter(customer__in=customers).aggregate(
        invited=Count("pk"), attended=Count("pk", filter=Q(status="attended")))
    return CampaignResults(
        leads=leads["total"], leads_assigned=leads["assigned"],
        opportunities=opp_counts["total"], opportunities_open=opp_counts["open"],
        opportunities_won=opp_counts["won"], won_amounts=_by_currency(won),
        orders=orders.count(),
        order_amounts={row["order__currency"]: row["total"] for row in order_amounts if row["total"]},
        cost=_by_currency(cost), cost_pending=_by_currency(pending),
        invited=participants["invited"], attended=participants["attended"],
    )


@dataclass(frozen=True)
class Engagement:
    customer_id: int
    customer_name: str
    materials_opened: int
    views: int
    downloads: int
    first_at: dt.datetime
    last_at: dt.datetime


def campaign_engagement(*, user, campaign: Campaign) -> list[Engagement]:
    """Which customers opened the campaign's materials through their portal shares, how often and when —
    from the audit trail (portal.share.viewed / downloaded) since the campaign started, for the materials and
    customers `user` may see. One aggregate query and one for the names."""
    documents = visible(user, Document.objects.filter(campaign_uses__campaign=campaign)).values_list("pk", flat=True)
    target_ids = [str(pk) for pk in documents]
    if not target_ids:
        return []
    since = timezone.make_aware(dt.datetime.combine(campaign.starts_on, dt.time.min))
    customer_ids = visible(user, Customer.objects.all()).values("pk")
    rows = list(
        AuditEvent.objects.filter(target_type="documents.document", target_id__in=target_ids,
                                  event_type__in=SHARE_OPEN_EVENTS, outcome="success", occurred_at__gte=since,
                                  customer_id__in=customer_ids)
        .values("customer_id")
        .annotate(materials=Count("target_id", distinct=True),
                  views=Count("id", filter=Q(event_type=PORTAL_SHARE_VIEWED)),
                  downloads=Count("id", filter=Q(event_type=PORTAL_SHARE_DOWNLOADED)),
                  first_at=Min("occurred_at"), last_at=Max("occurred_at"))
        .order_by("-last_at")
    )
    names = dict(Customer.objects.filter(pk__in=[row["customer_id"] for row in rows]).values_list("pk", "name"))
    return [Engagement(customer_id=row["customer_id"], customer_name=names.get(row["customer_id"], "?"),
                       materials_opened=row["materials"], views=row["views"], downloads=row["downloads"],
                       first_at=row["first_at"], last_at=row["last_at"]) for row in rows]


# --- leads -------------------------------------------------------------------------------------------


def lead_list_visible(*, user, status: str = "", campaign_id: int | None = None) -> QuerySet:
    queryset = visible(user, Lead.objects.all()).select_related("customer", "campaign", "assigned_to", "recorded_by")
    if status in LeadStatus.values:
        queryset = queryset.filter(status=status)
    if campaign_id:
        queryset = queryset.filter(campaign_id=campaign_id)
    return queryset.order_by("-recorded_at", "-id")


def lead_get_visible(*, user, lead_id: int, action: Action = Action.VIEW) -> Lead:
    lead = visible(user, Lead.objects.select_related("customer", "customer__owner", "campaign"), action) \
        .filter(pk=lead_id).first()
    if lead is None:
        raise NotFound()
    return lead


def leads_for_rep(*, user, limit: int = 10) -> list[Lead]:
    """The leads assigned to `user` that they still own and have not qualified or dropped: their home
    page's list, newest first."""
    return list(Lead.objects.filter(assigned_to_id=user.pk, customer__owner_id=user.pk,
                                    status__in=OPEN_LEAD_STATUSES)
                .select_related("customer", "campaign").order_by("-assigned_at", "-id")[:limit])


def campaign_choices(*, user) -> list[Campaign]:
    """Campaigns to attribute a lead or an expense to: those not cancelled, newest first (at most 100)."""
    return list(visible(user, Campaign.objects.exclude(status=CampaignStatus.CANCELLED))
                .only("pk", "theme", "starts_on").order_by("-starts_on", "-id")[:100])
