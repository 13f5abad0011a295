"""Opportunities and their way along the sales funnel."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from backend.access.policy import Action
from backend.access.services import require
from backend.audit import services as audit
from backend.common.errors import InvalidInput
from backend.crm.models import (
    CLOSED_STAGES,
    DEFAULT_PROBABILITY,
    OPEN_STAGES,
    Currency,
    Customer,
    Opportunity,
    OpportunityStageChange,
    Stage,
)
from backend.crm.services.common import money, require_editable


def _check_currency(currency: str) -> None:
    if currency not in Currency.values:
        raise InvalidInput("Unknown currency.", fields={"currency": [f"Choose one of: {', '.join(Currency.values)}."]})


def opportunity_create(
    *,
    actor,
    customer: Customer,
    title: str,
    amount=0,
    currency: str = Currency.CNY,
    expected_close: dt.date | None = None,
    competitors: str = "",
    stage: str = Stage.LEAD,
) -> Opportunity:
    require(actor=actor, action=Action.CHANGE, obj=customer)
    if not title or not title.strip():
        raise InvalidInput("A title is required.", fields={"title": ["A title is required."]})
    if stage not in OPEN_STAGES:
        raise InvalidInput("A new opportunity starts in an open stage.",
                           fields={"stage": [f"Choose one of: {', '.join(OPEN_STAGES)}."]})
    _check_currency(currency)
    amount = money(amount, field="amount")
    now = timezone.now()
    with transaction.atomic():
        opportunity = Opportunity.objects.create(
            customer=customer, title=title.strip(), amount=amount, currency=currency,
            expected_close=expected_close, owner=actor, competitors=competitors, stage=stage,
            probability=DEFAULT_PROBABILITY[Stage(stage)], created_at=now, updated_at=now,
        )
        OpportunityStageChange.objects.create(opportunity=opportunity, from_stage="", to_stage=stage,
                                              changed_by=actor, changed_at=now)
        audit.record("crm.opportunity.created", actor=actor, target=opportunity, customer_id=customer.pk,
                     detail={"title": opportunity.title, "amount": str(amount), "currency": currency,
                             "stage": stage})
    return opportunity


def opportunity_update(*, actor, opportunity: Opportunity, **changes) -> Opportunity:
    require_editable(changes, ("title", "amount", "currency", "expected_close", "competitors"),
                     hint="; stages change through the funnel")
    require(actor=actor, action=Action.CHANGE, obj=opportunity)
    if "amount" in changes:
        changes["amount"] = money(changes["amount"], field="amount")
    if "currency" in changes:
        _check_currency(changes["currency"])
    if "title" in changes and not (changes["title"] or "").strip():
        raise InvalidInput("A title is required.", fields={"title": ["A title is required."]})
    with transaction.atomic():
        locked = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
        diff = {k: [str(getattr(locked, k)), str(v)] for k, v in changes.items() if getattr(locked, k) != v}
        for field, value in changes.items():
            setattr(locked, field, value)
        if diff:
            locked.updated_at = timezone.now()
            locked.save()
            audit.record("crm.opportunity.updated", actor=actor, target=locked, customer_id=locked.customer_id,
                         detail={"changes": diff})
    return locked


def opportunity_stage_change(
    *, actor, opportunity: Opportunity, stage: str, lost_reason: str = "", note: str = "",
    reopen: bool = False,
) -> Opportunity:
    """Move along the funnel. Won and lost are final unless `reopen=True` moves the deal back to an open stage."""
    require(actor=actor, action=Action.CHANGE, obj=opportunity)
    if stage not in Stage.values:
        raise InvalidInput("Unknown stage.", fields={"stage": [f"Choose one of: {', '.join(Stage.values)}."]})
    with transaction.atomic():
        locked = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
        current = locked.stage
        if stage == current:
            raise InvalidInput(f"The opportunity is already in {locked.get_stage_display()}.",
                               fields={"stage": ["That is the current stage."]})
        if current in CLOSED_STAGES:
            if not reopen:
                raise InvalidInput(
                    f"The opportunity is {locked.get_stage_display().lower()}; reopen it (reopen=true) to move it "
                    f"back to an open stage.",
                    fields={"stage": ["Closed deals must be reopened first."]},
                )
            if stage not in OPEN_STAGES:
                raise InvalidInput("Reopening moves a deal to an open stage.",
                                   fields={"stage": [f"Choose one of: {', '.join(OPEN_STAGES)}."]})
        elif reopen:
            raise InvalidInput("Only won or lost deals can be reopened.", fields={"reopen": ["The deal is open."]})
        if stage == Stage.LOST and not lost_reason.strip():
            raise InvalidInput("Say why the deal was lost.", fields={"lost_reason": ["A reason is required."]})
        now = timezone.now()
        locked.stage = stage
        locked.probability = DEFAULT_PROBABILITY[Stage(stage)]
        locked.lost_reason = lost_reason.strip() if stage == Stage.LOST else ""
        locked.closed_at = now if stage in CLOSED_STAGES else None
        locked.updated_at = now
        locked.save(update_fields=["stage", "probability", "lost_reason", "closed_at", "updated_at"])
        OpportunityStageChange.objects.create(opportunity=locked, from_stage=current, to_stage=stage,
                                              changed_by=actor, changed_at=now, note=note[:300])
        audit.record("crm.opportunity.stage_changed", actor=actor, target=locked, customer_id=locked.customer_id,
                     detail={"from": current, "to": stage, "lost_reason": locked.lost_reason, "reopen": reopen})
    return locked

