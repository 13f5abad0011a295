"""Reads of opportunities."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from backend.access.policy import Action, visible
from backend.common.errors import NotFound
from backend.common.query_fields import narrowed
from backend.crm.models import Opportunity, OpportunityStageChange


def opportunity_list_visible(*, user, customer_id: int | None = None, stage: str = "",
                             owner_id: int | None = None) -> QuerySet:
    queryset = visible(user, Opportunity.objects.all(), Action.VIEW).select_related("customer", "owner")
    return narrowed(queryset, customer_id=customer_id, stage=stage, owner_id=owner_id)


def opportunity_get_visible(*, user, opportunity_id: int) -> Opportunity:
    opportunity = (
        visible(user, Opportunity.objects.all(), Action.VIEW)
        .select_related("customer", "owner")
        .prefetch_related(
            Prefetch("stage_history", queryset=OpportunityStageChange.objects.select_related("changed_by"))
        )
        .filter(pk=opportunity_id)
        .first()
    )
    if opportunity is None:
        raise NotFound()
    return opportunity
