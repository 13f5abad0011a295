"""ReceivableDueTotals: per order owner, customer, currency and last due date, what is invoiced and unpaid
on the orders that will be overdue (their part of ReceivableTotals.open_invoiced) and how many orders.

ReceivableTotals (services/report_rollups.py) counts an order's open invoices as overdue, which they are
only after its last due date. On a day D the reports take off the rows of this table due on or after D
(a range of a narrow table: a month or two of due dates) instead of reading every order not yet due.

An order's part is (its last due date, invoiced less paid) when something of it will be overdue
(`balance_overdue_since` set) and it is not all paid; otherwise nothing. It moves only with the order's
stored balance, so it is kept where ReceivableTotals is, in the same transaction:

    order_balance_update (invoice_issue, payment_record)  from the part before to the part after
    order_status_change → cancelled                       the part taken out (always nothing: an order
                                                          with invoices cannot be cancelled)
    order_create                                          nothing (nothing is invoiced yet)

`receivable_dues_rebuild` recomputes the whole table from the orders' balances; ReceivableTotals' rebuild
calls it (so every bulk load and migration that rebuilds one rebuilds both). No audit event: derived.

ReceivableCustomerTotals: per customer and currency, ReceivableTotals' rows of every owner summed (orders,
outstanding), the receivables chart's ranking of the largest debtors. It moves by the same increments as
ReceivableTotals (report_rollups.receivable_add calls `receivable_customer_add`, so the two cannot drift
apart), and `receivable_customers_rebuild` recomputes it from the orders' balances with the other two.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Count, DecimalField, F, Q, Sum

from backend.crm.models import Order, OrderStatus, ReceivableCustomerTotals, ReceivableDueTotals
from backend.crm.services.derived import rebuild_from, upsert_add

ZERO = Decimal("0.00")
# (the rows say it as report_rollups.receivables_from_rows does: overdue one day, and not all paid)
_WILL_BE_OVERDUE = Q(balance_overdue_since__isnull=False) & Q(balance_invoiced__gt=F("balance_paid"))


def receivable_due_part(*, invoiced: Decimal, paid: Decimal, overdue_since: dt.date | None,
                        last_due_on: dt.date | None) -> tuple[dt.date, Decimal] | None:
    """What one order (not cancelled) adds to ReceivableDueTotals: (its last due date, invoiced less paid),
    or None."""
    if overdue_since is None or last_due_on is None or invoiced <= paid:
        return None
    return last_due_on, invoiced - paid


def order_receivable_due_part(order: Order) -> tuple[dt.date, Decimal] | None:
    return receivable_due_part(invoiced=order.balance_invoiced, paid=order.balance_paid,
                               overdue_since=order.balance_overdue_since, last_due_on=order.balance_last_due_on)


def receivable_due_move(*, order: Order, before: tuple | None, after: tuple | None) -> None:
    """Move `order`'s part of ReceivableDueTotals from `before` to `after` (None: nothing, e.g. not yet
    invoiced, all paid, or cancelled): an upsert for each due date whose sum changes, adding under the
    row's lock so concurrent writers add up."""
    if before == after:
        return
    for part, sign in ((before, -1), (after, 1)):
        if part is not None:
            due_on, amount = part
            upsert_add(ReceivableDueTotals, ("owner_id", "customer_id", "currency", "due_on"),
                       [(order.owner_id, order.customer_id, order.currency, due_on, sign, sign * amount)],
                       ("orders", "open_invoiced"))


def receivable_dues_from_rows(*, order_model=None) -> dict[tuple, dict]:
    """Every (owner_id, customer_id, currency, due_on) row ReceivableDueTotals should hold, from the orders'
    balances (rows that hold nothing left out)."""
    order_model = order_model or Order
    rows = (order_model.objects.exclude(status=OrderStatus.CANCELLED).filter(_WILL_BE_OVERDUE)
            .filter(balance_last_due_on__isnull=False).order_by()
            .values_list("owner_id", "customer_id", "currency", "balance_last_due_on")
            .annotate(n=Count("id"), open=Sum(F("balance_invoiced") - F("balance_paid"),
                                              output_field=DecimalField(max_digits=16, decimal_places=2))))
    return {(owner, customer, currency, due_on): {"orders": n, "open_invoiced": open_}
            for owner, customer, currency, due_on, n, open_ in rows}


def receivable_dues_rebuild(*, apps=None) -> int:
    """Replace ReceivableDueTotals with what the orders' stored balances say; returns how many rows it
    holds. `apps`: a migration's registry (one from before crm 0020 has no such table: nothing to do)."""
    return rebuild_from(apps, "ReceivableDueTotals", "Order", ("owner_id", "customer_id", "currency", "due_on"),
                        lambda order_model: receivable_dues_from_rows(order_model=order_model))


# --- per customer and currency (ReceivableCustomerTotals) ------------------------------------------------


def receivable_customer_add(*, order: Order, orders: int, outstanding: Decimal) -> None:
    """Add `orders` and `outstanding` (a change of ReceivableTotals' orders and total less paid) to the row of
    `order`'s customer and currency, creating it when missing: one upsert, adding under the row's lock."""
    if not orders and not outstanding:
        return
    upsert_add(ReceivableCustomerTotals, ("customer_id", "currency"),
               [(order.customer_id, order.currency, orders, outstanding)], ("orders", "outstanding"))


def receivable_customers_from_rows(*, order_model=None) -> dict[tuple, dict]:
    """Every (customer_id, currency) row ReceivableCustomerTotals should hold, from the orders' balances (the
    orders not cancelled, as ReceivableTotals counts them)."""
    order_model = order_model or Order
    rows = (order_model.objects.exclude(status=OrderStatus.CANCELLED).order_by()
            .values_list("customer_id", "currency")
            .annotate(n=Count("id"), outstanding=Sum(F("balance_total") - F("balance_paid"),
                                                     output_field=DecimalField(max_digits=16, decimal_places=2))))
    return {(customer, currency): {"orders": n, "outstanding": outstanding}
            for customer, currency, n, outstanding in rows}


def receivable_customers_rebuild(*, apps=None) -> int:
    """Replace ReceivableCustomerTotals with what the orders' stored balances say; returns how many rows it
    holds. `apps`: a migration's registry (one from before crm 0023 has no such table: nothing to do)."""
    return rebuild_from(apps, "ReceivableCustomerTotals", "Order", ("customer_id", "currency"),
                        lambda order_model: receivable_customers_from_rows(order_model=order_model))
