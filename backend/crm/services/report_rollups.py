"""The reports' rollups. RepDayFigures: per day, rep and currency, sales and orders signed, collections,
invoices issued and approved expenses, so the reports page sums a few thousand rows a quarter instead
of every line, payment, invoice and expense in it. With it, the same increments of sales, orders,
collections and invoices go to CustomerMonthFigures (per month, customer, rep and currency: the figures
by customer and by region) and the sales and orders to ProductMonthFigures (per month,
product, rep and currency: the figures by product); the orders also to CustomerYearOrders (per customer
and year, the orders signed in each month: retention). One function adds to all four (rollup_add), so
they cannot drift apart. Expenses are kept per day and rep only: by customer and region the figures read
them from the rows (an expense's region is its own, not its customer's, and at this data shape a rollup
keyed by month, submitter, customer and region holds about as many rows as the approved expenses).

Kept as increments, in the transaction of the write that changes a figure (one upsert each, which adds to
the row under its lock, so concurrent writes add up and never overwrite each other):

    order_create (signed)           + sales, + 1 order   on the signed date, for the order's owner (and
                                                         customer; per product: its lines, + 1 order)
    order_status_change → cancelled − sales, − 1 order   (a cancelled order never reopens)
    invoice_issue                   + invoiced           on the issue date, for the order's owner and customer
    payment_record                  + collected          on the day received, for the order's owner and customer
    expense_decide (approved)       + expenses           on the day spent, for the submitter

ReceivableTotals (per order owner, customer and currency: the orders, their total, paid, and what is
invoiced and unpaid on those that will be overdue) moves with each order's stored balance: order_create
adds the new order, order_balance_update (invoice_issue, payment_record) adds the change of the balance,
a cancellation takes the order out. The same change goes to the customer's ReceivableCustomerTotals row
(receivable_add, the one place either moves).

An order's owner, customer, currency, signed date and lines never change after it is created (a handover moves
customers, deals, quotes and reminders, not orders), so nothing else moves a figure. `rollups_rebuild`
recomputes the whole tables from the rows (the migrations' backfills, bulk loads, and the tests that prove
the increments equal the rows); it writes no audit event (a rollup is derived, never decided).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from django.db.models import Case, Count, DecimalField, F, Q, Sum, When
from django.db.models.functions import TruncMonth

from backend.crm.models import (
    MONTH_COLUMNS,
    CustomerMonthFigures,
    CustomerYearOrders,
    Expense,
    ExpenseStatus,
    Invoice,
    Order,
    OrderLine,
    OrderStatus,
    Payment,
    ProductMonthFigures,
    ReceivableTotals,
    RepDayFigures,
)
from backend.crm.services.derived import derived_models, rebuild_from, replace_rows, upsert_add
from backend.crm.services.opportunity_products import closed_deal_products_rebuild, opportunity_products_rebuild
from backend.crm.services.opportunity_reached import opportunity_reached_rebuild
from backend.crm.services.receivable_rollups import (
    receivable_customer_add,
    receivable_customers_rebuild,
    receivable_dues_rebuild,
)

MEASURES = ("sales", "orders", "collected", "invoiced", "expenses")
CUSTOMER_MEASURES = ("sales", "orders", "collected", "invoiced")  # CustomerMonthFigures
PRODUCT_MEASURES = ("sales", "orders")  # ProductMonthFigures
ZERO = Decimal("0.00")


def month_of(day: dt.date) -> dt.date:
    """The month rollups' key for `day`: its month's first day."""
    return day.replace(day=1)


def _zeros(measures) -> dict:
    return {measure: 0 if measure == "orders" else ZERO for measure in measures}


def rollup_add(*, day: dt.date | None, rep_id: int, currency: str, customer_id: int | None = None,
               products: dict | None = None, **amounts) -> None:
    """Add `amounts` (measure=value, e.g. collected=Decimal("10.00")) to the row of (day, rep, currency),
    creating it when missing, and the order's measures (sales, orders, collected, invoiced) to its
    customer's month (`customer_id`, required with them); sales and orders also to each product's month
    (`products`: product id → that product's lines' total on the order; the order counts once per
    product), and the orders to the customer's year (CustomerYearOrders, its month's column). Nothing for
    an undated figure (an unsigned order is not in the sales)."""
    if day is None:
        return
    unknown = set(amounts) - set(MEASURES)
    if unknown:
        raise ValueError(f"unknown measures {sorted(unknown)}")
    values = {**_zeros(MEASURES), **amounts}
    upsert_add(RepDayFigures, ("day", "rep_id", "currency"), [(day, rep_id, currency, *(values[m] for m in MEASURES))],
                MEASURES)
    if not set(amounts) & set(CUSTOMER_MEASURES):
        return
    if customer_id is None:
        raise ValueError("an order's figures are kept per customer too: say whose (customer_id)")
    month = month_of(day)
    upsert_add(CustomerMonthFigures, ("month", "customer_id", "rep_id", "currency"),
                [(month, customer_id, rep_id, currency, *(values[m] for m in CUSTOMER_MEASURES))],
                CUSTOMER_MEASURES)
    if values["orders"]:  # (every month's column: 0 added to the others, which a new row starts at)
        months = [values["orders"] if number == month.month else 0 for number in range(1, 13)]
        upsert_add(CustomerYearOrders, ("year", "customer_id"), [(month.year, customer_id, *months)], MONTH_COLUMNS)
    if not set(amounts) & set(PRODUCT_MEASURES):
        return
    if products is None:
        raise ValueError("an order's sales are kept per product too: say which (products)")
    upsert_add(ProductMonthFigures, ("month", "product_id", "rep_id", "currency"),
                [(month, product_id, rep_id, currency, sales, values["orders"])
                 for product_id, sales in sorted(products.items())], PRODUCT_MEASURES)


def order_sales_by_product(lines) -> dict:
    """Product id → the total of `lines` (OrderLine rows, or the services' cleaned line dicts) for it."""
    found: dict = defaultdict(lambda: ZERO)
    for line in lines:
        if isinstance(line, dict):
            product = line["product"]
            found[getattr(product, "pk", product)] += line["line_total"]
        else:
            found[line.product_id] += line.line_total
    return dict(found)


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


def customer_months_from_rows(*, models=None) -> dict[tuple, dict]:
    """Every (month, customer_id, rep_id, currency) row CustomerMonthFigures should hold, summed from the
    rows (grouped queries, one per measure). `models`: (OrderLine, Payment, Invoice), historical or these."""
    line_model, payment_model, invoice_model = models or (OrderLine, Payment, Invoice)
    found: dict[tuple, dict] = defaultdict(lambda: _zeros(CUSTOMER_MEASURES))
    sales = (line_model.objects.exclude(order__status=OrderStatus.CANCELLED).filter(order__signed_date__isnull=False)
             .order_by().annotate(month=TruncMonth("order__signed_date"))
             .values_list("month", "order__customer_id", "order__owner_id", "order__currency")
             .annotate(sales=Sum("line_total"), orders=Count("order_id", distinct=True)))
    for month, customer, rep, currency, amount, orders in sales:
        row = found[(_as_date(month), customer, rep, currency)]
        row["sales"] += amount or ZERO
        row["orders"] += orders
    for measure, model, day_field in (("collected", payment_model, "received_on"),
                                      ("invoiced", invoice_model, "issued_on")):
        rows = (model.objects.order_by().annotate(month=TruncMonth(day_field))
                .values_list("month", "order__customer_id", "order__owner_id", "order__currency")
                .annotate(total=Sum("amount")))
        for month, customer, rep, currency, amount in rows:
            found[(_as_date(month), customer, rep, currency)][measure] += amount or ZERO
    return dict(found)


def customer_years_from_months(months: dict[tuple, dict]) -> dict[tuple, dict]:
    """Every (year, customer_id) row CustomerYearOrders should hold, from CustomerMonthFigures' rows as
    customer_months_from_rows gives them: their orders summed per customer and month, in the month's
    column. A customer and year without an order (only collections, say) has no row."""
    found: dict[tuple, dict] = {}
    for (month, customer, _rep, _currency), values in months.items():
        if values["orders"]:
            row = found.setdefault((month.year, customer), dict.fromkeys(MONTH_COLUMNS, 0))
            row[MONTH_COLUMNS[month.month - 1]] += values["orders"]
    return {key: row for key, row in found.items() if any(row.values())}


def customer_years_from_rows(*, line_model=None) -> dict[tuple, dict]:
    """Every (year, customer_id) row CustomerYearOrders should hold, from the lines (as
    customer_months_from_rows counts the orders: signed, not cancelled, with lines)."""
    line_model = line_model or OrderLine
    orders = (line_model.objects.exclude(order__status=OrderStatus.CANCELLED).filter(order__signed_date__isnull=False)
              .order_by().annotate(month=TruncMonth("order__signed_date"))
              .values_list("month", "order__customer_id").annotate(orders=Count("order_id", distinct=True)))
    return customer_years_from_months({(_as_date(month), customer, None, None): {"orders": count}
                                       for month, customer, count in orders})


def customer_years_rebuild(*, apps=None) -> int:
    """Replace CustomerYearOrders with what the rows say (crm 0025's backfill: the month rollups are left
    as they are); returns how many rows it holds."""
    return rebuild_from(apps, "CustomerYearOrders", "OrderLine", ("year", "customer_id"),
                        lambda line_model: customer_years_from_rows(line_model=line_model))


def product_months_from_rows(*, line_model=None) -> dict[tuple, dict]:
    """Every (month, product_id, rep_id, currency) row ProductMonthFigures should hold, from the lines."""
    line_model = line_model or OrderLine
    sales = (line_model.objects.exclude(order__status=OrderStatus.CANCELLED).filter(order__signed_date__isnull=False)
             .order_by().annotate(month=TruncMonth("order__signed_date"))
             .values_list("month", "product_id", "order__owner_id", "order__currency")
             .annotate(sales=Sum("line_total"), orders=Count("order_id", distinct=True)))
    return {(_as_date(month), product, rep, currency): {"sales": amount or ZERO, "orders": orders}
            for month, product, rep, currency, amount, orders in sales}


def _as_date(value) -> dt.date:
    """TruncMonth of a date, as a date whatever the database hands back."""
    return value.date() if isinstance(value, dt.datetime) else value


def month_rollups_rebuild(*, apps=None) -> int:
    """Replace CustomerMonthFigures and ProductMonthFigures (and CustomerYearOrders, from the same sums,
    once it exists) with what the rows say (one transaction); returns how many customer month rows there
    are. `apps`: a migration's registry (crm 0021's and 0025's backfills)."""
    models = derived_models(apps, "CustomerMonthFigures", "ProductMonthFigures", "OrderLine", "Payment", "Invoice")
    if models is None:
        return 0
    customer_model, product_model, line_model, payment_model, invoice_model = models
    with transaction.atomic():
        customers = customer_months_from_rows(models=(line_model, payment_model, invoice_model))
        replace_rows(customer_model, customers, ("month", "customer_id", "rep_id", "currency"))
        replace_rows(product_model, product_months_from_rows(line_model=line_model),
                     ("month", "product_id", "rep_id", "currency"))
        years = derived_models(apps, "CustomerYearOrders")
        if years is not None:
            replace_rows(years[0], customer_years_from_months(customers), ("year", "customer_id"))
    return len(customers)


def rollups_rebuild(*, apps=None) -> int:
    """Replace the whole rollups with what the rows say (the day and month ones, the products quoted per
    deal and each deal's furthest funnel step), and the receivable totals with what the orders' balances say (one transaction); returns how many day rows the rollup holds.
    For the migrations' backfills (`apps`: their registry), bulk loads and checks."""
    if apps is not None:
        rollup_model = apps.get_model("crm", "RepDayFigures")
        models = tuple(apps.get_model("crm", name) for name in ("OrderLine", "Payment", "Invoice", "Expense"))
    else:
        rollup_model, models = RepDayFigures, None
    with transaction.atomic():
        found = rollups_from_rows(models=models)
        replace_rows(rollup_model, found, ("day", "rep_id", "currency"))
        month_rollups_rebuild(apps=apps)
        receivables_rebuild(apps=apps)
        opportunity_products_rebuild(apps=apps)  # the products quoted per deal (services/opportunity_products.py)
        closed_deal_products_rebuild(apps=apps)  # and per day closed and product, the deals won and lost
        opportunity_reached_rebuild(apps=apps)  # each deal's furthest funnel step (services/opportunity_reached.py)
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
    counted, i.e. not yet created or cancelled): one upsert that adds the difference under the row's lock;
    and its customer's row of ReceivableCustomerTotals by the same change (orders, total less paid)."""
    empty = {"orders": 0, "total": ZERO, "paid": ZERO, "open_invoiced": ZERO}
    before, after = before or empty, after or empty
    delta = [after[m] - before[m] for m in RECEIVABLE_MEASURES]
    if not any(delta):
        return
    upsert_add(ReceivableTotals, ("owner_id", "customer_id", "currency"),
                [(order.owner_id, order.customer_id, order.currency, *delta)], RECEIVABLE_MEASURES)
    orders, total, paid, _open = delta
    receivable_customer_add(order=order, orders=orders, outstanding=total - paid)


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
        receivable_customers_rebuild(apps=apps)  # their sums per customer (the same module)
    return len(found)
