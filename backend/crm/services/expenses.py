"""Expenses (费用): a member of staff submits one; their manager approves or rejects it.

    expense_submit(actor=rep, amount="320.00", currency="CNY", spent_on=date, category="travel", ...)
    expense_decide(actor=manager, expense=e, approve=False, note="No receipt")

Who decides is in backend/access/policy/marketing.py (the submitter's department's approvers, or an
administrator; never the submitter). Only approved expenses are cost in the figures. Links to a customer,
opportunity, order or campaign are optional and must be records the submitter may see; an opportunity or
order names its customer when none is given, and must belong to the one given. Every write is audited.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from backend.access.policy import Action
from backend.access.policy.crm import CRM_ACCESS_DENIED
from backend.access.policy.marketing import may_decide_expense, may_submit_expenses
from backend.access.services import require
from backend.audit import services as audit
from backend.common.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from backend.common.text import clean_line
from backend.crm.models import (
    Campaign, Currency, Customer, Expense, ExpenseCategory, ExpenseChannel, ExpensePayer, ExpenseStatus,
    Opportunity, Order,
)
from backend.crm.services.common import money
from backend.crm.services.report_rollups import rollup_add
from backend.documents.models import Classification, DocumentKind
from backend.documents.services import document_create

DESCRIPTION_LENGTH = 300
NOTE_LENGTH = 300


def _choice(errors: dict, field: str, value: str, choices) -> None:
    if value not in choices.values:
        errors[field] = [f"Choose one of: {', '.join(choices.values)}."]


def expense_submit(
    *, actor, amount: Decimal | str, spent_on: dt.date, category: str, currency: str = Currency.CNY,
    payer: str = ExpensePayer.COMPANY, channel: str = ExpenseChannel.DIRECT, region: str = "",
    description: str = "", customer: Customer | None = None, opportunity: Opportunity | None = None,
    order: Order | None = None, campaign: Campaign | None = None, receipt=None, receipt_upload=None,
) -> Expense:
    """Submit an expense for the actor's manager to decide. The receipt is a document the actor may see
    (`receipt`), or a file (`receipt_upload`, an UploadSource) stored as a new internal document of theirs
    through document_create (sniffed, audited and indexed as any upload) in the same transaction."""
    if not may_submit_expenses(actor):
        raise NotFound()
    errors: dict[str, list[str]] = {}
    try:
        amount = money(amount, field="amount", allow_zero=False)
    except InvalidInput as error:
        errors.update(error.extra.get("fields") or {})
    _choice(errors, "currency", currency, Currency)
    _choice(errors, "category", category, ExpenseCategory)
    _choice(errors, "payer", payer, ExpensePayer)
    _choice(errors, "channel", channel, ExpenseChannel)
    if not isinstance(spent_on, dt.date):
        errors["spent_on"] = ["Enter a date."]
    elif spent_on > timezone.localdate():
        errors["spent_on"] = ["An expense cannot be dated in the future."]
    region, description = clean_line(region), clean_line(description)
    if len(region) > 100:
        errors["region"] = ["At most 100 characters."]
    if len(description) > DESCRIPTION_LENGTH:
        errors["description"] = [f"At most {DESCRIPTION_LENGTH} characters."]
    # The records it is spent on: each one the submitter may see (else a 404, recorded as a refusal).
    for linked in (customer, opportunity, order, campaign, receipt):
        if linked is not None:
            require(actor=actor, action=Action.VIEW, obj=linked)
    for field, linked in (("opportunity", opportunity), ("order", order)):
        if linked is None:
            continue
        if customer is None:
            customer = linked.customer
        elif linked.customer_id != customer.pk:
            errors[field] = [f"The {field} belongs to another customer."]
    if errors:
        raise InvalidInput("The expense is invalid.", fields=errors)
    if not region and customer is not None:
        region = customer.region
    with transaction.atomic():
        if receipt_upload is not None and receipt is None:
            receipt, _created = document_create(
                actor=actor, title=clean_line(receipt_upload.filename)[:300] or "Receipt",
                kind=DocumentKind.OTHER, classification=Classification.INTERNAL, upload=receipt_upload,
                description=f"Receipt of an expense ({category}, {amount} {currency}, {spent_on.isoformat()})")
        expense = Expense.objects.create(
            submitter=actor, amount=amount, currency=currency, spent_on=spent_on, category=category, payer=payer,
            channel=channel, region=region, description=description, customer=customer, opportunity=opportunity,
            order=order, campaign=campaign, receipt=receipt, submitted_at=timezone.now(),
        )
        audit.record("crm.expense.submitted", actor=actor, target=expense,
                     customer_id=customer.pk if customer else None,
                     detail={"amount": str(amount), "currency": currency, "category": category,
                             "spent_on": spent_on.isoformat(), "campaign": campaign.pk if campaign else None,
                             "order": order.pk if order else None,
                             "receipt": getattr(receipt, "pk", None)})
    return expense


def expense_decide(*, actor, expense: Expense, approve: bool, note: str = "") -> Expense:
    """Approve or reject a submitted expense: the submitter's manager or an administrator. A rejection
    says why. Deciding twice is a 409; anyone else is told the expense is not there (a 404)."""
    require(actor=actor, action=Action.VIEW, obj=expense)
    note = clean_line(note)
    if len(note) > NOTE_LENGTH:
        raise InvalidInput(f"At most {NOTE_LENGTH} characters.", fields={"note": [f"At most {NOTE_LENGTH} characters."]})
    if not approve and not note:
        raise InvalidInput("Say why the expense is rejected.", fields={"note": ["Say why the expense is rejected."]})
    if expense.status != ExpenseStatus.SUBMITTED:
        raise Conflict("This expense has been decided already.")
    if not may_decide_expense(actor, expense):
        audit.record(CRM_ACCESS_DENIED, actor=actor, target=expense, outcome="denied",
                     detail={"action": "decide"})
        raise PermissionDenied()
    with transaction.atomic():
        locked = Expense.objects.select_for_update().get(pk=expense.pk)
        if locked.status != ExpenseStatus.SUBMITTED:
            raise Conflict("This expense has been decided already.")
        locked.status = ExpenseStatus.APPROVED if approve else ExpenseStatus.REJECTED
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.decision_note = note
        locked.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        if approve:  # only approved expenses count in the figures
            rollup_add(day=locked.spent_on, rep_id=locked.submitter_id, currency=locked.currency,
                       expenses=locked.amount)
        audit.record("crm.expense.approved" if approve else "crm.expense.rejected", actor=actor, target=locked,
                     customer_id=locked.customer_id,
                     detail={"amount": str(locked.amount), "currency": locked.currency,
                             "submitter": locked.submitter_id, "note": note})
    return locked
