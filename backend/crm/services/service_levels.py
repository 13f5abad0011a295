"""Service levels: response and resolution targets per priority and type, each record's due times, and the
escalation of breaches to the service managers.

* Administrators set the targets (`service_levels_set`). The targets in force apply to every record still
  open: saving re-times the records not yet resolved, so the desk and the clocks always follow the table.
* A new record is stamped with its due times when it is opened (`service_level_stamp`, called by the two
  ways a record is opened: staff's `service_record_create` and the portal's `service_request_submit`).
* A beat task (`service_levels_escalate`, every SERVICE_LEVEL_SCAN_SECONDS) escalates to the service managers,
  once each: a record not dispatched by its response due time, one not resolved by its resolution due time,
  and a dispatch the engineer has not confirmed within SERVICE_DISPATCH_CONFIRM_HOURS. The stamp on the record
  (under a row lock) makes each escalation happen once, whatever the retries or overlapping runs; each is
  audited (crm.service.escalated) and told through the notifications. A pass escalates at most
  SERVICE_LEVEL_ESCALATIONS_PER_PASS records (oldest due first) and the task queues the next pass at once
  when more are due, so one pass stays short whatever the backlog.

Times are calendar time from the record's opening (`created_at`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils import translation
from django.utils.translation import gettext, gettext_noop

from backend.access.policy.crm import may_set_service_levels
from backend.audit import services as audit
from backend.common.errors import InvalidInput, PermissionDenied
from backend.crm.models import DispatchState, Priority, ServiceLevelTarget, ServiceRecord, ServiceType

# A target is at most a year (in minutes): anything longer is a typing mistake.
MAX_MINUTES = 366 * 24 * 60
OPEN_STATES = (DispatchState.NOT_DISPATCHED, DispatchState.DISPATCHED, DispatchState.CONFIRMED)


@dataclass(frozen=True)
class TargetInput:
    response_minutes: int
    resolution_minutes: int


def _validated(targets: dict[tuple[str, str], TargetInput | None]) -> dict[tuple[str, str], TargetInput | None]:
    errors: dict[str, list[str]] = {}
    for (priority, type_), target in targets.items():
        name = f"{priority}.{type_}"
        if priority not in Priority.values or type_ not in ServiceType.values:
            errors[name] = ["No such priority or service type."]
            continue
        if target is None:
            continue
        response, resolution = target.response_minutes, target.resolution_minutes
        if not (isinstance(response, int) and isinstance(resolution, int)) or response <= 0 or resolution <= 0:
            errors[name] = ["Enter both times, each more than zero."]
        elif response > MAX_MINUTES or resolution > MAX_MINUTES:
            errors[name] = ["A target is at most a year."]
        elif resolution < response:
            errors[name] = ["The resolution time cannot be shorter than the response time."]
    if errors:
        raise InvalidInput("The service-level targets are invalid.", fields=errors)
    return targets


def service_levels_set(*, actor, targets: dict[tuple[str, str], TargetInput | None]) -> dict[str, int]:
    """Set the targets of the (priority, type) pairs given (None: no target for that pair; pairs not given stay
    as they are), re-time the open records of every changed pair, and audit the changes. Administrators only.
    Returns {"changed": pairs changed, "retimed": open records re-timed}."""
    if not may_set_service_levels(actor):
        audit.record("crm.access.denied", actor=actor, outcome="denied", target_type="crm.serviceleveltarget",
                     target_id="", detail={"action": "set_service_levels"})
        raise PermissionDenied()
    targets = _validated(targets)
    now = timezone.now()
    changes: list[dict] = []
    retimed = 0
    with transaction.atomic():
        current = {(t.priority, t.type): t for t in ServiceLevelTarget.objects.select_for_update()}
        for (priority, type_), target in sorted(targets.items()):
            old = current.get((priority, type_))
            before = (old.response_minutes, old.resolution_minutes) if old else None
            after = (target.response_minutes, target.resolution_minutes) if target else None
            if before == after:
                continue
            if target is None:
                old.delete()
            elif old is None:
                ServiceLevelTarget.objects.create(priority=priority, type=type_, response_minutes=after[0],
                                                  resolution_minutes=after[1], updated_by=actor, updated_at=now)
            else:
                old.response_minutes, old.resolution_minutes = after
                old.updated_by, old.updated_at = actor, now
                old.save(update_fields=["response_minutes", "resolution_minutes", "updated_by", "updated_at"])
            retimed += _retime(priority=priority, type_=type_, minutes=after)
            changes.append({"priority": priority, "type": type_,
                            "before": list(before) if before else None, "after": list(after) if after else None})
        if changes:
            audit.record("crm.service_levels.changed", actor=actor, target_type="crm.serviceleveltarget",
                         target_id="", target_label="service levels",
                         detail={"changes": changes, "retimed_records": retimed})
    return {"changed": len(changes), "retimed": retimed}


def _retime(*, priority: str, type_: str, minutes: tuple[int, int] | None) -> int:
    """Give the open records of one pair the due times of its (new) target; clear them when it has none."""
    records = ServiceRecord.objects.filter(priority=priority, type=type_, dispatch_state__in=OPEN_STATES)
    if minutes is None:
        return records.update(response_due_at=None, resolution_due_at=None)
    return records.update(response_due_at=F("created_at") + dt.timedelta(minutes=minutes[0]),
                          resolution_due_at=F("created_at") + dt.timedelta(minutes=minutes[1]))


def service_level_due(*, priority: str, type_: str, opened: dt.datetime) -> dict[str, dt.datetime | None]:
    """The due times of a record of this priority and type opened at `opened` (None without a target)."""
    target = ServiceLevelTarget.objects.filter(priority=priority, type=type_).first()
    if target is None:
        return {"response_due_at": None, "resolution_due_at": None}
    return {"response_due_at": opened + dt.timedelta(minutes=target.response_minutes),
            "resolution_due_at": opened + dt.timedelta(minutes=target.resolution_minutes)}


def service_level_stamp(record: ServiceRecord) -> ServiceRecord:
    """Stamp a record just opened with its due times (inside the opening service's transaction)."""
    due = service_level_due(priority=record.priority, type_=record.type, opened=record.created_at)
    if any(due.values()):
        ServiceRecord.objects.filter(pk=record.pk).update(**due)
        for name, value in due.items():
            setattr(record, name, value)
    return record


# --- escalation (the beat task) ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Escalation:
    """One kind of escalation: which records it finds (in the order of the column its partial index keeps),
    the stamp that makes it happen once, and the notification kind it is told with."""

    reason: str  # "response", "resolution", "unconfirmed"
    stamp: str
    kind: str
    column: str  # the time it is due by: the key of its keyset order, with the pk

    def due(self, now: dt.datetime):
        if self.reason == "response":
            return ServiceRecord.objects.filter(dispatched_at__isnull=True, response_escalated_at__isnull=True,
                                                response_due_at__lt=now)
        if self.reason == "resolution":
            return ServiceRecord.objects.filter(resolved_at__isnull=True, resolution_escalated_at__isnull=True,
                                                resolution_due_at__lt=now)
        limit = now - dt.timedelta(hours=settings.SERVICE_DISPATCH_CONFIRM_HOURS)
        return ServiceRecord.objects.filter(dispatch_state=DispatchState.DISPATCHED,
                                            dispatch_escalated_at__isnull=True, dispatched_at__lt=limit)

    def after(self, queryset, key: tuple[dt.datetime, int] | None):
        """The rows of `queryset` after `key` (due time, pk) in keyset order: the index scan starts there,
        past the rows this pass has stamped (their entries stay in the index until vacuum)."""
        if key is None:
            return queryset
        moment, pk = key
        return queryset.filter(**{f"{self.column}__gte": moment}).filter(
            Q(**{f"{self.column}__gt": moment}) | Q(pk__gt=pk))


ESCALATIONS = (
    Escalation("response", "response_escalated_at", "service.sla_breached", "response_due_at"),
    Escalation("resolution", "resolution_escalated_at", "service.sla_breached", "resolution_due_at"),
    Escalation("unconfirmed", "dispatch_escalated_at", "service.dispatch_unconfirmed", "dispatched_at"),
)


@dataclass(frozen=True)
class EscalationPass:
    """What one bounded pass did: escalations by reason, and whether more were due when it stopped."""

    counts: dict[str, int]
    more: bool


def service_levels_escalate(*, now: dt.datetime | None = None, limit: int | None = None) -> dict[str, int]:
    """One beat pass: escalate the records due for it, once each, at most `limit`
    (SERVICE_LEVEL_ESCALATIONS_PER_PASS) of them. Returns counts by reason; see service_levels_escalate_pass
    for whether more remain."""
    return service_levels_escalate_pass(now=now, limit=limit).counts


def service_levels_escalate_pass(*, now: dt.datetime | None = None, limit: int | None = None) -> EscalationPass:
    """Escalate at most `limit` records (SERVICE_LEVEL_ESCALATIONS_PER_PASS), the kinds in turn, each kind's
    records oldest due first (keyset order), in transactions of SERVICE_LEVEL_ESCALATION_BATCH; `more` says
    whether some were left for the next pass (the beat task then queues it at once). Bounded so that one
    pass stays short whatever the backlog (a first run on a big desk, a long outage of the beat)."""
    now = now or timezone.now()
    budget = max(1, settings.SERVICE_LEVEL_ESCALATIONS_PER_PASS if limit is None else limit)
    batch = max(1, min(settings.SERVICE_LEVEL_ESCALATION_BATCH, budget))
    context = _PassContext()
    counts = {}
    more = False
    for escalation in ESCALATIONS:
        if budget <= 0:
            # nothing left of the budget: only ask whether this kind has work waiting (one indexed query)
            counts[escalation.reason] = 0
            more = more or escalation.due(now).exists()
            continue
        done, left = _escalate_some(escalation, now, budget=budget, batch=batch, context=context)
        counts[escalation.reason] = done
        budget -= done
        more = more or left
    return EscalationPass(counts=counts, more=more)


class _PassContext:
    """What a pass reads once: the service managers (after the first due record, so a quiet pass costs one
    query per kind)."""

    def __init__(self):
        self._managers = None

    @property
    def managers(self):
        from backend.crm.selectors.service_levels import service_managers

        if self._managers is None:
            self._managers = service_managers()
        return self._managers


def _escalate_some(escalation: Escalation, now: dt.datetime, *, budget: int, batch: int,
                   context: _PassContext) -> tuple[int, bool]:
    """Escalate up to `budget` records of one kind. Returns (how many, whether more are due)."""
    done = 0
    key = None
    while True:
        size = min(batch, budget - done)
        if size <= 0:
            return done, escalation.after(escalation.due(now), key).exists()
        with transaction.atomic():
            # skip_locked: an overlapping pass takes other rows; the stamp keeps a row from coming back (a
            # locking read re-checks a row another pass stamped and committed meanwhile)
            rows = list(escalation.after(escalation.due(now), key)
                        .select_for_update(skip_locked=True, of=("self",))
                        .select_related("customer", "engineer").order_by(escalation.column, "pk")[:size])
            if not rows:
                return done, False
            managers = context.managers
            ServiceRecord.objects.filter(pk__in=[r.pk for r in rows]).update(**{escalation.stamp: now})
            for record in rows:
                setattr(record, escalation.stamp, now)
            # a batch is told and recorded at once: one notification insert, one chain lock and insert
            _tell_managers(escalation, rows, managers)
            audit.record_many([_escalation_entry(escalation, record, managers) for record in rows])
        done += len(rows)
        last = rows[-1]
        key = (getattr(last, escalation.column), last.pk)
        if len(rows) < size:
            # fewer than asked: the rest are taken by an overlapping pass or not due
            return done, False


def _due(escalation: Escalation, record: ServiceRecord) -> dt.datetime | None:
    return {"response": record.response_due_at, "resolution": record.resolution_due_at,
            "unconfirmed": record.dispatched_at}[escalation.reason]


def _escalation_entry(escalation: Escalation, record: ServiceRecord, managers) -> audit.Entry:
    due = _due(escalation, record)
    return audit.Entry("crm.service.escalated", actor=None, target=record, customer_id=record.customer_id, detail={
        "reason": escalation.reason, "due_at": due.isoformat() if due else None, "priority": record.priority,
        "type": record.type, "engineer": record.engineer.username if record.engineer_id else None,
        "to": [m.username for m in managers]})


ESCALATION_TITLES = {
    "response": gettext_noop("Not dispatched in time: %(title)s (%(customer)s)"),
    "resolution": gettext_noop("Not resolved in time: %(title)s (%(customer)s)"),
    "unconfirmed": gettext_noop("Dispatch not confirmed by %(engineer)s: %(title)s (%(customer)s)"),
}
ESCALATION_BODIES = {
    "response": gettext_noop("Service record #%(number)s (%(priority)s) was due to be dispatched by %(due)s."),
    "resolution": gettext_noop("Service record #%(number)s (%(priority)s) was due to be resolved by %(due)s."),
    "unconfirmed": gettext_noop("Service record #%(number)s was dispatched on %(due)s and the engineer has not "
                                "confirmed it yet."),
}


def _when(moment: dt.datetime | None) -> str:
    from backend.common.display_time import in_display_zone, offset_text

    if moment is None:
        return ""
    return f"{in_display_zone(moment).strftime('%Y-%m-%d %H:%M')} {offset_text(moment)}"


def _link(record: ServiceRecord) -> str:
    return reverse("web:service_record", args=[record.pk])


def _link_pattern() -> tuple[str, str]:
    """The record page's path before and after its pk: reverse() once a batch, not once per record."""
    sentinel = "987654321"
    before, after = reverse("web:service_record", args=[int(sentinel)]).split(sentinel, 1)
    return before, after


def _tell_managers(escalation: Escalation, records: list[ServiceRecord], managers) -> None:
    """Tell the service managers, once per record and reason, each in their language: the batch's texts are
    rendered once per language (the message and the priorities translated once, then filled per record)."""
    from backend.notifications.services import Notice, notify_many, user_language

    if not records or not managers:
        return
    facts = []
    for record in records:
        facts.append(({"title": record.title, "customer": str(record.customer), "number": record.pk,
                       "engineer": str(record.engineer) if record.engineer_id else "—",
                       "due": _when(_due(escalation, record))}, record.priority))
    texts: dict[str, list[tuple[str, str]]] = {}
    for language in {user_language(manager) for manager in managers}:
        with translation.override(language):
            title, body = gettext(ESCALATION_TITLES[escalation.reason]), gettext(ESCALATION_BODIES[escalation.reason])
            priorities = {value: str(label) for value, label in Priority.choices}
        texts[language] = [(title % {**params, "priority": priorities[priority]},
                            body % {**params, "priority": priorities[priority]}) for params, priority in facts]
    notices = []
    before, after = _link_pattern()
    for n, record in enumerate(records):
        link = f"{before}{record.pk}{after}"
        once_key = f"{escalation.reason}:{record.pk}"
        notices.extend(
            Notice(recipient_id=manager.pk, title=texts[user_language(manager)][n][0],
                   body=texts[user_language(manager)][n][1], link=link, target=record, once_key=once_key)
            for manager in managers)
    notify_many(kind=escalation.kind, notices=notices)


# --- who hears about dispatches and new requests -------------------------------------------------------------


def service_notify_dispatched(*, record: ServiceRecord, engineer, actor) -> int:
    """Tell the engineer a record was dispatched to them (not when they dispatched it to themselves). Called
    inside the dispatch's transaction."""
    from backend.notifications.services import notify

    if engineer.pk == getattr(actor, "pk", None):
        return 0
    params = {"title": record.title, "customer": str(record.customer), "number": record.pk,
              "priority": Priority(record.priority).label, "by": str(actor),
              "due": _when(record.resolution_due_at)}
    body = (gettext_noop("Service record #%(number)s (%(priority)s) was dispatched to you by %(by)s. Confirm it "
                         "on the service desk; it is due to be resolved by %(due)s.") if record.resolution_due_at
            else gettext_noop("Service record #%(number)s (%(priority)s) was dispatched to you by %(by)s. Confirm "
                              "it on the service desk."))
    return notify(kind="service.dispatched", recipients=[engineer],
                  title=(gettext_noop("Dispatched to you: %(title)s (%(customer)s)"), params),
                  body=(body, params), link=_link(record), target=record, once_key=f"dispatched:{record.pk}")


def service_notify_request(*, record: ServiceRecord) -> int:
    """Tell the service desk about a customer's new request or complaint (from the portal, or a complaint staff
    recorded). Called inside the opening service's transaction."""
    from backend.crm.selectors.service_levels import service_desk_staff
    from backend.notifications.services import notify

    complaint = record.type == ServiceType.COMPLAINT
    if not (record.contact_id or complaint):
        return 0
    params = {"title": record.title, "customer": str(record.customer), "number": record.pk,
              "priority": Priority(record.priority).label, "due": _when(record.response_due_at)}
    title = (gettext_noop("New complaint: %(title)s (%(customer)s)") if complaint
             else gettext_noop("New service request: %(title)s (%(customer)s)"))
    body = (gettext_noop("Service record #%(number)s (%(priority)s) is waiting for dispatch; respond by %(due)s.")
            if record.response_due_at
            else gettext_noop("Service record #%(number)s (%(priority)s) is waiting for dispatch."))
    recipients = [user for user in service_desk_staff() if user.pk != record.created_by_id]
    return notify(kind="service.request_received", recipients=recipients, title=(title, params),
                  body=(body, params), link=_link(record), target=record, once_key=f"request:{record.pk}")
