"""The reports' rollup (RepDayFigures): per day, rep and currency, sales and orders signed, collections,
invoices issued and approved expenses, so the reports page sums a few thousand rows a quarter instead
of every line, payment, invoice and expense in it.

Kept as increments, in the transaction of the write that changes a figure (one upsert each, which adds to
the row under its lock, so concurrent writes add up and never overwrite each other):

    order_create (signed)           + sales, + 1 order   on the signed date, for the order's owner
    order_status_change → cancelled − sales, − 1 order   (a cancelled order never reopens)
    invoice_issue                   + invoiced           on the issue date, for the order's owner
    payment_record                  + collected          on the day received, for the order's owner
    expense_decide (approved)       + expenses           on the day spent, for the submitter

ReceivableTotals (per order owner, customer and currency: the orders, their total, paid, and what is
invoiced and unpaid on those that will be overdue) moves with each order's stored balance: order_create
adds the new order, order_balance_update (invoice_issue, payment_record) adds the change of the balance,
a cancellation takes the order out.

An order's owner, customer, currency, signed date and lines never change after it is created (a handover moves
customers, deals, quotes and reminders, not orders), so nothing else moves a figure. `rollups_rebuild`
recomputes the whole table from the rows (the migration's backfill, bulk loads, and the tests that prove
the increments equal the rows); it writes no audit event (a rollup is derived, never decided).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Case, Count, DecimalField, F, Q, Sum, When

from backend.crm.models import (
    Expense,
    ExpenseStatus,
    Invoice,
    Order,
    OrderLine,
    OrderStatus,
    Payment,
    ReceivableTotals,
    RepDayFigures,
)
from backend.crm.services.receivable_rollups import receivable_dues_rebuild

MEASURES = ("sales", "orders", "collected", "invoiced", "expenses")
ZERO = Decimal("0.00")


def rollup_add(*, day: dt.date | None, rep_id: int, currency: str, **amounts) -> None:
    """Add `amounts` (measure=value, e.g. collected=Decimal("10.00")) to the row of (day, rep, currency),
    creating it when missing. Nothing for an undated figure (an unsigned order is not in the sales)."""
    if day is None:
        return
    unknown = set(amounts) - set(MEASURES)
    if unknown:
        raise ValueError(f"unknown measures {sorted(unknown)}")
    values = {measure: amounts.get(measure, 0 if measure == "orders" else ZERO) for measure in MEASURES}
    _upsert_add(RepDayFigures, {"day": day, "rep_id": rep_id, "currency": currency},
                {measure: values[measure] for measure in MEASURES})


def _upsert_add(model, key: dict, amounts: dict) -> None:
    """Add `amounts` (column: value) to `model`'s row of `key` (its unique columns: value), creating the
    row when missing: one INSERT … ON CONFLICT DO UPDATE, so concurrent writers add under the row's lock."""
    q = connection.ops.quote_name
    table = q(model._meta.db_table)
    names = [*key, *amounts]
    increments = ", ".join(f"{q(m)} = {table}.{q(m)} + EXCLUDED.{q(m)}" for m in amounts)
    sql = (f"INSERT INTO {table} ({', '.join(q(n) for n in names)}) VALUES ({', '.join(['%s'] * len(names))}) "
           f"ON CONFLICT ({', '.join(q(k) for k in key)}) DO UPDATE SET {increments}")
    with connection.cursor() as cursor:
        cursor.execute(sql, [*key.values(), *amounts.values()])


def rollups_from_rows(*, models=None) -> dict[tuple, dict]:
    """Every (day, rep_id, currency) row the rollup should hold, summed from the rows (grouped queries,
    one per measure). `models`: (OrderLine, Payment, Invoice, Expense), a migration's historical ones."""
    line_model, payment_model, invoice_model, expense_model = models or (OrderLine, Payment, Invoice, Expense)
    found: dict[tuple, dict] = defaultdict(lambda: {m: 0 if m == "orders" else ZERO for m in MEASURES})
    sales = (line_model.objects.exclude(order__status=OrderStatus.CANCELLED).filter(order__signed_date__isnull=False)
             .order_by().values_list("order__signed_date", "order__owner_id", "order__currency")
             .annotate(sales=Sum("line_total"), orders=Count("order_id", distinct=True)))
    for day, rep, currency, amount, orders in sales:
        found[(day, rep, currency)]["sales"] += amount or ZERO
        found[(day, rep, currency)]["orders"] += orders
    for measure, model, day_field in (("collected", payment_model, "received_on"),
                                      ("invoiced", invoice_model, "issued_on")):
        rows = (model.objects.order_by().values_list(day_field, "order__owner_id", "order__currency")
                .annotate(total=Sum("amount")))
        for day, rep, currency, amount in rows:
            found[(day, rep, currency)][measure] += amount or ZERO
    spent = (expense_model.objects.filter(status=ExpenseStatus.APPROVED).order_by()
             .values_list("spent_on", "submitter_id", "currency").annotate(total=Sum("amount")))
    for day, rep, currency, amount in spent:
        found[(day, rep, currency)]["expenses"] += amount or ZERO
    return dict(found)


def rollups_rebuild(*, apps=None) -> int:
    """Replace the whole rollup with what the rows say, and the receivable totals with what the orders'
    balances say (one transaction); returns how many day rows the rollup holds.
    For the migration's backfill (`apps`: its registry), bulk loads and checks."""
    if apps is not None:
        rollup_model = apps.get_model("crm", "RepDayFigures")
        models = tuple(apps.get_model("crm", name) for name in ("OrderLine", "Payment", "Invoice", "Expense"))
    else:
        rollup_model, models = RepDayFigures, None
    with transaction.atomic():
        found = rollups_from_rows(models=models)
        rollup_model.objects.all().delete()
        rollup_model.objects.bulk_create(
            [rollup_model(day=day, rep_id=rep, currency=currency, **values)
             for (day, rep, currency), values in sorted(found.items())], batch_size=2000)
        receivables_rebuild(apps=apps)
    return len(found)


# --- receivable totals ---------------------------------------------------------------------------------

RECEIVABLE_MEASURES = ("orders", "total", "paid", "open_invoiced")


def receivable_part(*, total, paid, invoiced, overdue_since) -> dict:
    """What one order (not cancelled) adds to its ReceivableTotals row, from its balance."""
    open_invoiced = invoiced - paid if overdue_since is not None and invoiced > paid else ZERO
    return {"orders": 1, "total": total, "paid": paid, "open_invoiced": open_invoiced}


def order_receivable_part(order: Order) -> dict:
    return receivable_part(total=order.balance_total, paid=order.balance_paid, invoiced=order.balance_invoiced,
                           overdue_since=order.balance_overdue_since)


def receivable_add(*, order: Order, before: dict | None, after: dict | None) -> None:
    """Move `order`'s row of ReceivableTotals from its part `before` to its part `after` (None: not
    counted, i.e. not yet created or cancelled): one upsert that adds the difference under the row's lock."""
    empty = {"orders": 0, "total": ZERO, "paid": ZERO, "open_invoiced": ZERO}
    before, after = before or empty, after or empty
    delta = [after[m] - before[m] for m in RECEIVABLE_MEASURES]
    if not any(delta):
        return
    _upsert_add(ReceivableTotals, {"owner_id": order.owner_id, "customer_id": order.customer_id,
                                   "currency": order.currency}, dict(zip(RECEIVABLE_MEASURES, delta)))


def receivables_from_rows(*, order_model=None) -> dict[tuple, dict]:
    """Every (owner_id, customer_id, currency) row ReceivableTotals should hold, from the orders' balances."""
    order_model = order_model or Order
    open_invoiced = Case(When(Q(balance_overdue_since__isnull=False) & Q(balance_invoiced__gt=F("balance_paid")),
                              then=F("balance_invoiced") - F("balance_paid")), default=ZERO,
                         output_field=DecimalField(max_digits=16, decimal_places=2))
    rows = (order_model.objects.exclude(status=OrderStatus.CANCELLED).order_by()
            .values_list("owner_id", "customer_id", "currency")
            .annotate(n=Count("id"), total=Sum("balance_total"), paid=Sum("balance_paid"),
                      open=Sum(open_invoiced)))
    return {(owner, customer, currency): {"orders": n, "total": total, "paid": paid, "open_invoiced": open_}
            for owner, customer, currency, n, total, paid, open_ in rows}


def receivables_rebuild(*, apps=None) -> int:
    """Replace ReceivableTotals with what the orders' stored balances say (after order_balances_refresh,
    the migration's backfill, bulk loads); returns how many rows it holds."""
    totals_model = apps.get_model("crm", "ReceivableTotals") if apps else ReceivableTotals
    order_model = apps.get_model("crm", "Order") if apps else Order
    with transaction.atomic():
        found = receivables_from_rows(order_model=order_model)
        totals_model.objects.all().delete()
        totals_model.objects.bulk_create(
            [totals_model(owner_id=owner, customer_id=customer, currency=currency, **values)
             for (owner, customer, currency), values in sorted(found.items())], batch_size=2000)
        receivable_dues_rebuild(apps=apps)  # their parts by due date (services/receivable_rollups.py)
    return len(found)
