"""Reads of opportunities and the competitors named on them."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet

from backend.access.policy import Action, visible
from backend.common.errors import NotFound
from backend.common.query_fields import narrowed
from backend.crm.models import Competitor, DocumentLink, Opportunity, OpportunityStageChange, Quote, Stage
from backend.crm.selectors.quotes import quote_list_visible
from backend.documents.models import Document


def opportunity_list_visible(*, user, customer_id: int | None = None, stage: str = "",
                             owner_id: int | None = None) -> QuerySet:
    queryset = visible(user, Opportunity.objects.all(), Action.VIEW).select_related("customer", "owner")
    return narrowed(queryset, customer_id=customer_id, stage=stage, owner_id=owner_id)


def opportunity_board_cards(*, opportunities: QuerySet, per_stage: int) -> list[Opportunity]:
    """The newest `per_stage` of each stage among `opportunities` (a visible queryset, already filtered),
    newest first, with customer and owner. Each stage's newest are read along `opp_stage_updated_idx`
    (stage, updated_at desc, id desc), one LIMITed branch per stage in one statement, so PostgreSQL stops
    after the rows it shows: ranking every deal with a window function sorted all 16,000 open deals of
    bench/pages.py's world to keep 180."""
    newest = opportunities.order_by().values("pk")
    branches = [newest.filter(stage=stage).order_by("-updated_at", "-id")[:per_stage] for stage in Stage.values]
    chosen = branches[0].union(*branches[1:], all=True)
    return list(Opportunity.objects.filter(pk__in=chosen).select_related("customer", "owner")
                .order_by("-updated_at", "-id"))


def opportunity_get_visible(*, user, opportunity_id: int, action: Action = Action.VIEW) -> Opportunity:
    opportunity = (
        visible(user, Opportunity.objects.all(), action)
        .select_related("customer", "owner")
        .prefetch_related(
            Prefetch("stage_history", queryset=OpportunityStageChange.objects.select_related("changed_by")),
            "competitors",
        )
        .filter(pk=opportunity_id)
        .first()
    )
    if opportunity is None:
        raise NotFound()
    return opportunity


@dataclass(frozen=True)
class OpportunityPage:
    """What the opportunity page shows: the deal (with competitors and stage history), whether the user
    may change it, its quotes and the documents linked to it that the user may see."""

    opportunity: Opportunity
    changeable: bool
    quotes: list[Quote]
    documents: list[Document]


def opportunity_page(*, user, opportunity_id: int) -> OpportunityPage:
    opportunity = opportunity_get_visible(user=user, opportunity_id=opportunity_id)
    changeable = visible(user, Opportunity.objects.filter(pk=opportunity.pk), Action.CHANGE).exists()
    quotes = list(quote_list_visible(user=user).filter(opportunity_id=opportunity.pk).order_by("-created_at", "-id"))
    linked = DocumentLink.objects.filter(opportunity_id=opportunity.pk).values("document_id")
    documents = list(
        visible(user, Document.objects.filter(pk__in=linked), Action.VIEW)
        .select_related("valid_version").order_by("-updated_at", "-id")[:50]
    )
    return OpportunityPage(opportunity=opportunity, changeable=changeable, quotes=quotes, documents=documents)


def competitor_list_visible(*, user, search: str = "") -> QuerySet[Competitor]:
    """Competitors by part of their name (all of them without `search`), A to Z."""
    queryset = visible(user, Competitor.objects.all(), Action.VIEW)
    search = " ".join((search or "").split())
    if search:
        queryset = queryset.filter(Q(name__icontains=search))
    return queryset.order_by("name", "id")
