"""Hand a leaving rep's book to one or several colleagues, in one transaction.

    handover_run(actor=manager, rep=leaving, plan={"customer-12": anna, "quote-40": ben, ...})

The plan names every row of the book the manager previewed (backend.crm.selectors.handover: customers
owned, open opportunities and quotes, open reminders, account-team places) and the colleague each goes
to. The rows are locked and read again inside the transaction; when the book is no longer the one
previewed (a customer added or handed over meanwhile, a quote accepted) nothing moves and the answer is
a 409 naming the difference, so the manager previews again. Each row moved is audited on its own
(the customer's `crm.customer.reassigned`, `crm.opportunity.reassigned`, `crm.quote.reassigned`,
`crm.activity.reassigned`, `crm.customer.team_changed`), then the handover as a whole
(`crm.handover.completed`), as the last write.

Access moves at once, with nothing to re-index: the policy reads customers' owners and account teams
in SQL, and the search index stores a linked document's viewers as its customers' team token
(`customer-team:<id>`), which a user's search carries exactly while they own the customer or are on its
team (backend/access/policy/principals.py computes it per query). Handing a customer over changes who
carries the token, not the token, so no document's index entry changes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from backend.access.policy.handover import handover_recipient_refusal, may_hand_over_book_of
from backend.accounts.models import User
from backend.audit import services as audit
from backend.common.errors import Conflict, InvalidInput, PermissionDenied
from backend.common.text import clean_line
from backend.crm.audit_events import (
    CRM_ACCESS_DENIED, CRM_ACTIVITY_REASSIGNED, CRM_CUSTOMER_REASSIGNED, CRM_CUSTOMER_TEAM_CHANGED,
    CRM_HANDOVER_COMPLETED, CRM_OPPORTUNITY_REASSIGNED, CRM_QUOTE_REASSIGNED,
)
from backend.crm.models import AccountTeamMember, Customer
from backend.crm.selectors.handover import KINDS, book_querysets

_RECIPIENT_MESSAGES = {
    "same": "The book cannot go to the rep who is leaving; choose a colleague.",
    "inactive": "This user is inactive.",
    "portal_user": "A customer's portal user cannot take over a book; choose a colleague.",
}


@dataclass
class HandoverResult:
    rep: User
    # recipient -> {kind: count}
    moved: dict[User, Counter] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(sum(counts.values()) for counts in self.moved.values())


def _refuse(actor, rep) -> PermissionDenied:
    """Record the refusal (in its own transaction, before ours) as require() does, and say 404."""
    audit.record(CRM_ACCESS_DENIED, actor=actor if getattr(actor, "is_authenticated", False) else None,
                 target=rep, outcome="denied", detail={"action": "handover"})
    return PermissionDenied()


def _checked_plan(rep: User, plan: Mapping[str, User]) -> dict[str, User]:
    if not plan:
        raise InvalidInput("Nothing to hand over.", fields={"plan": ["Nothing to hand over."]})
    errors: dict[str, list[str]] = {}
    for key, recipient in plan.items():
        kind, _, pk = str(key).partition("-")
        if kind not in KINDS or not pk.isdigit():
            errors[str(key)] = ["Not a row of a book."]
        elif recipient is None:
            errors[str(key)] = ["Choose who takes it over."]
        else:
            refusal = handover_recipient_refusal(rep, recipient)
            if refusal:
                errors[str(key)] = [_RECIPIENT_MESSAGES[refusal]]
    if errors:
        first = next(iter(errors.values()))[0]
        raise InvalidInput(first if len({m for ms in errors.values() for m in ms}) == 1
                           else "The handover is invalid.", fields=errors)
    return dict(plan)


def handover_run(*, actor, rep: User, plan: Mapping[str, User], note: str = "") -> HandoverResult:
    """Move every row of `rep`'s book named in `plan` to its colleague; all or nothing.

    404 unless the policy lets `actor` hand over `rep`'s book; 400 naming the row for a recipient who
    may not take it (inactive, a portal user, the leaving rep); 409 when the book differs from `plan`.
    """
    if not may_hand_over_book_of(actor, rep):
        raise _refuse(actor, rep)
    plan = _checked_plan(rep, plan)
    note = clean_line(note or "")[:300]
    result = HandoverResult(rep=rep)
    with transaction.atomic():
        locked = {kind: list(queryset.select_for_update().order_by("pk"))
                  for kind, queryset in book_querysets(user=actor, rep_id=rep.pk).items()}
        current = {f"{kind}-{row.pk}" for kind, rows in locked.items() for row in rows}
        if current != set(plan):
            added, gone = sorted(current - set(plan)), sorted(set(plan) - current)
            raise Conflict("The book changed since the preview; look at it again before handing it over.",
                           reason="handover_changed", added=added, gone=gone)
        now = timezone.now()
        handover = {"handover": True, "from": rep.username, "note": note}

        def count(recipient: User, kind: str) -> None:
            result.moved.setdefault(recipient, Counter())[kind] += 1

        for customer in locked["customer"]:
            to = plan[f"customer-{customer.pk}"]
            customer.owner, customer.owner_since, customer.updated_at = to, now, now
            customer.save(update_fields=["owner", "owner_since", "updated_at"])
            audit.record(CRM_CUSTOMER_REASSIGNED, actor=actor, target=customer, customer_id=customer.pk,
                         detail={**handover, "to": to.username})
            count(to, "customer")
        for opportunity in locked["opportunity"]:
            to = plan[f"opportunity-{opportunity.pk}"]
            opportunity.owner, opportunity.updated_at = to, now
            opportunity.save(update_fields=["owner", "updated_at"])
            audit.record(CRM_OPPORTUNITY_REASSIGNED, actor=actor, target=opportunity,
                         customer_id=opportunity.customer_id, detail={**handover, "to": to.username})
            count(to, "opportunity")
        for quote in locked["quote"]:
            to = plan[f"quote-{quote.pk}"]
            quote.owner = to
            quote.save(update_fields=["owner"])
            audit.record(CRM_QUOTE_REASSIGNED, actor=actor, target=quote, customer_id=quote.customer_id,
                         detail={**handover, "to": to.username, "number": quote.number})
            count(to, "quote")
        for reminder in locked["reminder"]:
            to = plan[f"reminder-{reminder.pk}"]
            reminder.owner = to
            reminder.save(update_fields=["owner"])
            audit.record(CRM_ACTIVITY_REASSIGNED, actor=actor, target=reminder, customer_id=reminder.customer_id,
                         detail={**handover, "to": to.username,
                                 "due_at": reminder.due_at.isoformat() if reminder.due_at else None})
            count(to, "reminder")
        _move_team_places(actor, rep, locked["team"], plan, handover, count)
        audit.record(CRM_HANDOVER_COMPLETED, actor=actor, target=rep, detail={
            "rep": rep.username, "note": note, "total": result.total,
            "moved": {to.username: dict(counts) for to, counts in result.moved.items()},
        })
    return result


def _move_team_places(actor, rep, places, plan, handover, count) -> None:
    """The rep's place on a customer's team goes to the colleague; when they are on that team already,
    or own the customer (perhaps since a moment ago), the rep's place is simply removed."""
    if not places:
        return
    customer_ids = [place.customer_id for place in places]
    owners = dict(Customer.objects.filter(pk__in=customer_ids).values_list("pk", "owner_id"))
    members = set(AccountTeamMember.objects.filter(customer_id__in=customer_ids).exclude(user_id=rep.pk)
                  .values_list("customer_id", "user_id"))
    customers = Customer.objects.in_bulk(customer_ids)
    for place in places:
        to = plan[f"team-{place.pk}"]
        customer = customers[place.customer_id]
        if owners.get(place.customer_id) == to.pk or (place.customer_id, to.pk) in members:
            place.delete()
            added = None
        else:
            place.user = to
            place.save(update_fields=["user"])
            added = to.username
        audit.record(CRM_CUSTOMER_TEAM_CHANGED, actor=actor, target=customer, customer_id=customer.pk,
                     detail={**handover, "removed": rep.username, "added": added, "role": place.role,
                             "to": to.username})
        count(to, "team")
