"""Activities on a customer: visits, calls, e-mails, notes, and next-step reminders with a due date."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from backend.access.policy import Action
from backend.access.policy.users import is_active_staff
from backend.access.services import require
from backend.audit import services as audit
from backend.common.errors import InvalidInput, NotFound
from backend.crm.models import Activity, ActivityKind, Contact, Customer, Opportunity


def activity_log(
    *,
    actor,
    customer: Customer,
    kind: str,
    subject: str,
    body: str = "",
    occurred_at: dt.datetime | None = None,
    due_at: dt.datetime | None = None,
    opportunity: Opportunity | None = None,
    contact: Contact | None = None,
) -> Activity:
    """Log something that happened (or, for a reminder, the next step and when it is due)."""
    require(actor=actor, action=Action.CHANGE, obj=customer)
    errors: dict[str, list[str]] = {}
    subject = (subject or "").strip()
    if not subject:
        errors["subject"] = ["A subject is required."]
    elif len(subject) > 200:
        errors["subject"] = ["At most 200 characters."]
    if kind not in ActivityKind.values:
        errors["kind"] = [f"Choose one of: {', '.join(ActivityKind.values)}."]
    elif kind == ActivityKind.REMINDER and due_at is None:
        errors["due_at"] = ["A reminder needs a due date."]
    elif kind != ActivityKind.REMINDER and due_at is not None:
        errors["due_at"] = ["Only a reminder has a due date; log the next step as a reminder."]
    if opportunity is not None and opportunity.customer_id != customer.pk:
        errors["opportunity"] = ["The opportunity belongs to another customer."]
    if contact is not None and contact.customer_id != customer.pk:
        errors["contact"] = ["The contact belongs to another customer."]
    if errors:
        raise InvalidInput("The activity is invalid.", fields=errors)
    now = timezone.now()
    with transaction.atomic():
        activity = Activity.objects.create(
            customer=customer, opportunity=opportunity, contact=contact, kind=kind, subject=subject, body=body or "",
            occurred_at=occurred_at or now, due_at=due_at, owner=actor, created_at=now,
        )
        audit.record("crm.activity.logged", actor=actor, target=activity, customer_id=customer.pk, detail={
            "kind": kind, "subject": subject, "opportunity": opportunity.pk if opportunity else None,
            "contact": contact.pk if contact else None,
            "due_at": due_at.isoformat() if due_at else None,
        })
    return activity


def activity_complete(*, actor, activity: Activity) -> Activity:
    """Mark a reminder done. Marking a done reminder again changes nothing."""
    require(actor=actor, action=Action.CHANGE, obj=activity)
    if activity.kind != ActivityKind.REMINDER:
        raise InvalidInput("Only a reminder can be marked done.",
                           fields={"kind": [f"This is a {activity.kind}, not a reminder."]})
    with transaction.atomic():
        locked = Activity.objects.select_for_update().get(pk=activity.pk)
        if locked.done:
            return locked
        locked.done = True
        locked.save(update_fields=["done"])
        audit.record("crm.activity.completed", actor=actor, target=locked, customer_id=locked.customer_id,
                     detail={"subject": locked.subject, "due_at": locked.due_at.isoformat() if locked.due_at else None})
    return locked


def worklog_export_record(*, actor, params: dict, rows: int) -> None:
    """Record that `actor` exported a work log as CSV: the filters (reps, customer, period, kinds) and
    how many activities left the system. Anyone who may read a work log (their own at least) may export it."""
    if not is_active_staff(actor):
        raise NotFound()
    with transaction.atomic():
        audit.record("crm.worklog.exported", actor=actor, target_type="crm.worklog", target_id="worklog",
                     target_label="work log", detail={"params": params, "rows": rows, "format": "csv"})
