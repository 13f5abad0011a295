"""Service records (issues, complaints, maintenance and follow-up visits) and their dispatch.

Dispatch moves strictly in order, one step at a time, each step stamped:

    not_dispatched → dispatched (an engineer is assigned; awaiting confirmation)
                   → confirmed (by the assigned engineer only)
                   → resolved (with a resolution) → closed

A step out of order is a 400 naming the current state and the one step allowed from it.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from backend.access.policy import Action
from backend.access.policy.crm import (
    may_be_dispatched_as_engineer,
    may_open_service_record_for,
    may_turn_service_into_knowledge,
)
from backend.access.services import require
from backend.accounts.models import User
from backend.audit import services as audit
from backend.common.errors import InvalidInput, PermissionDenied
from backend.crm.models import (
    Activity,
    ActivityKind,
    ArticleVisibility,
    Customer,
    DispatchState,
    KnowledgeArticle,
    Order,
    Priority,
    Product,
    ServiceRecord,
    ServiceType,
)
from backend.crm.services.service_levels import (
    service_level_stamp,
    service_notify_dispatched,
    service_notify_request,
)

S = DispatchState
NEXT_STATE: dict[str, str | None] = {
    S.NOT_DISPATCHED: S.DISPATCHED,
    S.DISPATCHED: S.CONFIRMED,
    S.CONFIRMED: S.RESOLVED,
    S.RESOLVED: S.CLOSED,
    S.CLOSED: None,
}
STAMP = {S.DISPATCHED: "dispatched_at", S.CONFIRMED: "confirmed_at", S.RESOLVED: "resolved_at",
         S.CLOSED: "closed_at"}
RATEABLE = (S.RESOLVED, S.CLOSED)


def _deny(actor, record: ServiceRecord, action: str) -> PermissionDenied:
    audit.record("crm.access.denied", actor=actor, target=record, outcome="denied", customer_id=record.customer_id,
                 detail={"action": action})
    return PermissionDenied()


def service_record_create(
    *,
    actor,
    customer: Customer,
    title: str,
    type: str = ServiceType.ISSUE,
    priority: str = Priority.NORMAL,
    description: str = "",
    product: Product | None = None,
    order: Order | None = None,
) -> ServiceRecord:
    if not may_open_service_record_for(actor, customer):
        require(actor=actor, action=Action.CHANGE, obj=customer)  # records the denial and raises
    errors: dict[str, list[str]] = {}
    title = (title or "").strip()
    if not title:
        errors["title"] = ["A title is required."]
    if type not in ServiceType.values:
        errors["type"] = [f"Choose one of: {', '.join(ServiceType.values)}."]
    if priority not in Priority.values:
        errors["priority"] = [f"Choose one of: {', '.join(Priority.values)}."]
    if order is not None and order.customer_id != customer.pk:
        errors["order"] = ["The order belongs to another customer."]
    if errors:
        raise InvalidInput("The service record is invalid.", fields=errors)
    with transaction.atomic():
        record = ServiceRecord.objects.create(
            customer=customer, product=product, order=order, type=type, priority=priority, title=title[:200],
            description=description or "", created_by=actor, created_at=timezone.now(),
        )
        service_level_stamp(record)
        service_notify_request(record=record)
        audit.record("crm.service.created", actor=actor, target=record, customer_id=customer.pk, detail={
            "type": type, "priority": priority, "title": record.title,
            "product": product.code if product else None, "order": order.number if order else None,
        })
    return record


def _step(
    *, actor, record: ServiceRecord, to: str, check=None, apply=None, detail: dict | None = None
) -> ServiceRecord:
    """Move `record` one dispatch step to `to`, under a row lock; 400 if `to` is not the next step."""
    require(actor=actor, action=Action.CHANGE, obj=record)
    with transaction.atomic():
        locked = ServiceRecord.objects.select_for_update().get(pk=record.pk)
        expected = NEXT_STATE[locked.dispatch_state]
        if expected != to:
            current = S(locked.dispatch_state)
            allowed = f"“{expected}” ({S(expected).label})" if expected else "nothing (it is closed)"
            message = (f"The service record is “{current.value}” ({current.label}); "
                       f"the only allowed next step is {allowed}, not “{to}”.")
            raise InvalidInput(message, fields={"dispatch_state": [message]}, current=current.value,
                               allowed=[expected] if expected else [])
        if check is not None:
            check(locked)
        previous = locked.dispatch_state
        now = timezone.now()
        locked.dispatch_state = to
        setattr(locked, STAMP[to], now)
        changed = ["dispatch_state", STAMP[to]]
        if apply is not None:
            changed += apply(locked)
        locked.save(update_fields=changed)
        from backend.notifications import triggers as notifications

        notifications.service_request_state_changed(record=locked, previous=previous)
        audit.record("crm.service.dispatch_changed", actor=actor, target=locked, customer_id=locked.customer_id,
                     detail={"from": previous, "to": to, **(detail or {})})
    return locked


def service_record_dispatch(*, actor, record: ServiceRecord, engineer: User) -> ServiceRecord:
    """Assign an engineer; the record then waits for the engineer to confirm."""
    if not may_be_dispatched_as_engineer(engineer):
        raise InvalidInput("The engineer must be an active member of the service staff.",
                           fields={"engineer": ["Choose an active service engineer."]})

    def apply(locked):
        locked.engineer = engineer
        service_notify_dispatched(record=locked, engineer=engineer, actor=actor)
        return ["engineer"]

    return _step(actor=actor, record=record, to=S.DISPATCHED, apply=apply,
                 detail={"engineer": engineer.username})


def service_record_confirm(*, actor, record: ServiceRecord) -> ServiceRecord:
    """The assigned engineer accepts the job. Anyone else is refused like a missing record (404)."""
    # Checked before the transaction too, so the recorded denial is not rolled back with it.
    if record.dispatch_state == S.DISPATCHED and record.engineer_id != actor.pk:
        raise _deny(actor, record, "confirm")

    def check(locked):
        if locked.engineer_id != actor.pk:
            raise PermissionDenied()

    return _step(actor=actor, record=record, to=S.CONFIRMED, check=check)


def service_record_resolve(*, actor, record: ServiceRecord, resolution: str) -> ServiceRecord:
    """Resolve the record; when SERVICE_FOLLOW_UP_DAYS says so, a follow-up visit is scheduled with it."""
    resolution = (resolution or "").strip()
    if not resolution:
        raise InvalidInput("Describe the resolution.", fields={"resolution": ["A resolution is required."]})

    def apply(locked):
        locked.resolution = resolution
        return ["resolution"]

    # Checked before the transaction too, so a recorded denial is not rolled back with it.
    require(actor=actor, action=Action.CHANGE, obj=record)
    with transaction.atomic():
        resolved = _step(actor=actor, record=record, to=S.RESOLVED, apply=apply)
        _follow_up_schedule(actor=actor, record=resolved)
    return resolved


def service_follow_up_due(record: ServiceRecord) -> dt.datetime | None:
    """When the follow-up visit (回访) of a resolved record is due, or None when none is scheduled:
    SERVICE_FOLLOW_UP_DAYS is 0, the record is not resolved, or it is itself a follow-up visit (which would
    otherwise schedule follow-ups of follow-ups forever)."""
    days = settings.SERVICE_FOLLOW_UP_DAYS
    if days <= 0 or record.resolved_at is None or record.type == ServiceType.FOLLOW_UP:
        return None
    return record.resolved_at + dt.timedelta(days=days)


def _follow_up_schedule(*, actor, record: ServiceRecord) -> Activity | None:
    """Schedule the follow-up visit of a record `actor` has just resolved (called by service_record_resolve, in
    its transaction): a next-step reminder due SERVICE_FOLLOW_UP_DAYS later, for the customer's owner.

    The owner, not the engineer nor the service department: a reminder is an Activity of the customer, and only
    those who may change the customer (its owner, team, administrators) may mark it done; it shows in the
    owner's reminders and work log, and moves with their book at a handover. The engineer who resolved it is
    named in the reminder, so the owner knows whom to ask."""
    due_at = service_follow_up_due(record)
    if due_at is None:
        return None
    customer = record.customer
    engineer = record.engineer
    subject = gettext("Follow-up visit: %(title)s") % {"title": record.title}
    body = gettext("Service record #%(number)s was resolved by %(engineer)s on %(date)s: %(resolution)s") % {
        "number": record.pk, "engineer": engineer or actor, "date": timezone.localdate(record.resolved_at),
        "resolution": record.resolution}
    with transaction.atomic():
        activity = Activity.objects.create(
            customer=customer, kind=ActivityKind.REMINDER, subject=subject[:200], body=body,
            occurred_at=record.resolved_at, due_at=due_at, owner=customer.owner, created_at=timezone.now(),
        )
        audit.record("crm.service.follow_up_scheduled", actor=actor, target=record, customer_id=customer.pk,
                     detail={"activity": activity.pk, "owner": customer.owner.username,
                             "due_at": due_at.isoformat(), "days": settings.SERVICE_FOLLOW_UP_DAYS})
    return activity


def service_record_close(*, actor, record: ServiceRecord) -> ServiceRecord:
    return _step(actor=actor, record=record, to=S.CLOSED)


def service_record_rate(*, actor, record: ServiceRecord, satisfaction) -> ServiceRecord:
    """The customer's satisfaction, 1–5, once the record is resolved or closed. A new score replaces the old."""
    require(actor=actor, action=Action.CHANGE, obj=record)
    return rate_record(actor=actor, record=record, satisfaction=satisfaction, event="crm.service.rated")


def rate_record(*, actor, record: ServiceRecord, satisfaction, event: str) -> ServiceRecord:
    """Record a 1–5 score on a resolved or closed record. The caller has checked who may rate."""
    try:
        score = int(satisfaction)
        if str(satisfaction).strip() != str(score) or not 1 <= score <= 5:
            raise ValueError
    except (TypeError, ValueError):
        raise InvalidInput("The satisfaction score is a whole number from 1 to 5.",
                           fields={"satisfaction": ["Enter a whole number from 1 to 5."]}) from None
    with transaction.atomic():
        locked = ServiceRecord.objects.select_for_update().get(pk=record.pk)
        if locked.dispatch_state not in RATEABLE:
            message = (f"The service record is “{locked.dispatch_state}”; it can be rated once it is resolved "
                       "or closed.")
            raise InvalidInput(message, fields={"satisfaction": [message]}, current=locked.dispatch_state)
        previous = locked.satisfaction
        locked.satisfaction = score
        locked.save(update_fields=["satisfaction"])
        audit.record(event, actor=actor, target=locked, customer_id=locked.customer_id,
                     detail={"satisfaction": score, "previous": previous})
    return locked


def service_record_to_article(*, actor, record: ServiceRecord) -> KnowledgeArticle:
    """Draft an internal knowledge article from a resolved (or closed) record: its problem and its fix."""
    require(actor=actor, action=Action.VIEW, obj=record)
    if not may_turn_service_into_knowledge(actor):
        raise _deny(actor, record, "to_article")
    if record.dispatch_state not in RATEABLE:
        message = (f"The service record is “{record.dispatch_state}”; only a resolved or closed record "
                   "becomes an article.")
        raise InvalidInput(message, fields={"dispatch_state": [message]}, current=record.dispatch_state)
    body = "\n\n".join(part for part in (
        f"## Problem\n\n{record.description.strip()}" if record.description.strip() else "",
        f"## Resolution\n\n{record.resolution.strip()}",
    ) if part)
    now = timezone.now()
    with transaction.atomic():
        article = KnowledgeArticle.objects.create(
            title=record.title, body=body, product_id=record.product_id, visibility=ArticleVisibility.INTERNAL,
            source_service_record=record, author=actor, created_at=now, updated_at=now,
        )
        audit.record("crm.article.created", actor=actor, target=article, customer_id=record.customer_id,
                     detail={"title": article.title, "from_service_record": record.pk})
    return article
