"""Opportunities and their way along the sales funnel."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.utils import timezone

from backend.access.policy import Action
from backend.access.services import require
from backend.audit import services as audit
from backend.common.errors import InvalidInput
from backend.crm.models import (
    CLOSED_STAGES,
    DEFAULT_PROBABILITY,
    OPEN_STAGES,
    Competitor,
    Currency,
    Customer,
    Opportunity,
    OpportunityStageChange,
    Stage,
)
from backend.crm.services.common import money, require_editable
from backend.crm.services.opportunity_products import deal_products_stage_moved
from backend.crm.services.opportunity_reached import funnel_step, reached_after


def _check_currency(currency: str) -> None:
    if currency not in Currency.values:
        raise InvalidInput("Unknown currency.", fields={"currency": [f"Choose one of: {', '.join(Currency.values)}."]})


# --- competitors -----------------------------------------------------------------------------------

COMPETITOR_SEPARATORS = re.compile(r"[,，、;；/\n]+")
COMPETITOR_NAME_LENGTH = 100
MAX_COMPETITORS = 20


def competitor_names(value) -> list[str]:
    """The distinct competitor names in `value`: a text ("DMG Mori, Haas、海天精工"), texts, or Competitor
    records; spaces tidied, case-insensitively unique, in the order given. 400 for a name that is too long
    or too many names (the field is `competitors`)."""
    if value is None:
        return []
    items = [value] if isinstance(value, str) else value
    parts = [part for item in items for part in (
        [item.name] if isinstance(item, Competitor) else COMPETITOR_SEPARATORS.split(str(item)))]
    names: list[str] = []
    seen: set[str] = set()
    for part in parts:
        name = " ".join(str(part).split())
        if not name or name.casefold() in seen:
            continue
        if len(name) > COMPETITOR_NAME_LENGTH:
            message = f"Keep each competitor's name under {COMPETITOR_NAME_LENGTH} characters."
            raise InvalidInput(message, fields={"competitors": [message]})
        seen.add(name.casefold())
        names.append(name)
    if len(names) > MAX_COMPETITORS:
        message = f"At most {MAX_COMPETITORS} competitors."
        raise InvalidInput(message, fields={"competitors": [message]})
    return names


def _competitors_named(*, actor, names: Iterable[str]) -> list[Competitor]:
    """The records of these names, creating (and auditing) the ones nobody named before. Runs inside the
    caller's transaction, after its access check; two reps naming a new competitor at once get one row."""
    records = []
    for name in names:
        record = Competitor.objects.filter(name__iexact=name).first()
        if record is None:
            try:
                with transaction.atomic():
                    record = Competitor.objects.create(name=name)
            except IntegrityError:
                record = Competitor.objects.get(name__iexact=name)
            else:
                audit.record("crm.competitor.created", actor=actor, target=record, detail={"name": name})
        records.append(record)
    return records


def _check_probability(probability, stage: str) -> int:
    try:
        value = int(str(probability).strip())
    except (TypeError, ValueError):
        raise InvalidInput("Probability must be a whole number from 0 to 100.",
                           fields={"probability": ["Enter a whole number from 0 to 100."]}) from None
    if not 0 <= value <= 100:
        raise InvalidInput("Probability must be a whole number from 0 to 100.",
                           fields={"probability": ["Enter a whole number from 0 to 100."]})
    if stage in CLOSED_STAGES and value != DEFAULT_PROBABILITY[Stage(stage)]:
        raise InvalidInput("A won or lost deal's probability follows its outcome.",
                           fields={"probability": ["Reopen the deal to change its probability."]})
    return value


# --- opportunities ---------------------------------------------------------------------------------


def opportunity_create(
    *,
    actor,
    customer: Customer,
    title: str,
    amount=0,
    currency: str = Currency.CNY,
    expected_close: dt.date | None = None,
    competitors=(),
    stage: str = Stage.LEAD,
    probability: int | None = None,
) -> Opportunity:
    """Open a deal for `customer`. `competitors`: names (or a text of names, or records); new names become
    Competitor records. `probability` defaults to the stage's."""
    require(actor=actor, action=Action.CHANGE, obj=customer)
    if not title or not title.strip():
        raise InvalidInput("A title is required.", fields={"title": ["A title is required."]})
    if stage not in OPEN_STAGES:
        raise InvalidInput("A new opportunity starts in an open stage.",
                           fields={"stage": [f"Choose one of: {', '.join(OPEN_STAGES)}."]})
    _check_currency(currency)
    amount = money(amount, field="amount")
    probability = DEFAULT_PROBABILITY[Stage(stage)] if probability is None else _check_probability(probability, stage)
    names = competitor_names(competitors)
    now = timezone.now()
    with transaction.atomic():
        opportunity = Opportunity.objects.create(
            customer=customer, title=title.strip(), amount=amount, currency=currency,
            expected_close=expected_close, owner=actor, stage=stage,
            probability=probability, created_at=now, updated_at=now, reached_stage=funnel_step(stage),
        )
        if names:
            opportunity.competitors.set(_competitors_named(actor=actor, names=names))
        OpportunityStageChange.objects.create(opportunity=opportunity, from_stage="", to_stage=stage,
                                              changed_by=actor, changed_at=now)
        audit.record("crm.opportunity.created", actor=actor, target=opportunity, customer_id=customer.pk,
                     detail={"title": opportunity.title, "amount": str(amount), "currency": currency,
                             "stage": stage, "probability": probability, "competitors": names})
    return opportunity


def opportunity_update(*, actor, opportunity: Opportunity, **changes) -> Opportunity:
    """Change a deal's details: title, amount, currency, expected close, probability (0-100; a won or lost
    deal keeps its outcome's), competitors (names; the whole list). One audit event lists what changed;
    nothing changed, nothing recorded."""
    require_editable(changes, ("title", "amount", "currency", "expected_close", "competitors", "probability"),
                     hint="; stages change through the funnel")
    require(actor=actor, action=Action.CHANGE, obj=opportunity)
    if "amount" in changes:
        changes["amount"] = money(changes["amount"], field="amount")
    if "currency" in changes:
        _check_currency(changes["currency"])
    if "title" in changes:
        if not (changes["title"] or "").strip():
            raise InvalidInput("A title is required.", fields={"title": ["A title is required."]})
        changes["title"] = changes["title"].strip()
    names = competitor_names(changes.pop("competitors")) if "competitors" in changes else None
    with transaction.atomic():
        locked = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
        if "probability" in changes:
            changes["probability"] = _check_probability(changes["probability"], locked.stage)
        diff = {k: [str(getattr(locked, k)), str(v)] for k, v in changes.items() if getattr(locked, k) != v}
        if names is not None:
            before = sorted(locked.competitors.values_list("name", flat=True), key=str.casefold)
            after = sorted(names, key=str.casefold)
            if [n.casefold() for n in before] != [n.casefold() for n in after]:
                records = _competitors_named(actor=actor, names=names)
                locked.competitors.set(records)
                diff["competitors"] = [", ".join(before),
                                       ", ".join(sorted((r.name for r in records), key=str.casefold))]
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
        closed_before = locked.closed_at
        locked.stage = stage
        locked.probability = DEFAULT_PROBABILITY[Stage(stage)]
        locked.lost_reason = lost_reason.strip() if stage == Stage.LOST else ""
        locked.closed_at = now if stage in CLOSED_STAGES else None
        locked.updated_at = now
        locked.reached_stage = reached_after(locked.reached_stage, stage)  # (the history below takes the stage)
        locked.save(update_fields=["stage", "probability", "lost_reason", "closed_at", "updated_at", "reached_stage"])
        OpportunityStageChange.objects.create(opportunity=locked, from_stage=current, to_stage=stage,
                                              changed_by=actor, changed_at=now, note=note[:300])
        deal_products_stage_moved(opportunity_id=locked.pk, before=(current, closed_before),
                                  after=(stage, locked.closed_at))
        audit.record("crm.opportunity.stage_changed", actor=actor, target=locked, customer_id=locked.customer_id,
                     detail={"from": current, "to": stage, "lost_reason": locked.lost_reason, "reopen": reopen})
    return locked

