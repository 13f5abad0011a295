"""Reads of expenses: a member of staff's own, those waiting for their decision, one expense, and the
expenses spent on a customer (its 360 page). Narrowed by the policy (backend/access/policy/marketing.py);
sums are per currency, never across currencies."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Q, QuerySet, Sum

from backend.access.policy import Action, visible
from backend.access.policy.marketing import decidable_expenses_q
from backend.common.errors import NotFound
from backend.crm.models import Customer, Expense, ExpenseStatus

MINE, TO_DECIDE, ALL = "mine", "to_decide", "all"
_RELATED = ("submitter", "customer", "opportunity", "order", "campaign", "receipt", "decided_by")


def expense_list_visible(*, user, scope: str = MINE, status: str = "") -> QuerySet:
    """`scope`: "mine" (what `user` submitted), "to_decide" (submitted ones waiting for `user`'s decision)
    or "all" (every expense `user` may see)."""
    queryset = visible(user, Expense.objects.all()).select_related(*_RELATED)
    if scope == MINE:
        queryset = queryset.filter(submitter_id=user.pk)
    elif scope == TO_DECIDE:
        queryset = queryset.filter(decidable_expenses_q(user), status=ExpenseStatus.SUBMITTED)
    if status in ExpenseStatus.values:
        queryset = queryset.filter(status=status)
    return queryset.order_by("-spent_on", "-id")


def expense_get_visible(*, user, expense_id: int, action: Action = Action.VIEW) -> Expense:
    expense = visible(user, Expense.objects.select_related(*_RELATED), action).filter(pk=expense_id).first()
    if expense is None:
        raise NotFound()
    return expense


def expense_totals(queryset: QuerySet, *, status: str = ExpenseStatus.APPROVED) -> dict[str, Decimal]:
    """{currency: sum} of the expenses in `queryset` with `status` (approved: what counts as cost)."""
    rows = (queryset.filter(status=status).order_by().values("currency").annotate(total=Sum("amount"))
            .order_by("currency"))
    return {row["currency"]: row["total"] for row in rows}


def expenses_for_customer(*, user, customer: Customer, limit: int = 20) -> tuple[list[Expense], dict, dict]:
    """The newest expenses spent on `customer` that `user` may see, with the approved and the pending
    totals per currency (over all of them, not only the ones listed)."""
    queryset = visible(user, Expense.objects.filter(customer=customer))
    rows = list(queryset.select_related("submitter", "campaign").order_by("-spent_on", "-id")[:limit])
    return rows, expense_totals(queryset), expense_totals(queryset, status=ExpenseStatus.SUBMITTED)


def expenses_waiting_count(*, user) -> int:
    """How many submitted expenses wait for `user`'s decision (the home page's note)."""
    return Expense.objects.filter(Q(status=ExpenseStatus.SUBMITTED) & decidable_expenses_q(user)).count()
