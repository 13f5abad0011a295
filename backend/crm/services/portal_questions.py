"""'Ask my account manager': a customer's portal user writes to the rep who owns their customer.

The question becomes an open reminder (an Activity of kind reminder, due at once) owned by the
customer's owner, with the asking contact on it, so it sits in the rep's reminders on their home page
and the customer page, and moves with the book at a handover. The portal tells the customer it was
received and who will answer. Audited as crm.portal.question_asked, with the customer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from backend.access.policy import portal_customer_id
from backend.audit import services as audit
from backend.common.errors import Conflict, InvalidInput, PermissionDenied
from backend.crm.audit_events import CRM_PORTAL_QUESTION_ASKED
from backend.crm.models import Activity, ActivityKind, Customer
from backend.sharing.models import PortalAccount

MAX_SUBJECT = 200
MAX_MESSAGE = 5000
# Questions one portal user may send in an hour: enough for a real conversation, not for a flood of reminders.
QUESTIONS_PER_HOUR = 5
SUBJECT_MARK = "[门户 Portal] "


@dataclass(frozen=True)
class QuestionAsked:
    activity: Activity
    # Who will answer: the customer's owner when the question was asked.
    answered_by: object


def portal_question_ask(*, actor, subject: str, message: str) -> QuestionAsked:
    """`actor` (a portal user) asks their customer's account manager a question."""
    customer_id = portal_customer_id(actor)
    if customer_id is None:
        audit.record("crm.access.denied", actor=actor, outcome="denied",
                     detail={"action": "ask_account_manager", "via": "portal"})
        raise PermissionDenied()
    subject, message = (subject or "").strip(), (message or "").strip()
    errors: dict[str, list[str]] = {}
    if not subject:
        errors["subject"] = ["A subject is required."]
    elif len(subject) > MAX_SUBJECT:
        errors["subject"] = ["At most 200 characters."]
    if not message:
        errors["message"] = ["Write your question first."]
    elif len(message) > MAX_MESSAGE:
        errors["message"] = ["At most 5000 characters."]
    if errors:
        raise InvalidInput("The question is incomplete.", fields=errors)
    contact_id = PortalAccount.objects.filter(user_id=actor.pk).values_list("contact_id", flat=True).first()
    now = timezone.now()
    recent = Activity.objects.filter(customer_id=customer_id, contact_id=contact_id, kind=ActivityKind.REMINDER,
                                     subject__startswith=SUBJECT_MARK, created_at__gte=now - timedelta(hours=1))
    if recent.count() >= QUESTIONS_PER_HOUR:
        raise Conflict("You sent several questions in the last hour; your account manager will answer them. "
                       "Please wait a little before sending more.")
    with transaction.atomic():
        # the owner read under a lock, so a handover at the same moment cannot leave the question behind
        customer = Customer.objects.select_for_update().select_related("owner").get(pk=customer_id)
        activity = Activity.objects.create(
            customer=customer, contact_id=contact_id, kind=ActivityKind.REMINDER,
            subject=f"{SUBJECT_MARK}{subject}"[:MAX_SUBJECT], body=message, occurred_at=now, due_at=now,
            owner=customer.owner, created_at=now,
        )
        from backend.notifications import triggers as notifications

        notifications.customer_question_asked(activity=activity, customer=customer)
        audit.record(CRM_PORTAL_QUESTION_ASKED, actor=actor, target=activity, customer_id=customer.pk, detail={
            "subject": subject, "owner": customer.owner_id, "contact": contact_id,
        })
    return QuestionAsked(activity=activity, answered_by=customer.owner)
