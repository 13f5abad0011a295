"""The figures of the reports page, for a chosen period, each narrowed to the reps the reader may see
(policy/reports.py: their own, their team's, or everyone's) and each a `Report` of aggregated rows.

Every figure is a handful of grouped queries (values().annotate()): no query per row, no rows kept in
Python beyond the groups. Money is summed per currency and never added across currencies. Rates are
percentages rounded half up to one place (2 of 11 is 18.2), hours to one place, money to the cent: the
page and the CSV/XLSX show the same numbers.

What the period applies to:

    figures      sales: orders signed in it (their lines); collections: payments received in it;
                 invoices issued in it; expenses spent in it (approved only); receivables and overdue:
                 as of its last day (or today)
    targets      targets whose month or quarter overlaps it; attainment = orders signed in the target's
                 own month or quarter
    funnel       deals created in it
    lost         deals closed (won or lost) in it
    retention    customers ordering in it against the period of the same length just before
    visits       activities that took place in it; "not contacted" counts from today
    service      service records opened in it
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from operator import itemgetter
from typing import Any

from django.conf import settings
from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db import connection
from django.db.models import (
    Avg,
    Case,
    Count,
    DecimalField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, NullIf, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backend.access.policy import Action, visible
from backend.access.policy.reports import FigureScope, figure_scope, service_figure_scope
from backend.accounts.models import Department, Role, User
from backend.common.errors import InvalidInput
from backend.crm.models import (
    CLOSED_STAGES,
    FUNNEL_STAGES,
    ClosedDealProductDay,
    Competitor,
    OPEN_STAGES,
    Activity,
    ActivityKind,
    Customer,
    CustomerMonthFigures,
    Expense,
    ExpenseStatus,
    Invoice,
    Opportunity,
    OpportunityProduct,
    Order,
    OrderLine,
    OrderStatus,
    Payment,
    Product,
    ProductMonthFigures,
    ReceivableDueTotals,
    ReceivableTotals,
    RepDayFigures,
    SalesTarget,
    ServiceRecord,
    ServiceType,
    Stage,
    TargetPeriod,
)
from backend.crm.reports import Period, Report
from backend.crm.selectors.orders import MONEY_FIELD, ZERO
from backend.crm.selectors.report_queries import Reader, report_rows, report_sql_rows

CENT = Decimal("0.01")
TENTH = Decimal("0.1")
GROUPS = ("rep", "team", "region", "customer", "product")
NOT_CONTACTED_DEFAULT_DAYS = 30
NO_REGION = _("(no region)")
NONE_GIVEN = _("(none given)")


# --- rounding: the one place numbers are rounded, for the page and the files alike -----------------


def cents(value) -> Decimal:
    """The value to the cent, rounded half up. A Decimal (what the database sums are) is quantized without a
    copy first, its rounding passed positionally (as a keyword it costs twice as much: grouped by customer
    there are some 100,000 values)."""
    if type(value) is Decimal:
        return value.quantize(CENT, ROUND_HALF_UP)
    return Decimal(value or 0).quantize(CENT, ROUND_HALF_UP)


def percent(part, whole) -> Decimal | None:
    """`part` of `whole` in percent, one decimal, rounded half up: percent(2, 11) == Decimal("18.2")."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(TENTH, rounding=ROUND_HALF_UP)


def hours(value) -> Decimal | None:
    """A duration (timedelta on PostgreSQL, microseconds on SQLite) in hours, one decimal."""
    if value is None:
        return None
    seconds = value.total_seconds() if isinstance(value, dt.timedelta) else float(value) / 1_000_000
    return (Decimal(str(seconds)) / 3600).quantize(TENTH, rounding=ROUND_HALF_UP)


def one_decimal(value) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(TENTH, rounding=ROUND_HALF_UP)


def quarter_start(day: dt.date) -> dt.date:
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def current_quarter(today: dt.date | None = None) -> Period:
    today = today or timezone.localdate()
    start = quarter_start(today)
    year, month = divmod(start.month + 2, 12)
    end = dt.date(start.year + year, month + 1, 1) - dt.timedelta(days=1)
    return Period(start, end)


def _person_name(prefix: str = "") -> Coalesce:
    return Coalesce(NullIf(F(f"{prefix}display_name"), Value("")), F(f"{prefix}username"))


def _rep_filter(scope: FigureScope, rep_path: str, rep_id: int | None, department_id: int | None) -> Q:
    q = scope.rep_q(rep_path)
    if rep_id:
        q &= Q(**{f"{rep_path}_id": rep_id})
    if department_id:
        q &= Q(**{f"{rep_path}__department_id": department_id})
    return q


# --- (1) sales, collections, receivables, invoices, expenses, margin --------------------------------

# For each measure: the queryset, the path to its rep, and the path of each grouping (None: the measure
# cannot be split that way, e.g. a payment has no product).
_PATHS = {
    "sales": {"rep": "order__owner", "team": "order__owner__department", "region": "order__customer__region",
              "customer": "order__customer", "product": "product"},
    "collected": {"rep": "order__owner", "team": "order__owner__department", "region": "order__customer__region",
                  "customer": "order__customer", "product": None},
    "invoiced": {"rep": "order__owner", "team": "order__owner__department", "region": "order__customer__region",
                 "customer": "order__customer", "product": None},
    "receivable": {"rep": "owner", "team": "owner__department", "region": "customer__region",
                   "customer": "customer", "product": None},
    "expenses": {"rep": "submitter", "team": "submitter__department", "region": "region",
                 "customer": "customer", "product": None},
}
FIGURE_MEASURES = ("sales", "orders", "collected", "invoiced", "outstanding", "overdue", "expenses", "margin")


def _key(path: str, group_by: str) -> F:
    return F(path if group_by == "region" else f"{path}_id")


def _sum_rows(queryset) -> list[tuple]:
    """The rows of a grouped values_list() whose sums are of numeric(…, 2) and integer columns. On
    PostgreSQL they are read straight from the cursor: the driver already returns numeric sums as Decimals
    of two places and integer sums and counts as ints, and Django's per-row converters would only copy them
    (grouped by customer that is tens of thousands of rows). Elsewhere (SQLite returns a sum of decimals as
    a float) Django's converters make the Decimals."""
    if connection.vendor != "postgresql":
        return list(queryset)
    try:
        sql, params = queryset.query.sql_with_params()
    except EmptyResultSet:
        return []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _grouped(queryset, key_path: str, group_by: str, currency_path: str, measures: dict) -> dict:
    """Each of `measures` (name: aggregate) summed per group and currency: {name: {(key, currency): value}}
    (a group is in every measure's dict, whatever its value)."""
    rows = _sum_rows(queryset.order_by().annotate(key=_key(key_path, group_by), cur=F(currency_path))
                     .values_list("key", "cur").annotate(**measures))
    names = list(measures)
    found: dict[str, dict] = {name: {} for name in names}
    for key, currency, *values in rows:
        group = (key, currency)
        for name, value in zip(names, values):
            found[name][group] = value
    return found


_LABELS_BY_ID = 500


def _labels(group_by: str, keys: set) -> dict:
    """Display names for the group keys: one query per grouping."""
    keys = {key for key in keys if key is not None}
    if group_by == "region":
        return {key: key or str(NO_REGION) for key in keys}
    if not keys:
        return {}
    model = {"rep": User, "team": Department, "customer": Customer}.get(group_by, Product)
    # A few keys are looked up by id; thousands (every customer) are read whole: a literal list of 10,000
    # ids costs the database more than the rows themselves.
    rows = model.objects.filter(pk__in=keys) if len(keys) <= _LABELS_BY_ID else model.objects.all()
    if group_by == "rep":
        return dict(rows.annotate(name=_person_name()).values_list("pk", "name"))
    if group_by in ("team", "customer"):
        return dict(rows.values_list("pk", "name"))
    return {pk: f"{code} {name}" for pk, code, name in rows.values_list("pk", "code", "name")}


# Groupings the rollup answers (RepDayFigures: per day, rep and currency); the others sum the rows.
_ROLLUP_GROUPS = {"rep": "rep_id", "team": "rep__department_id"}
_ROLLUP_MEASURES = ("sales", "orders", "collected", "invoiced", "expenses")


def _rollup_groups(period: Period, scope: FigureScope, group_by: str, rep_id: int | None,
                   department_id: int | None) -> dict:
    """Sales, orders signed, collections, invoices and expenses per rep or team and currency, summed from
    the rollup's days in the period (one grouped query over a few thousand rows a quarter):
    {measure: {(key, currency): value}}. A group whose figures all came back to nothing (an order signed,
    then cancelled) is left out, as the rows leave it."""
    rows = _sum_rows(RepDayFigures.objects.filter(period.date_q("day"))
                     .filter(_rep_filter(scope, "rep", rep_id, department_id)).order_by()
                     .annotate(key=F(_ROLLUP_GROUPS[group_by]), cur=F("currency")).values_list("key", "cur")
                     .annotate(**{measure: Sum(measure) for measure in _ROLLUP_MEASURES}))
    found: dict[str, dict] = {measure: {} for measure in _ROLLUP_MEASURES}
    into = [found[measure] for measure in _ROLLUP_MEASURES]
    for key, currency, *values in rows:
        if not any(values):
            continue
        group = (key, currency)
        for groups, value in zip(into, values):
            groups[group] = value
    return found


# Groupings the month rollups answer for the months wholly inside a period: the rollup, the path of the
# group's key in it, and the measures it holds. Region is the customer's, joined when read (as the rows
# read it: a customer moved to another region takes its past figures along).
_MONTH_GROUPS = {"region": (CustomerMonthFigures, "customer__region"), "customer": (CustomerMonthFigures, "customer"),
                 "product": (ProductMonthFigures, "product")}


def _next_month(month: dt.date) -> dt.date | None:
    return None if (month.year, month.month) == (9999, 12) else dt.date(month.year + month.month // 12,
                                                                        month.month % 12 + 1, 1)


def _month_span(period: Period) -> tuple[tuple[dt.date | None, dt.date | None] | None, list[Period]]:
    """The first and last of the months wholly inside `period` (None: unbounded, the period is open; the
    span None: not one month) and the periods of its days outside them (its edges, read from the rows).
    A quarter is three months and no edge."""
    date_from, date_to = period.date_from, period.date_to
    first = last = None
    if date_from is not None:
        first = date_from if date_from.day == 1 else _next_month(date_from.replace(day=1))
        if first is None:
            return None, [period]
    if date_to is not None:
        month = date_to.replace(day=1)
        after = _next_month(month)
        if (after - dt.timedelta(days=1) if after else dt.date.max) == date_to:
            last = month
        elif month == dt.date.min.replace(day=1):
            return None, [period]
        else:
            last = (month - dt.timedelta(days=1)).replace(day=1)
    if first is not None and last is not None and first > last:
        return None, [period]
    edges = []
    if first is not None and date_from < first:
        edges.append(Period(date_from, first - dt.timedelta(days=1)))
    if last is not None:
        after = _next_month(last)
        if after is not None and after <= date_to:
            edges.append(Period(after, date_to))
    return (first, last), edges


def _month_split(period: Period) -> tuple[Q | None, list[Period]]:
    """_month_span as a Q on a month rollup's `month` (None: not one month) and the edges."""
    span, edges = _month_span(period)
    if span is None:
        return None, edges
    months = Q()
    if span[0] is not None:
        months &= Q(month__gte=span[0])
    if span[1] is not None:
        months &= Q(month__lte=span[1])
    return months, edges


def _dated_q(periods: list[Period], field_name: str) -> Q:
    q = Q()
    for period in periods:
        q |= period.date_q(field_name)
    return q


def _row_groups(periods: list[Period], group_by: str, narrowed) -> dict:
    """Sales and orders signed (and, unless by product, collections and invoices) per group and currency,
    summed from the rows dated in `periods` (the edges of a period the month rollups do not hold whole):
    {measure: {(key, currency): value}}."""
    lines = narrowed(OrderLine.objects.exclude(order__status=OrderStatus.CANCELLED)
                     .filter(_dated_q(periods, "order__signed_date"), order__signed_date__isnull=False), "sales")
    found = _grouped(lines, _PATHS["sales"][group_by], group_by, "order__currency",
                     {"sales": Sum("line_total"), "orders": Count("order_id", distinct=True)})
    if _PATHS["collected"][group_by]:
        payments = narrowed(Payment.objects.filter(_dated_q(periods, "received_on")), "collected")
        found.update(_grouped(payments, _PATHS["collected"][group_by], group_by, "order__currency",
                              {"collected": Sum("amount")}))
        invoices = narrowed(Invoice.objects.filter(_dated_q(periods, "issued_on")), "invoiced")
        found.update(_grouped(invoices, _PATHS["invoiced"][group_by], group_by, "order__currency",
                              {"invoiced": Sum("amount")}))
    return found


def _month_groups(period: Period, scope: FigureScope, group_by: str, rep_id: int | None,
                  department_id: int | None, narrowed) -> dict:
    """Sales and orders signed (and, by region or customer, collections and invoices) per group and
    currency, {measure: {(key, currency): value}}: the months wholly inside the period summed from the
    month rollups (one grouped query), the days at its edges from the rows, added up. A group is in a
    measure exactly when the rows have some of it (an order signed, then cancelled, leaves its month's row
    at nothing)."""
    model, path = _MONTH_GROUPS[group_by]
    money = ("sales", "collected", "invoiced") if _PATHS["collected"][group_by] else ("sales",)
    found: dict[str, dict] = {"orders": {}, **{measure: {} for measure in money}}
    months, edges = _month_split(period)
    if months is not None:
        rows = _sum_rows(model.objects.filter(months).filter(_rep_filter(scope, "rep", rep_id, department_id))
                         .order_by().annotate(key=_key(path, group_by), cur=F("currency")).values_list("key", "cur")
                         .annotate(orders_=Sum("orders"), **{f"{measure}_": Sum(measure) for measure in money}))
        orders_in, sales = found["orders"], found["sales"]
        collected, invoiced = found.get("collected"), found.get("invoiced")
        for key, currency, orders, *amounts in rows:
            group = (key, currency)
            if orders:
                orders_in[group] = orders
                sales[group] = amounts[0]
            if collected is not None:
                if amounts[1]:
                    collected[group] = amounts[1]
                if amounts[2]:
                    invoiced[group] = amounts[2]
    if edges:
        for measure, groups in _row_groups(edges, group_by, narrowed).items():
            into = found[measure]
            for group, value in groups.items():
                if group in into:
                    into[group] = (into[group] or 0) + (value or 0)
                else:
                    into[group] = value
    return found


def figures(*, user, period: Period, group_by: str = "rep", rep_id: int | None = None,
            department_id: int | None = None) -> Report:
    """Per group and currency: sales (orders signed), collections, invoices issued, expenses (approved),
    receivables outstanding and overdue as of the period's end, and the margin after expenses (sales
    less expenses: product costs are not recorded, so this is the margin the figures can know)."""
    if group_by not in GROUPS:
        raise InvalidInput("Unknown grouping.", fields={"by": [f"Choose one of: {', '.join(GROUPS)}."]})
    scope = figure_scope(user)
    as_of = min(period.date_to or timezone.localdate(), timezone.localdate())

    def narrowed(queryset, measure: str):
        return queryset.filter(_rep_filter(scope, _PATHS[measure]["rep"], rep_id, department_id))

    # {measure: {(key, currency): value}}; a measure the grouping cannot split is absent (None in the rows).
    found: dict[str, dict] = {}
    if group_by in _ROLLUP_GROUPS:
        found.update(_rollup_groups(period, scope, group_by, rep_id, department_id))
        found.update(_receivable_groups(narrowed(Order.objects.exclude(status=OrderStatus.CANCELLED), "receivable"),
                                        narrowed(ReceivableTotals.objects.all(), "receivable"), group_by, as_of))
    else:
        found.update(_month_groups(period, scope, group_by, rep_id, department_id, narrowed))
        if _PATHS["expenses"][group_by]:
            # Expenses by customer and region are read from the rows: their region is the expense's own,
            # and per month, submitter, customer and region there would be about as many rows as expenses.
            spent = narrowed(Expense.objects.filter(status=ExpenseStatus.APPROVED).filter(period.date_q("spent_on")),
                             "expenses")
            found.update(_grouped(spent, _PATHS["expenses"][group_by], group_by, "currency",
                                  {"expenses": Sum("amount")}))
            found.update(_receivable_groups(narrowed(Order.objects.exclude(status=OrderStatus.CANCELLED), "receivable"),
                                            narrowed(ReceivableTotals.objects.all(), "receivable"), group_by, as_of))
    keys = set().union(*(groups.keys() for groups in found.values()))
    labels = _labels(group_by, {key for key, _currency in keys})
    rows = _figure_rows(found, keys, labels, margin=bool(_PATHS["collected"][group_by]) and "expenses" in found)
    # By label, then key, then currency: three stable sorts on one string each, the last key first (the
    # same order as one sort on the three as a tuple, whose comparisons cost more than the rows' building).
    rows.sort(key=itemgetter("currency"))
    rows.sort(key=lambda row: str(row["key"]))
    rows.sort(key=lambda row: str(row["label"]).lower())
    summary = _summary(rows)
    group_header = {"rep": _("rep"), "team": _("team"), "region": _("region"), "customer": _("customer"),
                    "product": _("product")}[group_by]
    return Report(
        name="figures",
        params={**period.as_dict(), "by": group_by, "rep": rep_id, "team": department_id,
                "as_of": as_of.isoformat()},
        columns=[("label", group_header), ("currency", _("currency")), ("orders", _("orders signed")),
                 ("sales", _("sales")), ("collected", _("collected")), ("invoiced", _("invoiced")),
                 ("outstanding", _("receivable outstanding")), ("overdue", _("overdue")),
                 ("expenses", _("expenses (approved)")), ("margin", _("margin after expenses"))],
        rows=rows,
        summary=summary,
    )


def _figure_rows(found: dict[str, dict], keys: set, labels: dict, *, margin: bool) -> list[dict]:
    """One row per group and currency of `keys`, built a column at a time from `found` ({measure: {group:
    value}}): grouped by customer there are some 20,000 rows, and filling each row measure by measure cost
    more than the queries. A measure absent from `found` is None in every row; a group without a value is
    0 orders and 0.00 of the money. The margin is sales less expenses, both already to the cent (so their
    difference is too)."""
    groups = list(keys)
    count = len(groups)
    zero = cents(0)
    columns: dict[str, list] = {"key": [key for key, _currency in groups],
                                "label": [labels.get(key, "—") for key, _currency in groups],
                                "currency": [currency for _key, currency in groups]}
    orders = found.get("orders")
    columns["orders"] = [None] * count if orders is None else [orders.get(group) or 0 for group in groups]
    measures = [measure for measure in FIGURE_MEASURES if measure not in ("orders", "margin")]
    for measure in measures:  # as the rows were built before: the missing measures first, then the money
        if measure not in found:
            columns[measure] = [None] * count
    for measure in measures:
        if measure in found:
            values = found[measure]
            columns[measure] = [zero if value is None else value.quantize(CENT, ROUND_HALF_UP)  # cents(), inline
                                if type(value) is Decimal else cents(value)
                                for value in map(values.get, groups)]
    columns["margin"] = ([sales - expenses for sales, expenses in zip(columns["sales"], columns["expenses"])]
                         if margin else [None] * count)
    names = list(columns)
    return [dict(zip(names, values)) for values in zip(*columns.values())]


def _per_order_from_rows(orders, as_of: dt.date) -> tuple[str, list]:
    """SQL for a derived table, one row per order of `orders`: id, customer_id, owner_id, currency, total
    (its lines), paid (payments received by `as_of`) and overdue (what was invoiced and due before `as_of`
    and is still unpaid, counting unallocated payments and those against past-due invoices, never more
    than all that is invoiced and unpaid: the order pages' rule). Each table is summed once per order in
    a grouped subquery, never a correlated subquery per order: the page stays fast at 200,000 orders.
    Written in SQL both PostgreSQL and SQLite run (CASE, not GREATEST/LEAST or FILTER)."""
    q = connection.ops.quote_name
    order, line, payment, invoice = (q(m._meta.db_table) for m in (Order, OrderLine, Payment, Invoice))
    ids_sql, ids_params = orders.order_by().values("pk").query.sql_with_params()
    ids_params = list(ids_params)

    def positive(expression: str) -> str:
        return f"(CASE WHEN {expression} > 0 THEN {expression} ELSE 0 END)"

    unpaid_due = positive("COALESCE(i.past_due, 0) - COALESCE(p.toward_due, 0)")
    unpaid = positive("COALESCE(i.invoiced, 0) - COALESCE(p.paid, 0)")
    sql = f"""
        SELECT o.id AS id, o.customer_id AS customer_id, o.owner_id AS owner_id, o.currency AS currency,
               COALESCE(l.total, 0) AS total, COALESCE(p.paid, 0) AS paid,
               CASE WHEN {unpaid_due} < {unpaid} THEN {unpaid_due} ELSE {unpaid} END AS overdue
        FROM {order} o
        LEFT JOIN (SELECT order_id, SUM(line_total) AS total FROM {line}
                   WHERE order_id IN ({ids_sql}) GROUP BY order_id) l ON l.order_id = o.id
        LEFT JOIN (SELECT pay.order_id AS order_id, SUM(pay.amount) AS paid,
                          SUM(CASE WHEN pay.invoice_id IS NULL OR inv.due_on < %s THEN pay.amount ELSE 0 END)
                              AS toward_due
                   FROM {payment} pay LEFT JOIN {invoice} inv ON inv.id = pay.invoice_id
                   WHERE pay.received_on <= %s AND pay.order_id IN ({ids_sql}) GROUP BY pay.order_id) p
               ON p.order_id = o.id
        LEFT JOIN (SELECT order_id, SUM(amount) AS invoiced,
                          SUM(CASE WHEN due_on < %s THEN amount ELSE 0 END) AS past_due
                   FROM {invoice} WHERE order_id IN ({ids_sql}) GROUP BY order_id) i ON i.order_id = o.id
        WHERE o.id IN ({ids_sql})"""
    params = ids_params + [as_of, as_of] + ids_params + [as_of] + ids_params + ids_params
    return sql, params


_ROWS_BY_ID = 2000


def _between_due_dates_q(as_of: dt.date) -> Q:
    """Orders with something past due on `as_of` and a due date still to come (on or after it). The third
    condition follows from the first two; it is written so the database reads these few orders from
    their partial index (order_due_gap_idx) instead of every order not yet due."""
    return (Q(balance_overdue_since__lt=as_of, balance_last_due_on__gte=as_of)
            & Q(balance_overdue_since__lt=F("balance_last_due_on")))


def _needs_rows_q(as_of: dt.date) -> Q:
    """Orders whose stored balance cannot say what they owed on `as_of`: a payment dated after it, or a day
    between its first past-due invoice and its last due date (only the invoices can say which are past due)."""
    return Q(balance_last_paid_on__gt=as_of) | _between_due_dates_q(as_of)


def _per_order_receivables(orders, as_of: dt.date) -> tuple[str, list]:
    """SQL for a derived table, one row per order of `orders`: id, customer_id, owner_id, currency, total,
    paid (by `as_of`) and overdue (on `as_of`). Most orders answer from their stored balance
    (Order.balance_*, kept by the order, invoice and payment services): outstanding is total less paid,
    and overdue is nothing until the day after `balance_overdue_since` and all that is invoiced and unpaid
    after the last due date. The few the balance cannot answer (_needs_rows_q: a payment after `as_of`, or
    `as_of` between two due dates) are summed from their rows by _per_order_from_rows."""
    # Which orders those are is asked first (a handful, usually none, when `as_of` is today): the rows of
    # only those are then read by their ids, instead of a plan that scans every payment to find them.
    needing = list(orders.filter(_needs_rows_q(as_of)).order_by().values_list("pk", flat=True)[:_ROWS_BY_ID + 1])
    if len(needing) > _ROWS_BY_ID:  # a day long past: many orders were paid after it
        exact = _per_order_from_rows(orders.filter(_needs_rows_q(as_of)), as_of)
    elif needing:
        exact = _per_order_from_rows(Order.objects.filter(pk__in=needing), as_of)
    else:
        exact = None
    overdue = Case(When(Q(balance_overdue_since__isnull=True) | Q(balance_overdue_since__gte=as_of), then=ZERO),
                   When(balance_invoiced__gt=F("balance_paid"), then=F("balance_invoiced") - F("balance_paid")),
                   default=ZERO, output_field=MONEY_FIELD)
    fast = (orders.exclude(_needs_rows_q(as_of)).order_by()
            .annotate(total=F("balance_total"), paid=F("balance_paid"), overdue=overdue)
            .values_list("id", "customer_id", "owner_id", "currency", "total", "paid", "overdue"))
    fast_sql, fast_params = fast.query.sql_with_params()
    if exact is None:
        return fast_sql, list(fast_params)
    return f"{exact[0]} UNION ALL {fast_sql}", [*exact[1], *fast_params]


# The key of each grouping over a per-order table aliased {t}; only the table a grouping needs is joined.
_RECEIVABLE_KEYS = {"rep": "{t}.owner_id", "team": "u.department_id", "region": "c.region",
                    "customer": "{t}.customer_id"}
_RECEIVABLE_JOINS = {"rep": "", "customer": "", "team": " JOIN {user} u ON u.id = {t}.owner_id",
                     "region": " JOIN {customer} c ON c.id = {t}.customer_id"}
_TOTALS_KEYS = {"rep": "owner_id", "team": "owner__department_id", "region": "customer__region",
                "customer": "customer_id"}


def _not_answered_q(as_of: dt.date) -> Q:
    """Orders whose part of ReceivableTotals, less their part of ReceivableDueTotals due on or after
    `as_of`, is not what they owed on `as_of`: a payment after it, something past due on it with a due date
    still to come (only the invoices can say what is overdue then), or signed after it. Exactly the orders
    _needs_rows_q names, and those signed after `as_of`. (An order whose every due date is on or after
    `as_of` owes nothing overdue on it: its due part taken off, the totals answer for it.)"""
    return _needs_rows_q(as_of) | Q(signed_date__gt=as_of)


def _narrows(queryset) -> bool:
    """Does `queryset` leave out any row of its table? (An administrator's scope filters with a condition
    every row meets: the SQL it compiles to is none.)"""
    try:
        sql, _params = queryset.query.get_compiler(queryset.db).compile(queryset.query.where)
    except FullResultSet:
        return False
    except EmptyResultSet:
        return True
    return bool(sql)


def _receivable_sums(*, totals, orders, included: Q | None, group_by: str, as_of: dt.date,
                     not_answered: Q | None = None) -> tuple[str, list]:
    """SQL for a derived table, per group and currency (key, currency, orders, total, paid, overdue): the
    orders counted, their total, what was paid by `as_of` and what was overdue on it, for `orders` (not
    cancelled; those matching `included`, when given). It starts from ReceivableTotals (`totals`: its
    rows for the same orders' owners and customers), takes off what ReceivableDueTotals holds for the due
    dates on or after `as_of` (invoiced and unpaid, but not overdue yet on the day), then corrects them
    with the few orders they do not answer for (_not_answered_q: a payment after `as_of`, a day between
    two due dates, signed after it): each one's part is taken out and what it really owed on `as_of` put
    in (from its balance, or from its rows when the balance cannot say). About one row per customer, a
    row per customer and due date still to come, and those few orders; not every order.
    `not_answered` narrows the orders corrected for when only the total and paid are wanted (a payment
    after `as_of` is all that changes those): the overdue is then not the day's."""
    base_sql, base_params = (totals.order_by().annotate(key=F(_TOTALS_KEYS[group_by])).values("key", "currency")
                             .annotate(n=Sum("orders"), total=Sum("total"), paid=Sum("paid"),
                                       overdue=Sum("open_invoiced")).query.sql_with_params())
    by_due_date = not_answered is None
    due_sql, due_params = "", []
    if by_due_date:
        dues = ReceivableDueTotals.objects.filter(due_on__gte=as_of)
        if _narrows(totals):  # only the rows of the totals read (one reader's reps, some customers)
            dues = dues.filter(Exists(totals.filter(owner_id=OuterRef("owner_id"), customer_id=OuterRef("customer_id"),
                                                    currency=OuterRef("currency"))))
        sql, params = (dues.order_by().annotate(key=F(_TOTALS_KEYS[group_by])).values("key", "currency")
                       .annotate(due=Sum("open_invoiced")).query.sql_with_params())
        due_sql = f"""
              UNION ALL
              SELECT d.key, d.currency, 0, 0, 0, -d.due FROM ({sql}) d"""
        due_params = list(params)
    unanswered = orders.filter(_not_answered_q(as_of) if not_answered is None else not_answered)
    counted = unanswered.filter(included) if included is not None else unanswered
    per_order, params = _per_order_receivables(counted, as_of)
    e_sql, e_params = unanswered.order_by().values_list(
        "id", "owner_id", "customer_id", "currency", "balance_total", "balance_paid", "balance_invoiced",
        "balance_overdue_since", "balance_last_due_on").query.sql_with_params()
    q = connection.ops.quote_name
    def key(t):
        return _RECEIVABLE_KEYS[group_by].format(t=t)

    def joins(t):
        return _RECEIVABLE_JOINS[group_by].format(t=t, customer=q(Customer._meta.db_table), user=q(User._meta.db_table))

    # An unanswered order's part of the overdue left in the totals: all it has invoiced and unpaid, less
    # what the due dates on or after `as_of` took off already.
    not_taken_off = " AND e.balance_last_due_on < %s" if by_due_date else ""
    kept_open = ("CASE WHEN e.balance_overdue_since IS NOT NULL AND e.balance_invoiced > e.balance_paid"
                 f"{not_taken_off} THEN e.balance_invoiced - e.balance_paid ELSE 0 END")
    # The totals, less what is not due yet on `as_of`, less the unanswered orders' parts of them, plus what
    # those owed on `as_of` (when counted).
    sql = f"""
        SELECT s.key AS key, s.currency AS currency, SUM(s.n) AS orders, SUM(s.total) AS total,
               SUM(s.paid) AS paid, SUM(s.overdue) AS overdue
        FROM (SELECT b.key AS key, b.currency AS currency, b.n AS n, b.total AS total, b.paid AS paid,
                     b.overdue AS overdue
              FROM ({base_sql}) b{due_sql}
              UNION ALL
              SELECT {key("e")}, e.currency, -COUNT(*), -SUM(e.balance_total), -SUM(e.balance_paid),
                     -SUM({kept_open})
              FROM ({e_sql}) e{joins("e")}
              GROUP BY {key("e")}, e.currency
              UNION ALL
              SELECT {key("t")}, t.currency, COUNT(*), SUM(t.total), SUM(t.paid), SUM(t.overdue)
              FROM ({per_order}) t{joins("t")}
              GROUP BY {key("t")}, t.currency) s
        GROUP BY s.key, s.currency
        HAVING SUM(s.n) > 0"""
    # (A group none of whose orders is counted, all signed after `as_of`, is left out, as the rows leave it.)
    return sql, [*base_params, *due_params, *([as_of] if by_due_date else []), *e_params, *params]


def _receivable_groups(orders, totals, group_by: str, as_of: dt.date) -> dict:
    """Outstanding (ordered less paid) and overdue as of `as_of`, per group and currency, for the orders
    signed by then: {"outstanding": {(key, currency): value}, "overdue": {…}}."""
    signed = Q(signed_date__lte=as_of) | Q(signed_date__isnull=True)
    sql, params = _receivable_sums(totals=totals, orders=orders, included=signed, group_by=group_by, as_of=as_of)
    outstanding_in, overdue_in = {}, {}
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT r.key, r.currency, r.total - r.paid, r.overdue FROM ({sql}) r", params)
        for key, currency, outstanding, overdue in cursor.fetchall():
            outstanding_in[key, currency] = outstanding or 0
            overdue_in[key, currency] = overdue or 0
    return {"outstanding": outstanding_in, "overdue": overdue_in}


_PICK_MEASURES = itemgetter(*FIGURE_MEASURES)


def _summary(rows: list[dict]) -> list[dict]:
    """Totals per currency over the rows (a measure stays None when no row has it), summed a column at a
    time, in the rows' order."""
    by_currency: dict[str, list[dict]] = {}
    for row in rows:
        by_currency.setdefault(row["currency"], []).append(row)
    totals = []
    for currency in sorted(by_currency):
        group = by_currency[currency]
        total: dict[str, Any] = {"currency": currency}
        for measure, column in zip(FIGURE_MEASURES, zip(*map(_PICK_MEASURES, group))):
            values = [value for value in column if value is not None]
            total[measure] = sum(values[1:], values[0]) if values else None
        totals.append(total)
    return totals


# --- (2) targets and attainment -------------------------------------------------------------------


def _targets_starting(user, scope, period, rep_id, department_id):
    """The targets of the scope's reps and team starting between the period's first and last days."""
    return SalesTarget.objects.filter(
        (Q(rep__isnull=False) & scope.rep_q("rep")) | (Q(department__isnull=False) & scope.department_q("department")),
        starts_on__gte=period.date_from, starts_on__lte=period.date_to,
    ).select_related("rep", "department").order_by("starts_on", "department__name", "rep__username", "currency")


def _signed_per_month(user, scope, period, rep_id, department_id):
    """Per rep (and their team), month and currency: what the scope's reps signed in the period (lines of
    orders not cancelled)."""
    return (OrderLine.objects.exclude(order__status=OrderStatus.CANCELLED)
            .filter(period.date_q("order__signed_date")).filter(scope.rep_q("order__owner"))
            .order_by().annotate(month=TruncMonth("order__signed_date"))
            .values("order__owner_id", "order__owner__department_id", "month", "order__currency")
            .annotate(amount=Sum("line_total")))


def target_attainment(*, user, period: Period) -> Report:
    """Each target the reader may see whose month or quarter overlaps the period, with what was signed in
    that month or quarter (orders' lines, not cancelled) by the rep, or by the team's current members."""
    date_from = period.date_from or dt.date(1900, 1, 1)
    date_to = period.date_to or dt.date(9999, 12, 1)
    earliest = dt.date(date_from.year - (1 if date_from.month <= 2 else 0), (date_from.month - 3) % 12 + 1, 1)
    # (the period's ends in the query are the target months' bounds, not the period itself: never open)
    reader = Reader(user, figure_scope(user), Period(earliest, date_to), None, None)
    targets = [target for target in report_rows(reader, "targets", _targets_starting, model=SalesTarget)
               if target.ends_on() >= date_from]
    signed: dict[tuple, Decimal] = defaultdict(Decimal)
    if targets:
        start = min(target.starts_on for target in targets)
        end = max(target.ends_on() for target in targets)
        # (The orders of every rep in the scope: a superset of the targets' reps and teams' members, whose
        # sums are the same, from a query that is the same for every reader of a kind.)
        months = report_rows(Reader(user, reader.scope, Period(start, end), None, None), "targets.signed",
                             _signed_per_month, model=OrderLine)
        for row in months:
            month = row["month"] if isinstance(row["month"], dt.date) else row["month"]
            month = month.date() if isinstance(month, dt.datetime) else month
            signed[("rep", row["order__owner_id"], month, row["order__currency"])] += row["amount"]
            signed[("team", row["order__owner__department_id"], month, row["order__currency"])] += row["amount"]
    rows = []
    for target in targets:
        kind, who = ("rep", target.rep_id) if target.rep_id else ("team", target.department_id)
        span = 3 if target.period == TargetPeriod.QUARTER else 1
        month_starts = [dt.date(target.starts_on.year + (target.starts_on.month - 1 + i) // 12,
                                (target.starts_on.month - 1 + i) % 12 + 1, 1) for i in range(span)]
        achieved = cents(sum((signed.get((kind, who, month, target.currency), Decimal(0)) for month in month_starts),
                             Decimal(0)))
        label = (target.rep.display_name or target.rep.username) if target.rep_id else target.department.name
        rows.append({
            "id": target.pk, "kind": kind, "who_id": who, "label": label,
            "period": (f"{target.starts_on.year} Q{(target.starts_on.month - 1) // 3 + 1}"
                       if target.period == TargetPeriod.QUARTER else f"{target.starts_on:%Y-%m}"),
            "period_kind": target.period, "starts_on": target.starts_on, "ends_on": target.ends_on(),
            "currency": target.currency, "target": cents(target.amount), "achieved": achieved,
            "attainment": percent(achieved, target.amount), "rep_id": target.rep_id,
            "department_id": target.department_id,
        })
    return Report(
        name="targets",
        params=period.as_dict(),
        columns=[("label", _("rep or team")), ("period", _("period")), ("currency", _("currency")),
                 ("target", _("target")), ("achieved", _("signed")), ("attainment", _("attainment (%)"))],
        rows=rows,
    )


# --- (3) the funnel ---------------------------------------------------------------------------------

_ORDER = {stage: index for index, stage in enumerate(FUNNEL_STAGES)}


# money times a percentage: two places, two more digits than money
_PERCENT_MONEY = DecimalField(max_digits=MONEY_FIELD.max_digits + 3, decimal_places=MONEY_FIELD.decimal_places)


def _funnel_groups(user, scope, period, rep_id, department_id):
    """The deals created in the period, per stage reached (kept on the deal: services/opportunity_reached.py),
    current stage and currency: how many, their amount and their probability-weighted amount."""
    deals = Opportunity.objects.filter(period.instant_q("created_at")).filter(
        _rep_filter(scope, "owner", rep_id, department_id)).order_by()
    # (the amounts times their probabilities, summed: divided by 100 once per group by the caller, not per deal
    # by the database, whose numeric division was a third of the query)
    weighted = ExpressionWrapper(F("amount") * F("probability"), output_field=_PERCENT_MONEY)
    return (deals.annotate(row_weighted=weighted).values("reached_stage", "stage", "currency")
            .annotate(count=Count("id"), amount=Coalesce(Sum("amount"), ZERO, output_field=MONEY_FIELD),
                      weighted=Coalesce(Sum("row_weighted"), ZERO, output_field=_PERCENT_MONEY))
            .order_by())


def funnel(*, user, period: Period, rep_id: int | None = None, department_id: int | None = None) -> Report:
    """Deals created in the period: how many reached each stage (so each step is at most the one before),
    the conversion from each stage to the next, won and lost apart, and the open deals by stage with
    their amount and probability-weighted amount per currency."""
    reader = Reader(user, figure_scope(user), period, rep_id, department_id)
    # One grouped query: per stage reached, current stage and currency, the deals, their amount and weighted
    # amount. The stage reached is kept on each deal (looked up from each deal's history it cost a subquery
    # per deal), then added up from the furthest down; the open and closed deals by stage and currency are
    # the same groups added up over the stage reached.
    groups = report_rows(reader, "funnel", _funnel_groups, model=Opportunity)
    for row in groups:
        row["weighted"] = row["weighted"] / 100  # (exact: a Decimal of two places, over 100)
    reached = {f"reached_{index}": sum(row["count"] for row in groups if row["reached_stage"] >= index)
               for index in range(len(FUNNEL_STAGES))}
    reached["lost"] = sum(row["count"] for row in groups if row["stage"] == Stage.LOST)
    reached["total"] = sum(row["count"] for row in groups)
    steps = []
    for index, stage in enumerate(FUNNEL_STAGES):
        count = reached[f"reached_{index}"]
        before = reached[f"reached_{index - 1}"] if index else None
        steps.append({"stage": stage, "label": Stage(stage).label, "reached": count,
                      "conversion": percent(count, before) if index else None})
    by_stage: dict[tuple, dict] = {}
    for row in groups:
        if row["stage"] not in OPEN_STAGES and row["stage"] not in CLOSED_STAGES:
            continue
        found = by_stage.get((row["stage"], row["currency"]))
        if found is None:
            by_stage[(row["stage"], row["currency"])] = {"stage": row["stage"], "currency": row["currency"],
                                                       "count": row["count"], "amount": row["amount"],
                                                       "weighted": row["weighted"]}
        else:
            found["count"] += row["count"]
            found["amount"] += row["amount"]
            found["weighted"] += row["weighted"]
    open_rows = sorted((row for row in by_stage.values() if row["stage"] in OPEN_STAGES),
                       key=lambda row: (_ORDER.get(row["stage"], 0), row["currency"]))
    closed = {key: row for key, row in by_stage.items() if row["stage"] in CLOSED_STAGES}
    for row in open_rows:
        row["label"] = Stage(row["stage"]).label
        row["amount"], row["weighted"] = cents(row["amount"]), cents(row["weighted"])
    rows = [{"kind": "reached", "stage": s["stage"], "label": s["label"], "count": s["reached"],
             "conversion": s["conversion"], "currency": None, "amount": None, "weighted": None} for s in steps]
    rows += [{"kind": "open", "conversion": None, **row} for row in open_rows]
    rows += [{"kind": stage, "stage": stage, "label": Stage(stage).label, "count": row["count"], "conversion": None,
              "currency": currency, "amount": cents(row["amount"]), "weighted": None}
             for (stage, currency), row in sorted(closed.items())]
    return Report(
        name="funnel",
        params={**period.as_dict(), "rep": rep_id, "team": department_id},
        columns=[("kind", _("figure")), ("stage", _("stage")), ("currency", _("currency")), ("count", _("deals")),
                 ("conversion", _("conversion from previous stage (%)")), ("amount", _("amount")),
                 ("weighted", _("weighted amount"))],
        rows=rows,
        summary={"steps": steps, "open": open_rows, "total": reached["total"], "lost": reached["lost"],
                 "won": reached[f"reached_{len(FUNNEL_STAGES) - 1}"],
                 "closed": [{"stage": stage, "currency": currency, "count": row["count"], "amount": cents(row["amount"])}
                            for (stage, currency), row in sorted(closed.items())]},
    )


# --- (4) lost orders --------------------------------------------------------------------------------


def _rate_rows(rows, label_key: str) -> list[dict]:
    out = []
    for row in rows:
        closed = row["won"] + row["lost"]
        out.append({"label": row[label_key] if row[label_key] is not None else None, "won": row["won"],
                    "lost": row["lost"], "closed": closed, "lost_rate": percent(row["lost"], closed)})
    return out


def _closed_deals(scope, period, rep_id, department_id):
    return Opportunity.objects.filter(stage__in=CLOSED_STAGES).filter(period.instant_q("closed_at")).filter(
        _rep_filter(scope, "owner", rep_id, department_id)).order_by()


_REP_NAME = "COALESCE(NULLIF(u.display_name, ''), u.username)"


def _lost_sql(user, scope, period, rep_id, department_id) -> tuple[str, list]:
    """Every figure of the lost analysis in one statement (one round trip, not five), each part's rows
    numbered in its own order: (part, key, label, name, won or count, lost, place). The deals closed in
    the period are counted per owner, competitor, product, stage reached (the lost ones) and reason (the
    lost ones) first, then named and sorted (a quarter's 2,300 deals sorted by their owner's name before
    they were counted took most of the by-rep time; each deal is one row per rep and one per competitor
    met: they are counted as they come, not made distinct).

    Per product: everyone's deals (a reader of everyone's figures, no rep or team picked) from the counts
    per day closed and product (ClosedDealProductDay: a quarter is a few thousand rows; a product whose
    deals were all reopened since is left out, as the pairs leave it; a day is the closing instant's date
    in the current time zone, as the period's instants are its dates': the same deals); anyone else's (a
    team's, a rep's: a few of the deals) from their (deal, product) pairs in OpportunityProduct, counted per
    product id, then named. Walking every quote line of every closed deal and making the pairs distinct took
    200-300 ms at 2,300 deals (117,000 lines, 75,000 pairs)."""
    # (The deals' columns are named in the subquery itself: SQLite has no column list on a derived table.)
    deals_sql, deals = (_closed_deals(scope, period, rep_id, department_id)
                        .values("id", "owner_id", "stage", "reached_stage", "lost_reason").query.sql_with_params())
    q = connection.ops.quote_name
    won_lost = ("SUM(CASE WHEN d.stage = %s THEN 1 ELSE 0 END) AS won, "
                "SUM(CASE WHEN d.stage = %s THEN 1 ELSE 0 END) AS lost")
    counted = [Stage.WON.value, Stage.LOST.value]
    if scope.everything and not rep_id and not department_id:
        days_sql, days = (ClosedDealProductDay.objects.filter(period.date_q("day")).order_by()
                          .values("product_id", "won", "lost").query.sql_with_params())
        per_product = (f"SELECT x.product_id AS quoted, SUM(x.won) AS won, SUM(x.lost) AS lost FROM ({days_sql}) x "
                       f"GROUP BY x.product_id HAVING SUM(x.won) > 0 OR SUM(x.lost) > 0", list(days))
    else:
        per_product = (f"SELECT op.product_id AS quoted, {won_lost} FROM ({deals_sql}) d "
                       f"JOIN {q(OpportunityProduct._meta.db_table)} op ON op.opportunity_id = d.id "
                       f"GROUP BY op.product_id", [*counted, *deals])
    through = Opportunity.competitors.through._meta.db_table
    parts = [
        (f"""SELECT 0 AS part, c.owner_id AS k, {_REP_NAME} AS label, NULL AS name, c.won AS won, c.lost AS lost,
                    ROW_NUMBER() OVER (ORDER BY {_REP_NAME}, c.owner_id) AS place
             FROM (SELECT d.owner_id AS owner_id, {won_lost} FROM ({deals_sql}) d GROUP BY d.owner_id) c
             JOIN {q(User._meta.db_table)} u ON u.id = c.owner_id""", [*counted, *deals]),
        (f"""SELECT 1, p.id, p.code, p.name, c.won, c.lost, ROW_NUMBER() OVER (ORDER BY p.code, p.id)
             FROM ({per_product[0]}) c JOIN {q(Product._meta.db_table)} p ON p.id = c.quoted""", per_product[1]),
        (f"""SELECT 2, m.id, m.name, NULL, c.won, c.lost, ROW_NUMBER() OVER (ORDER BY m.name)
             FROM (SELECT oc.competitor_id AS met, {won_lost} FROM ({deals_sql}) d
                   JOIN {q(through)} oc ON oc.opportunity_id = d.id GROUP BY oc.competitor_id) c
             JOIN {q(Competitor._meta.db_table)} m ON m.id = c.met""", [*counted, *deals]),
        (f"""SELECT 3, d.reached_stage, NULL, NULL, COUNT(*), NULL, ROW_NUMBER() OVER (ORDER BY d.reached_stage)
             FROM ({deals_sql}) d WHERE d.stage = %s GROUP BY d.reached_stage""", [*deals, Stage.LOST.value]),
        (f"""SELECT 4, NULL, r.reason, NULL, r.n, NULL, ROW_NUMBER() OVER (ORDER BY r.n DESC, r.reason)
             FROM (SELECT COALESCE(NULLIF(d.lost_reason, ''), '') AS reason, COUNT(*) AS n FROM ({deals_sql}) d
                   WHERE d.stage = %s GROUP BY COALESCE(NULLIF(d.lost_reason, ''), '')) r""",
         [*deals, Stage.LOST.value]),
    ]
    return "\nUNION ALL\n".join(sql for sql, _params in parts), [param for _sql, params in parts for param in params]


def _lost_parts(reader) -> list[list[tuple]]:
    """The rows of each part of _lost_sql, in its own order: [by rep, by product, by competitor, at stage,
    reasons], each row (key, label, name, won or count, lost)."""
    found: list[list[tuple]] = [[] for _part in range(5)]
    for part, key, label, name, first, second, _place in sorted(
            report_sql_rows(reader, "lost", _lost_sql, model=Opportunity), key=lambda row: (row[0], row[6])):
        found[part].append((key, label, name, first, second))
    return found


def lost_analysis(*, user, period: Period, rep_id: int | None = None, department_id: int | None = None) -> Report:
    """Deals closed in the period: the lost rate by rep, by product quoted, by competitor met, the stage
    at which deals were lost, and the reasons given."""
    reader = Reader(user, figure_scope(user), period, rep_id, department_id)
    reps, products, competitors, stages, reasons = _lost_parts(reader)
    by_rep = _rate_rows([{"owner_id": key, "name": label, "won": won or 0, "lost": lost or 0}
                         for key, label, _name, won, lost in reps], "name")
    by_product = _rate_rows([{"quotes__lines__product_id": key, "quotes__lines__product__code": code,
                              "quotes__lines__product__name": name, "won": won or 0, "lost": lost or 0}
                             for key, code, name, won, lost in products], "quotes__lines__product__code")
    by_competitor = _rate_rows([{"competitors__id": key, "competitors__name": label, "won": won or 0,
                                 "lost": lost or 0} for key, label, _name, won, lost in competitors],
                               "competitors__name")
    stage_lost = [{"stage": FUNNEL_STAGES[key], "label": Stage(FUNNEL_STAGES[key]).label, "count": count}
                  for key, _label, _name, count, _lost in stages]
    reasons = [{"reason": reason, "count": count, "label": reason or str(NONE_GIVEN)}
               for _key, reason, _name, count, _lost in reasons]
    # (each deal has one owner: the totals are the sums of the reps' rows, not a second pass)
    totals = {measure: sum(row[measure] for row in by_rep) for measure in ("won", "lost")}
    rows = ([{"dimension": "rep", **row} for row in by_rep] + [{"dimension": "product", **row} for row in by_product]
            + [{"dimension": "competitor", **row} for row in by_competitor])
    return Report(
        name="lost",
        params={**period.as_dict(), "rep": rep_id, "team": department_id},
        columns=[("dimension", _("by")), ("label", _("name")), ("won", _("won")), ("lost", _("lost")),
                 ("lost_rate", _("lost rate (%)"))],
        rows=rows,
        summary={"won": totals["won"], "lost": totals["lost"],
                 "lost_rate": percent(totals["lost"], totals["won"] + totals["lost"]),
                 "by_rep": by_rep, "by_product": by_product, "by_competitor": by_competitor,
                 "stage_lost": stage_lost, "reasons": reasons},
    )


# --- (5) retention --------------------------------------------------------------------------------


def _retention_activity(current: Period, previous: Period, narrow: str, narrow_params: list) -> tuple[str, list]:
    """SQL for a derived table, per customer that ordered in either period: customer_id, in_now, in_before
    (1 or 0). Active in a period: a non-cancelled order signed in it, or unsigned and created in it. The
    months wholly inside the periods are read from CustomerMonthFigures (a month row with orders), the days
    at their edges from the orders signed then, and the unsigned orders (rare) from the rows, found by
    their own partial index. `narrow`: a condition on `{t}.customer_id` (the reader's customers) or ""."""
    q = connection.ops.quote_name
    instant = connection.ops.adapt_datetimefield_value  # an aware datetime as this database compares it
    order_table, month_table = q(Order._meta.db_table), q(CustomerMonthFigures._meta.db_table)
    spans = [_month_span(period) for period in (current, previous)]

    def between(column: str, pairs: list[tuple]) -> tuple[str, list]:
        if not pairs:
            return "1 = 0", []
        return ("(" + " OR ".join(f"{column} >= %s AND {column} <= %s" for _pair in pairs) + ")",
                [value for pair in pairs for value in pair])

    parts: list[tuple[str, list]] = []
    months = [between("m.month", [span] if span else []) for span, _edges in spans]
    if any(span for span, _edges in spans):
        parts.append(_activity_part(f"{month_table} m", "m", "m.orders > 0", months, narrow, narrow_params))
    edges = [between("o.signed_date", [(edge.date_from, edge.date_to) for edge in period_edges])
             for _span, period_edges in spans]
    if any(period_edges for _span, period_edges in spans):
        parts.append(_activity_part(f"{order_table} o", "o", "o.status <> %s AND o.signed_date IS NOT NULL",
                                    edges, narrow, narrow_params, [OrderStatus.CANCELLED.value]))
    created = [("o.created_at >= %s AND o.created_at < %s", [instant(period.start), instant(period.end)])
               for period in (current, previous)]
    parts.append(_activity_part(f"{order_table} o", "o", "o.signed_date IS NULL AND o.status <> %s", created, narrow,
                                narrow_params, [OrderStatus.CANCELLED.value]))
    sql = " UNION ALL ".join(part for part, _params in parts)
    return (f"SELECT x.customer_id AS customer_id, MAX(x.in_now) AS in_now, MAX(x.in_before) AS in_before "
            f"FROM ({sql}) x GROUP BY x.customer_id", [value for _part, params in parts for value in params])


def _activity_part(table: str, alias: str, where: str, conditions: list[tuple[str, list]], narrow: str,
                   narrow_params: list, where_params: list | None = None) -> tuple[str, list]:
    """One branch of _retention_activity: `table`'s customers, in_now and in_before by `conditions` (the
    current period's, the previous one's), where `where` and either condition hold."""
    (now_sql, now_params), (before_sql, before_params) = conditions
    sql = (f"SELECT {alias}.customer_id AS customer_id, CASE WHEN {now_sql} THEN 1 ELSE 0 END AS in_now, "
           f"CASE WHEN {before_sql} THEN 1 ELSE 0 END AS in_before FROM {table} "
           f"WHERE {where}{narrow.replace('{t}', alias)} AND ({now_sql} OR {before_sql})")
    return sql, [*now_params, *before_params, *(where_params or []), *narrow_params, *now_params, *before_params]


def _retention_rows(customers, current: Period, previous: Period, *, every_customer: bool = False) -> list[dict]:
    """Per owner of `customers`: how many, new in `current`, active (a non-cancelled order signed — or,
    unsigned, created — in `current`), active in `previous`, retained (both) and lost (before, not now).
    One query: which customers were active in either period is found once (_retention_activity: from the
    month rollup for whole months), then the customers are counted per owner (not two EXISTS per
    customer). CASE, not FILTER: SQLite runs it too. `every_customer`: the reader sees every customer, so
    the activity need not be narrowed to `customers` first (the join does that)."""
    q = connection.ops.quote_name
    ids_sql, ids_params = customers.values("pk").query.sql_with_params()
    instant = connection.ops.adapt_datetimefield_value
    narrow, narrow_params = ("", []) if every_customer else (" AND {t}.customer_id IN (" + ids_sql + ")",
                                                             list(ids_params))
    activity_sql, activity_params = _retention_activity(current, previous, narrow, narrow_params)
    # Counted per owner id first, named after: the owners' names are sorted, not every customer's row.
    sql = f"""
        SELECT g.owner_id, COALESCE(NULLIF(u.display_name, ''), u.username) AS rep, g.customers, g.new_customers,
               g.active, g.active_before, g.retained, g.lost
        FROM (SELECT c.owner_id AS owner_id, COUNT(*) AS customers,
                     SUM(CASE WHEN c.created_at >= %s AND c.created_at < %s THEN 1 ELSE 0 END) AS new_customers,
                     SUM(COALESCE(a.in_now, 0)) AS active, SUM(COALESCE(a.in_before, 0)) AS active_before,
                     SUM(CASE WHEN a.in_now = 1 AND a.in_before = 1 THEN 1 ELSE 0 END) AS retained,
                     SUM(CASE WHEN COALESCE(a.in_now, 0) = 0 AND a.in_before = 1 THEN 1 ELSE 0 END) AS lost
              FROM {q(Customer._meta.db_table)} c
              LEFT JOIN ({activity_sql}) a ON a.customer_id = c.id
              WHERE c.id IN ({ids_sql})
              GROUP BY c.owner_id) g
        JOIN {q(User._meta.db_table)} u ON u.id = g.owner_id
        ORDER BY rep, g.owner_id"""
    params = [instant(current.start), instant(current.end), *activity_params, *ids_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [{"owner_id": owner_id, "rep": rep, "customers": counts[0], "new": counts[1] or 0,
                 "active": counts[2] or 0, "active_before": counts[3] or 0, "retained": counts[4] or 0,
                 "lost": counts[5] or 0} for owner_id, rep, *counts in cursor.fetchall()]


def retention(*, user, period: Period, rep_id: int | None = None, department_id: int | None = None) -> Report:
    """Per customer owner: new customers, active ones (an order in the period), retained (active in the
    previous period of the same length and in this one) and lost (active before, not now)."""
    scope = figure_scope(user)
    date_to = period.date_to or timezone.localdate()
    date_from = period.date_from or date_to - dt.timedelta(days=89)
    length = (date_to - date_from).days + 1
    previous = Period(date_from - dt.timedelta(days=length), date_from - dt.timedelta(days=1))
    current = Period(date_from, date_to)
    customers = Customer.objects.filter(created_at__lt=current.end).filter(
        _rep_filter(scope, "owner", rep_id, department_id)).order_by()
    rows = _retention_rows(customers, current, previous,
                           every_customer=scope.everything and not rep_id and not department_id)
    measures = ("customers", "new", "active", "active_before", "retained", "lost")
    # The totals are the sums of the groups (each customer is in exactly one owner's group).
    summary = {measure: sum(row[measure] for row in rows) for measure in measures}
    for row in [*rows, summary]:
        row["retention_rate"] = percent(row["retained"], row["active_before"])
    return Report(
        name="retention",
        params={**current.as_dict(), "previous_from": previous.date_from.isoformat(),
                "previous_to": previous.date_to.isoformat(), "rep": rep_id, "team": department_id},
        columns=[("rep", _("rep")), ("customers", _("customers")), ("new", _("new")), ("active", _("active")),
                 ("active_before", _("active in previous period")), ("retained", _("retained")), ("lost", _("lost")),
                 ("retention_rate", _("retention rate (%)"))],
        rows=rows,
        summary=summary,
    )


# --- (6) visits and customers not contacted -----------------------------------------------------------

CONTACT_KINDS = (ActivityKind.VISIT, ActivityKind.CALL, ActivityKind.EMAIL)


def _visits_per_rep(user, scope, period, rep_id, department_id):
    activities = Activity.objects.filter(period.instant_q("occurred_at")).filter(
        _rep_filter(scope, "owner", rep_id, department_id)).order_by()
    kinds = {kind: Count("id", filter=Q(kind=kind)) for kind in ActivityKind.values}
    return (activities.annotate(name=_person_name("owner__")).values("owner_id", "name")
            .annotate(total=Count("id"), customers=Count("customer_id", distinct=True), **kinds)
            .order_by("name", "owner_id"))


def visits(*, user, period: Period, rep_id: int | None = None, department_id: int | None = None) -> Report:
    """Per rep: visits, calls, e-mails, notes and reminders that took place in the period."""
    reader = Reader(user, figure_scope(user), period, rep_id, department_id)
    rows = report_rows(reader, "visits", _visits_per_rep, model=Activity)
    return Report(
        name="visits",
        params={**period.as_dict(), "rep": rep_id, "team": department_id},
        columns=[("name", _("rep")), *[(kind, ActivityKind(kind).label) for kind in ActivityKind.values],
                 ("total", _("activities")), ("customers", _("customers reached"))],
        rows=rows,
        # (every activity has its owner: the totals are the sums of the reps' rows, not a second pass)
        summary={measure: sum(row[measure] for row in rows) for measure in ("total", *ActivityKind.values)},
    )


def not_contacted(*, user, days: int = NOT_CONTACTED_DEFAULT_DAYS, rep_id: int | None = None,
                  department_id: int | None = None, limit: int = 20) -> Report:
    """Active and prospect customers with no visit, call or e-mail for `days` days (or ever): how many per
    rep, and the `limit` longest without one."""
    if days < 1 or days > 3650:
        raise InvalidInput("Days out of range.", fields={"days": ["Between 1 and 3650."]})
    scope = figure_scope(user)
    now = timezone.now()
    since = now - dt.timedelta(days=days)
    # Each customer's last contact is the newest of its contact activities, grouped once per customer (not
    # looked up per customer: that ran 10,000 index probes), and the quiet customers are found once, then
    # counted per rep and the `limit` longest without a contact listed: one query.
    customers = Customer.objects.exclude(status="lost").filter(_rep_filter(scope, "owner", rep_id, department_id))
    base_sql, base_params = (customers.order_by().annotate(rep=_person_name("owner__"))
                             .values("id", "name", "owner_id", "rep").query.sql_with_params())
    # (Narrowed to the reader's customers only when they are not everyone's: for everyone's, the join
    # below leaves out what is not theirs, and the index is read in customer order without a hash of them.)
    contacts = Activity.objects.filter(kind__in=CONTACT_KINDS, occurred_at__lte=now)
    if not (scope.everything and not rep_id and not department_id):
        contacts = contacts.filter(customer_id__in=customers.values("pk"))
    last_sql, last_params = (contacts.order_by().values("customer_id").annotate(last_contact=Max("occurred_at"))
                             .query.sql_with_params())
    sql = f"""
        WITH quiet AS (SELECT b.id AS id, b.name AS name, b.owner_id AS owner_id, b.rep AS rep,
                              l.last_contact AS last_contact
                       FROM ({base_sql}) b LEFT JOIN ({last_sql}) l ON l.customer_id = b.id
                       WHERE l.last_contact IS NULL OR l.last_contact < %s)
        SELECT 0, g.owner_id, g.rep, g.n, NULL, NULL, ROW_NUMBER() OVER (ORDER BY g.n DESC, g.rep)
        FROM (SELECT owner_id, rep, COUNT(*) AS n FROM quiet GROUP BY owner_id, rep) g
        UNION ALL
        SELECT 1, t.id, t.name, NULL, t.rep, t.last_contact, t.place
        FROM (SELECT id, name, rep, last_contact,
                     ROW_NUMBER() OVER (ORDER BY last_contact ASC NULLS FIRST, name, id) AS place
              FROM quiet) t
        WHERE t.place <= %s"""
    with connection.cursor() as cursor:
        cursor.execute(sql, [*base_params, *last_params, since, limit])
        found = sorted(cursor.fetchall(), key=lambda row: (row[0], row[6]))
    per_rep = [{"owner_id": key, "rep": name, "count": n} for part, key, name, n, *_rest in found if part == 0]
    oldest = [{"id": key, "name": name, "rep": rep, "last_contact": last}
              for part, key, name, _n, rep, last, _place in found if part == 1]
    for row in oldest:
        row["last_contact"] = timezone.localtime(row["last_contact"]).date() if row["last_contact"] else None
    return Report(
        name="not-contacted",
        params={"days": days, "rep": rep_id, "team": department_id},
        columns=[("name", _("customer")), ("rep", _("rep")), ("last_contact", _("last visit, call or e-mail"))],
        rows=oldest,
        summary={"per_rep": per_rep, "total": sum(row["count"] for row in per_rep)},
    )


# --- (7) service by product and type --------------------------------------------------------------


def _service_records(user, scope, period, rep_id, department_id):
    records = visible(user, ServiceRecord.objects.all(), Action.VIEW).filter(period.instant_q("created_at"))
    return records.filter(_rep_filter(scope, "customer__owner", rep_id, department_id)).order_by()


def _service_measures() -> dict:
    response = ExpressionWrapper(F("confirmed_at") - F("created_at"), output_field=DurationField())
    resolution = ExpressionWrapper(F("resolved_at") - F("created_at"), output_field=DurationField())
    return {
        "records": Count("id"),
        "complaints": Count("id", filter=Q(type=ServiceType.COMPLAINT)),
        "response": Avg(response, filter=Q(confirmed_at__isnull=False)),
        "resolution": Avg(resolution, filter=Q(resolved_at__isnull=False)),
        "mean_satisfaction": Avg("satisfaction"),
        "rated": Count("satisfaction"),
    }


def _service_groups(user, scope, period, rep_id, department_id):
    return (_service_records(user, scope, period, rep_id, department_id)
            .values("product_id", "product__code", "product__name", "type")
            .annotate(**_service_measures()).order_by("product__code", "type"))


def _service_totals(user, scope, period, rep_id, department_id):
    """The measures over every record as one row, as aggregate() gives them: a constant is never grouped by."""
    measures = _service_measures()
    return (_service_records(user, scope, period, rep_id, department_id)
            .annotate(everything=Value(1, output_field=IntegerField())).values("everything")
            .annotate(**measures).values(*measures))


def service_by_product(*, user, period: Period, rep_id: int | None = None,
                       department_id: int | None = None) -> Report:
    """Service records opened in the period by product and type: records, complaints, mean hours from
    opening to the engineer's confirmation (response) and to resolution, mean satisfaction (out of 5).
    Service staff read every record they may see; others the records of their scope's customers."""
    reader = Reader(user, service_figure_scope(user), period, rep_id, department_id)
    rows = report_rows(reader, "service.rows", _service_groups, model=ServiceRecord)
    # (the totals: the same measures over every record, one row)
    summary = report_rows(reader, "service.summary", _service_totals, model=ServiceRecord)[0]
    for row in [*rows, summary]:
        row["response_hours"] = hours(row.pop("response"))
        row["resolution_hours"] = hours(row.pop("resolution"))
        row["satisfaction"] = one_decimal(row.pop("mean_satisfaction"))
    for row in rows:
        row["product"] = f"{row['product__code']} {row['product__name']}" if row["product_id"] else None
        row["type_label"] = ServiceType(row["type"]).label
    return Report(
        name="service",
        params={**period.as_dict(), "rep": rep_id, "team": department_id},
        columns=[("product", _("product")), ("type", _("type")), ("records", _("records")),
                 ("complaints", _("complaints")), ("response_hours", _("mean hours to confirm")),
                 ("resolution_hours", _("mean hours to resolve")), ("satisfaction", _("mean satisfaction (of 5)")),
                 ("rated", _("rated"))],
        rows=rows,
        summary=summary,
    )


# --- (8) the receivables chart: the customers owing most, found by the database --------------------


# Placeholders for the day receivables are as of, and for the ids of the customers owing most.
_AS_OF_SLOT = dt.date(1901, 2, 6)


def _top_slots(limit: int) -> list[int]:
    return [-(2**42) - 300 - index for index in range(limit)]


def _receivable_reads(user):
    """The orders (not cancelled) and receivable totals of the customers `user` may see."""
    # An order is visible exactly when its customer is (policy/crm.py: orders follow their customer): the
    # reader's orders are their customers' orders.
    customers = visible(user, Customer.objects.all(), Action.VIEW)
    orders = Order.objects.exclude(status=OrderStatus.CANCELLED)
    totals = ReceivableTotals.objects.all()
    if _narrows(customers):  # (an administrator sees every customer: no join to them to rank 10,000)
        orders = orders.filter(customer_id__in=customers.values("pk"))
        totals = totals.filter(customer_id__in=customers.values("pk"))
    return orders, totals


def _last_paid_on(user, scope, period, rep_id, department_id):
    """The latest day any order was paid (asked of every order, the question needs no policy): the newest
    entry of order_last_paid_idx. (Asked as "any paid after this day?", the plan made once for every day
    expects a third of the orders to match and scans them all when, on today, none does.)"""
    return (Order.objects.filter(balance_last_paid_on__isnull=False).order_by("-balance_last_paid_on")
            .values_list("balance_last_paid_on")[:1])


def _top_owing(user, scope, period, rep_id, department_id, *, limit):
    """(as of today, usually) the totals answer alone: one grouped pass, only what is outstanding summed."""
    _orders, totals = _receivable_reads(user)
    return (totals.order_by().values("customer_id", "currency")
            .annotate(n=Sum("orders"), owed=Sum(F("total") - F("paid"), output_field=MONEY_FIELD))
            .filter(n__gt=0, owed__gt=0).order_by("-owed", "customer_id").values_list("customer_id")[:limit])


def _top_orders(top):
    return Order.objects.exclude(status=OrderStatus.CANCELLED).filter(customer_id__in=top)


def _top_needing_rows(user, scope, period, rep_id, department_id, *, as_of, **top):
    """Any order of the customers `top` whose receivable on `as_of` only its rows can say (as
    _per_order_receivables asks it of the orders _receivable_sums corrects for)."""
    return (_top_orders(list(top.values())).filter(_not_answered_q(as_of)).filter(_needs_rows_q(as_of))
            .order_by().values_list("pk")[:1])


def _top_receivables_sql(user, scope, period, rep_id, department_id, *, as_of, limit, **top) -> tuple[str, list]:
    """The `limit` customer-and-currency groups of the customers `top` owing most on `as_of`, in full."""
    top = list(top.values())
    sums, params = _receivable_sums(totals=ReceivableTotals.objects.filter(customer_id__in=top),
                                    orders=_top_orders(top), included=None, group_by="customer", as_of=as_of)
    sql = f"""
        SELECT t.key, c.name, t.currency, t.total, t.paid, t.overdue, t.outstanding
        FROM (SELECT r.key AS key, r.currency AS currency, r.total AS total, r.paid AS paid, r.overdue AS overdue,
                     r.total - r.paid AS outstanding
              FROM ({sums}) r
              WHERE r.total - r.paid > 0
              ORDER BY outstanding DESC, r.key
              LIMIT %s) t
        JOIN {connection.ops.quote_name(Customer._meta.db_table)} c ON c.id = t.key
        ORDER BY t.outstanding DESC, c.name"""
    return sql, [*params, limit]


def receivables_top(*, user, limit: int = 12, as_of: dt.date | None = None) -> list[dict]:
    """The `limit` customer-and-currency groups with the most outstanding (ordered less paid by `as_of`,
    today unless given), with what of it is overdue: from the receivable totals of the customers the
    reader may see, corrected by the few orders they do not answer for (_receivable_sums)."""
    as_of = as_of or timezone.localdate()
    # The queries vary on the reader's kind only (the scope is not theirs: what they may see of customers).
    reader = Reader(user, FigureScope(everything=True, user_id=user.pk), None, None, None)
    day = {"as_of": (_AS_OF_SLOT, as_of)}
    # First the largest debtors: what is outstanding (total less paid) changes from the totals only by the
    # payments received after `as_of`, so only those orders are corrected for (when there are any at all).
    last_paid = report_rows(reader, "receivables.last_paid_on", _last_paid_on, model=Order)
    paid_after = bool(last_paid) and last_paid[0][0] > as_of
    if paid_after:  # (a day in the past, usually)
        orders, totals = _receivable_reads(user)
        paid_later = Q(balance_last_paid_on__gt=as_of)
        sums, params = _receivable_sums(totals=totals, orders=orders, included=None, group_by="customer",
                                        as_of=as_of, not_answered=paid_later)
        with connection.cursor() as cursor:
            cursor.execute(f"""SELECT r.key FROM ({sums}) r WHERE r.total - r.paid > 0
                               ORDER BY r.total - r.paid DESC, r.key LIMIT %s""", params + [limit])
            top = [row[0] for row in cursor.fetchall()]
    else:
        top = [row[0] for row in report_rows(reader, f"receivables.top.{limit}", _top_owing, model=ReceivableTotals,
                                             more={"limit": (None, limit)})]
    if not top:
        return []
    # Then theirs alone in full, with what is overdue on the day (customers the reader sees, found above):
    # from the statement written once per process for `limit` customers (the list padded with its first),
    # when none of their orders needs its rows read (the statement then differs: a payment after `as_of`,
    # asked above, or `as_of` between two due dates of an order, asked first).
    padded = [*top, *[top[0]] * (limit - len(top))]
    ids = {f"top_{index}": (slot, padded[index]) for index, slot in enumerate(_top_slots(limit))}
    if not paid_after and not report_rows(reader, f"receivables.needing.{limit}", _top_needing_rows,
                                          model=Order, more={**day, **ids}):
        rows = report_sql_rows(reader, f"receivables.top_sums.{limit}", _top_receivables_sql, model=Order,
                               more={**day, **ids, "limit": (None, limit)})
    else:
        sql, params = _top_receivables_sql(user, None, None, None, None, as_of=as_of, limit=limit,
                                           **{f"top_{index}": pk for index, pk in enumerate(top)})
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
    return [{"customer_id": customer_id, "customer__name": name, "currency": currency, "ordered": cents(ordered),
             "paid": cents(paid), "overdue": cents(overdue), "outstanding": cents(outstanding)}
            for customer_id, name, currency, ordered, paid, overdue, outstanding in rows]


def not_contacted_days() -> int:
    return int(getattr(settings, "REPORT_NOT_CONTACTED_DAYS", NOT_CONTACTED_DEFAULT_DAYS))


def _people_reps(user, scope, period, rep_id, department_id):
    people = Q()
    if not scope.everything:
        people = Q(pk=scope.user_id)
        if scope.department_id is not None:
            people |= Q(department_id=scope.department_id)
    return (User.objects.filter(is_active=True).exclude(role=Role.PORTAL).filter(people)
            .annotate(name=_person_name()).order_by("name").values_list("pk", "name"))


def _people_teams(user, scope, period, rep_id, department_id):
    teams = Department.objects.none()
    if scope.everything:
        teams = Department.objects.all()
    elif scope.department_id is not None:
        teams = Department.objects.filter(pk=scope.department_id)
    return teams.order_by("name").values_list("pk", "name")


def report_people(*, user) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """The reps and teams the reader may pick on the reports page (their scope's)."""
    reader = Reader(user, figure_scope(user), None, None, None)
    return (report_rows(reader, "people.reps", _people_reps, model=User),
            report_rows(reader, "people.teams", _people_teams, model=Department))


__all__ = [
    "GROUPS", "Period", "Report", "cents", "current_quarter", "figures", "funnel", "hours", "lost_analysis",
    "not_contacted", "not_contacted_days", "percent", "receivables_top", "report_people", "retention",
    "service_by_product", "target_attainment", "visits", "with_reached_stage",
]
