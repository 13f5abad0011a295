"""Each order's balance: the lines' total, what is invoiced, what is paid, what is outstanding, and the due
date after which part of it is overdue — kept on the order (Order.balance_*) so the reports sum a column
per order instead of every line, invoice and payment.

Written by the services that change what a balance is made of (order_create, invoice_issue,
payment_record in services/orders.py), in their transaction, under their row lock on the order:
`order_balance_update`. `order_balances_refresh` recomputes many orders at once (the migration's
backfill, rows written in bulk); it writes no audit event (a balance is derived, never decided).

The overdue rule is the order pages' and the reports' (selectors/reports.py): on a day D, an invoice is
past due when its due date is before D; what is overdue is what is past due less the payments that went
toward it (payments against a past-due invoice and payments against no invoice), never below nothing
and never more than all that is invoiced and unpaid. It changes with the day, not only with writes, so
the order keeps the day it starts (`balance_overdue_since`: the due date after which something is
overdue), and the latest due date (after which what is overdue is simply invoiced less paid).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum

from backend.crm.models import Invoice as _Invoice
from backend.crm.models import Order, OrderStatus
from backend.crm.models import OrderLine as _OrderLine
from backend.crm.models import Payment as _Payment
from backend.crm.services.report_rollups import order_receivable_part, receivable_add, receivables_rebuild
from backend.crm.services.receivable_rollups import order_receivable_due_part, receivable_due_move

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
CHUNK = 2000
BALANCE_FIELDS = ("balance_total", "balance_invoiced", "balance_paid", "balance_outstanding",
                  "balance_overdue_since", "balance_last_due_on", "balance_last_paid_on")


@dataclass(frozen=True)
class Balance:
    total: Decimal
    invoiced: Decimal
    paid: Decimal
    outstanding: Decimal
    overdue_since: dt.date | None
    last_due_on: dt.date | None
    last_paid_on: dt.date | None

    def fields(self) -> dict:
        return {"balance_total": self.total, "balance_invoiced": self.invoiced, "balance_paid": self.paid,
                "balance_outstanding": self.outstanding, "balance_overdue_since": self.overdue_since,
                "balance_last_due_on": self.last_due_on, "balance_last_paid_on": self.last_paid_on}


def overdue_on(day: dt.date, invoices: Iterable[tuple[Decimal, dt.date]],
               payments: Iterable[tuple[Decimal, dt.date, dt.date | None]]) -> Decimal:
    """What is overdue on `day` (every payment counted): invoices are (amount, due_on); payments are
    (amount, received_on, the due date of the invoice they were paid against or None)."""
    invoices, payments = list(invoices), list(payments)
    past_due = sum((amount for amount, due_on in invoices if due_on < day), ZERO)
    toward_due = sum((amount for amount, _received, due_on in payments if due_on is None or due_on < day), ZERO)
    unpaid = sum((amount for amount, _due in invoices), ZERO) - sum((amount for amount, _r, _d in payments), ZERO)
    return max(min(past_due - toward_due, unpaid), ZERO)


def balance_of(total: Decimal, invoices: Iterable[tuple[Decimal, dt.date]],
               payments: Iterable[tuple[Decimal, dt.date, dt.date | None]]) -> Balance:
    """An order's balance from its lines' total, its invoices (amount, due_on) and its payments (amount,
    received_on, due date of their invoice or None). Pure: the service, the backfill and the bench use it."""
    invoices, payments = list(invoices), list(payments)
    invoiced = sum((amount for amount, _due in invoices), ZERO)
    paid = sum((amount for amount, _r, _d in payments), ZERO)
    overdue_since = None
    # What is overdue changes only the day after a due date: try each due date in turn.
    for due_on in sorted({due_on for _amount, due_on in invoices}):
        if overdue_on(due_on + dt.timedelta(days=1), invoices, payments) > 0:
            overdue_since = due_on
            break
    return Balance(
        total=Decimal(total or 0).quantize(CENT), invoiced=invoiced.quantize(CENT), paid=paid.quantize(CENT),
        outstanding=(Decimal(total or 0) - paid).quantize(CENT), overdue_since=overdue_since,
        last_due_on=max((due_on for _amount, due_on in invoices), default=None),
        last_paid_on=max((received for _amount, received, _due in payments), default=None),
    )


def _balances(order_ids: list[int], models=None) -> dict[int, Balance]:
    """The balances of `order_ids` from their rows: three queries, whatever the number of orders. `models`:
    (OrderLine, Invoice, Payment), the migration's historical ones or these."""
    OrderLine, Invoice, Payment = models or (_OrderLine, _Invoice, _Payment)  # noqa: N806
    totals = dict(OrderLine.objects.filter(order_id__in=order_ids).order_by().values("order_id")
                  .annotate(total=Sum("line_total")).values_list("order_id", "total"))
    invoices, due_dates = defaultdict(list), {}
    for pk, order_id, amount, due_on in Invoice.objects.filter(order_id__in=order_ids).order_by().values_list(
            "pk", "order_id", "amount", "due_on"):
        invoices[order_id].append((amount, due_on))
        due_dates[pk] = due_on
    payments = defaultdict(list)
    for order_id, amount, received_on, invoice_id in Payment.objects.filter(order_id__in=order_ids).order_by() \
            .values_list("order_id", "amount", "received_on", "invoice_id"):
        payments[order_id].append((amount, received_on, due_dates.get(invoice_id) if invoice_id else None))
    return {pk: balance_of(totals.get(pk) or ZERO, invoices[pk], payments[pk]) for pk in order_ids}


def order_balance_update(*, order: Order) -> Balance:
    """Recompute and store `order`'s balance, and move the reports' receivable totals (and their parts by
    due date) by its change.
    Called by the order, invoice and payment services inside their transaction, after their writes, with
    the order as it stands before them (the caller holds the order's row lock where it matters)."""
    before, due_before = order_receivable_part(order), order_receivable_due_part(order)
    balance = _balances([order.pk])[order.pk]
    Order.objects.filter(pk=order.pk).update(**balance.fields())
    for name, value in balance.fields().items():
        setattr(order, name, value)
    if order.status != OrderStatus.CANCELLED:
        receivable_add(order=order, before=before, after=order_receivable_part(order))
        receivable_due_move(order=order, before=due_before, after=order_receivable_due_part(order))
    return balance


def order_balances_refresh(*, order_ids: Iterable[int] | None = None, chunk: int = CHUNK, apps=None) -> int:
    """Recompute the stored balance of `order_ids` (every order when None) in chunks of `chunk` orders
    (three reads and a bulk update each; each chunk atomic); returns how many orders were written. For the
    backfill of migration crm 0014 (`apps`: the migration's registry) and for rows written without the
    services (bulk loads, tests that build rows directly)."""
    order_model = apps.get_model("crm", "Order") if apps else Order
    models = tuple(apps.get_model("crm", name) for name in ("OrderLine", "Invoice", "Payment")) if apps else None
    ids = sorted(set(order_ids)) if order_ids is not None else list(
        order_model.objects.order_by("pk").values_list("pk", flat=True))
    written = 0
    for start in range(0, len(ids), chunk):
        part = ids[start:start + chunk]
        with transaction.atomic():
            balances = _balances(part, models)
            rows = [order_model(pk=pk, **balance.fields()) for pk, balance in balances.items()]
            order_model.objects.bulk_update(rows, list(BALANCE_FIELDS), batch_size=500)
            written += len(rows)
    if apps is None:  # the receivable totals sum these balances (the migration that made them fills them)
        receivables_rebuild()
    return written
