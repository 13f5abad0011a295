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
    OuterRef,
    Q,
    Subquery,
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
from backend.common.prepared import fetch_prepared
from backend.crm.models import (
    CLOSED_STAGES,
    FUNNEL_STAGES,
    MONTH_COLUMNS,
    OPEN_STAGES,
    Activity,
    ActivityKind,
    ClosedDealProductDay,
    Competitor,
    Customer,
    CustomerMonthFigures,
    CustomerStatus,
    CustomerYearOrders,
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
    ReceivableCustomerTotals,
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


# --- the figures' parts: each a grouped SQL of (key, currency, present, and the measures it gives, some of
# orders, sales, collected, invoiced, outstanding, overdue, expenses), joined per group and currency by
# one statement (_figures_sql) ---------------------------------------------------------------------------

_PART_MEASURES = ("orders", "sales", "collected", "invoiced", "outstanding", "overdue", "expenses")
Part = tuple[str, list, tuple[str, ...]]  # SQL, its params, the measures it gives


def _part(grouped, present: str = "1", **measures: str) -> Part | None:
    """A part of the figures from `grouped` (a grouped values_list() of "key", "cur" and sums, or SQL and
    params whose columns are named so), aliased g: `present` says whether a group is in the figures at
    all (1 or 0: a group none of whose parts is present is left out), `measures` the SQL of each measure it
    gives (over g's columns). With the names of those measures. None: `grouped` matches nothing."""
    if isinstance(grouped, tuple):
        sql, params = grouped
    else:
        try:
            sql, params = grouped.query.sql_with_params()
        except EmptyResultSet:
            return None
    columns = "".join(f", {measures[measure]} AS {measure}" for measure in _PART_MEASURES if measure in measures)
    return (f"SELECT g.key AS key, g.cur AS currency, {present} AS present{columns} FROM ({sql}) g", list(params),
            tuple(measure for measure in _PART_MEASURES if measure in measures))


def _grouped_part(queryset, key_path: str, group_by: str, currency_path: str, **measures) -> Part | None:
    """A part summing `measures` (name: aggregate) per group and currency from the rows of `queryset`: every
    group it has is present, whatever its sums."""
    grouped = (queryset.order_by().annotate(key=_key(key_path, group_by), cur=F(currency_path))
               .values_list("key", "cur").annotate(**measures))
    return _part(grouped, **{name: f"g.{name}" for name in measures})


def _any_of(*columns: str) -> str:
    return "CASE WHEN " + " OR ".join(f"g.{column} <> 0" for column in columns) + " THEN 1 ELSE 0 END"


# Groupings the rollup answers (RepDayFigures: per day, rep and currency); the others sum the rows.
_ROLLUP_GROUPS = {"rep": "rep_id", "team": "rep__department_id"}
_ROLLUP_MEASURES = ("sales", "orders", "collected", "invoiced", "expenses")


def _rollup_part(period: Period, scope: FigureScope, group_by: str, rep_id: int | None,
                 department_id: int | None) -> Part | None:
    """Sales, orders signed, collections, invoices and expenses per rep or team and currency, summed from
    the rollup's days in the period (a few thousand rows a quarter). A group whose figures all came back
    to nothing (an order signed, then cancelled) is not present, as the rows leave it out."""
    grouped = (RepDayFigures.objects.filter(period.date_q("day"))
               .filter(_rep_filter(scope, "rep", rep_id, department_id)).order_by()
               .annotate(key=F(_ROLLUP_GROUPS[group_by]), cur=F("currency")).values_list("key", "cur")
               .annotate(**{measure: Sum(measure) for measure in _ROLLUP_MEASURES}))
    return _part(grouped, _any_of(*_ROLLUP_MEASURES), **{measure: f"g.{measure}" for measure in _ROLLUP_MEASURES})


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


def _row_parts(periods: list[Period], group_by: str, narrowed) -> list[Part | None]:
    """Sales and orders signed (and, unless by product, collections and invoices) per group and currency,
    summed from the rows dated in `periods` (the edges of a period the month rollups do not hold whole)."""
    lines = narrowed(OrderLine.objects.exclude(order__status=OrderStatus.CANCELLED)
                     .filter(_dated_q(periods, "order__signed_date"), order__signed_date__isnull=False), "sales")
    parts = [_grouped_part(lines, _PATHS["sales"][group_by], group_by, "order__currency",
                           sales=Sum("line_total"), orders=Count("order_id", distinct=True))]
    if _PATHS["collected"][group_by]:
        payments = narrowed(Payment.objects.filter(_dated_q(periods, "received_on")), "collected")
        parts.append(_grouped_part(payments, _PATHS["collected"][group_by], group_by, "order__currency",
                                   collected=Sum("amount")))
        invoices = narrowed(Invoice.objects.filter(_dated_q(periods, "issued_on")), "invoiced")
        parts.append(_grouped_part(invoices, _PATHS["invoiced"][group_by], group_by, "order__currency",
                                   invoiced=Sum("amount")))
    return parts


def _month_parts(period: Period, scope: FigureScope, group_by: str, rep_id: int | None,
                 department_id: int | None, narrowed) -> list[Part | None]:
    """Sales and orders signed (and, by region or customer, collections and invoices) per group and
    currency: the months wholly inside the period summed from the month rollups (one grouped query), the
    days at its edges from the rows. A month rollup's group is present exactly when the rows have some of
    it (an order signed, then cancelled, leaves its month's row at nothing)."""
    model, path = _MONTH_GROUPS[group_by]
    money = ("sales", "collected", "invoiced") if _PATHS["collected"][group_by] else ("sales",)
    parts = []
    months, edges = _month_split(period)
    if months is not None:
        grouped = (model.objects.filter(months).filter(_rep_filter(scope, "rep", rep_id, department_id))
                   .order_by().annotate(key=_key(path, group_by), cur=F("currency")).values_list("key", "cur")
                   .annotate(orders=Sum("orders"), **{measure: Sum(measure) for measure in money}))
        # (the sales of a group with no order signed are none: its orders were all cancelled)
        parts.append(_part(grouped, _any_of("orders", *money[1:]), orders="g.orders",
                           sales="CASE WHEN g.orders <> 0 THEN g.sales ELSE 0 END",
                           **{measure: f"g.{measure}" for measure in money[1:]}))
    if edges:
        parts.extend(_row_parts(edges, group_by, narrowed))
    return parts


# The key a group of no rep, team, customer or product (a rep in no team, an expense for no customer) is
# joined on: no row's id (a region is never missing: an empty one is "(no region)").
_NO_KEY = 0


def _label_sql(group_by: str) -> tuple[str, str, list]:
    """The SQL of a group's display name in the rows of _figures_sql (over its groups, g), the join it
    needs, and its params: a rep's name, a team's, a customer's, a product's code and name (NULL for a key
    of no row); a region's own name, "(no region)" for none."""
    if group_by == "region":
        return "CASE WHEN g.key = '' THEN %s ELSE g.key END", "", [str(NO_REGION)]
    model = {"rep": User, "team": Department, "customer": Customer}.get(group_by, Product)
    q = connection.ops.quote_name

    def column(name: str) -> str:
        return f"l.{q(model._meta.get_field(name).column)}"

    if group_by == "rep":
        label = f"COALESCE(NULLIF({column('display_name')}, ''), {column('username')})"
    elif group_by == "product":
        label = f"{column('code')} || ' ' || {column('name')}"
    else:
        label = column("name")
    return label, f" LEFT JOIN {q(model._meta.db_table)} l ON l.{q(model._meta.pk.column)} = g.key", []


def _first(columns) -> str:
    """The first of `columns` not NULL (SQLite's COALESCE wants two or more)."""
    columns = list(columns)
    return columns[0] if len(columns) == 1 else f"COALESCE({', '.join(columns)})"


def _figures_sql(parts: list[Part], absent: set, group_by: str) -> tuple[str, list]:
    """One statement joining the parts per group and currency (each has a group once: a full join, not a
    sum over all their rows, which costs the database several times more), the money rounded to the cent
    (half up): rows of (0, key, label, currency, orders, sales, collected, invoiced, outstanding, overdue,
    expenses, margin), and per currency the totals over them, (1, NULL, NULL, currency, …). A group is in the
    rows when it is present in one of the parts. A measure in `absent` (one the grouping cannot split)
    is NULL throughout, and so is the margin unless both sales and expenses are there."""
    key = "g.key" if group_by == "region" else f"COALESCE(g.key, {_NO_KEY})"
    joined, params = [], []
    for number, (sql, part_params, part_measures) in enumerate(parts):
        given = "".join(f", g.{measure}" for measure in part_measures)
        part = f"(SELECT {key} AS key, g.currency AS currency, g.present AS present{given} FROM ({sql}) g) p{number}"
        if number:
            earlier = range(number)
            part += (f" ON p{number}.key = {_first(f'p{n}.key' for n in earlier)}"
                     f" AND p{number}.currency = {_first(f'p{n}.currency' for n in earlier)}")
        joined.append(part)
        params += part_params
    everyone = range(len(parts))

    def total(measure: str) -> str:
        given = [f"COALESCE(p{number}.{measure}, 0)" for number, (_s, _p, measures) in enumerate(parts)
                 if measure in measures]
        return " + ".join(given) or "0"

    money = [name for name in _PART_MEASURES[1:] if name not in absent]
    margin = "margin" not in absent and "sales" in money and "expenses" in money

    def columns(orders: str, each: str, margin_sql: str) -> str:
        return ", ".join([orders, *(each.format(name) if name in money else "NULL" for name in _PART_MEASURES[1:]),
                          margin_sql if margin else "NULL"])

    label, label_join, label_params = _label_sql(group_by)
    measures = ", ".join([f"CAST({total('orders')} AS BIGINT) AS orders",
                          *(f"ROUND({total(name)}, 2) AS {name}" for name in money)])
    sql = f"""
        WITH g AS (SELECT {_first(f"p{number}.key" for number in everyone)} AS key,
                          {_first(f"p{number}.currency" for number in everyone)} AS currency, {measures}
                   FROM {" FULL OUTER JOIN ".join(joined)}
                   WHERE {" OR ".join(f"p{number}.present = 1" for number in everyone)})
        SELECT 0, {"g.key" if group_by == "region" else f"NULLIF(g.key, {_NO_KEY})"}, {label}, g.currency,
               {columns("g.orders", "g.{}", "g.sales - g.expenses")} FROM g{label_join}
        UNION ALL
        SELECT 1, NULL, NULL, g.currency, {columns("CAST(SUM(g.orders) AS BIGINT)", "SUM(g.{})",
                                             "SUM(g.sales) - SUM(g.expenses)")}
        FROM g GROUP BY g.currency"""
    return sql, params + label_params


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

    # The parts of the figures, joined per group and currency in one statement; a measure the grouping
    # cannot split is absent (None in the rows and the totals), and so is the margin then.
    if group_by in _ROLLUP_GROUPS:
        parts = [_rollup_part(period, scope, group_by, rep_id, department_id)]
    else:
        parts = _month_parts(period, scope, group_by, rep_id, department_id, narrowed)
    if _PATHS["collected"][group_by]:
        if group_by not in _ROLLUP_GROUPS:
            # Expenses by customer and region are read from the rows: their region is the expense's own,
            # and per month, submitter, customer and region there would be about as many rows as expenses.
            spent = narrowed(Expense.objects.filter(status=ExpenseStatus.APPROVED).filter(period.date_q("spent_on")),
                             "expenses")
            parts.append(_grouped_part(spent, _PATHS["expenses"][group_by], group_by, "currency",
                                       expenses=Sum("amount")))
        parts.append(_receivable_part(narrowed(Order.objects.exclude(status=OrderStatus.CANCELLED), "receivable"),
                                      narrowed(ReceivableTotals.objects.all(), "receivable"), group_by, as_of))
        absent = set()
    else:  # by product: sales and orders signed only
        absent = {"collected", "invoiced", "outstanding", "overdue", "expenses", "margin"}
    rows, summary = _figure_rows([part for part in parts if part is not None], absent, group_by)
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


_ROW_NAMES = ("key", "label", "currency", *_PART_MEASURES, "margin")


def _figure_rows(parts: list[Part], absent: set, group_by: str) -> tuple[list[dict], list[dict]]:
    """The rows (one per group and currency: its key, label, currency and measures) by label, key and
    currency, and the totals per currency by currency, from the parts (_figures_sql). A group without a
    value has 0 orders and 0.00 of the money. On PostgreSQL the numbers come from the driver as they are
    shown (ints, and Decimals of two places); elsewhere (SQLite sums decimals as floats) they are made so
    here."""
    if not parts:
        return [], []
    sql, params = _figures_sql(parts, absent, group_by)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    if connection.vendor != "postgresql":
        found = [(level, key, label, currency, None if orders is None else int(orders),
                  *(None if value is None else cents(value) for value in money))
                 for level, key, label, currency, orders, *money in found]
    # (dict literals: twice as fast as dict(zip()) over 18,000 rows)
    rows = [{"key": key, "label": "—" if label is None else label, "currency": currency, "orders": orders,
             "sales": sales, "collected": collected, "invoiced": invoiced, "outstanding": outstanding,
             "overdue": overdue, "expenses": expenses, "margin": margin}
            for level, key, label, currency, orders, sales, collected, invoiced, outstanding, overdue, expenses, margin
            in found if level == 0]
    # By label, then key, then currency: three stable sorts on one string each, the last key first (the
    # same order as one sort on the three as a tuple, whose comparisons cost more than the rows' building).
    rows.sort(key=itemgetter("currency"))
    rows.sort(key=lambda row: str(row["key"]))
    rows.sort(key=lambda row: str(row["label"]).lower())
    totals = sorted((row for row in found if row[0] == 1), key=itemgetter(3))
    summary = []
    for _level, _key, _label, currency, *measures in totals:
        total = dict(zip(_ROW_NAMES[3:], measures))
        summary.append({"currency": currency, **{measure: total[measure] for measure in FIGURE_MEASURES}})
    return rows, summary


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


def _receivable_part(orders, totals, group_by: str, as_of: dt.date) -> Part | None:
    """Outstanding (ordered less paid) and overdue as of `as_of`, per group and currency, for the orders
    signed by then (_receivable_sums): every group it has is present."""
    signed = Q(signed_date__lte=as_of) | Q(signed_date__isnull=True)
    try:
        sql, params = _receivable_sums(totals=totals, orders=orders, included=signed, group_by=group_by, as_of=as_of)
    except EmptyResultSet:
        return None
    return _part((f"SELECT r.key AS key, r.currency AS cur, r.total AS total, r.paid AS paid, r.overdue AS overdue"
                  f" FROM ({sql}) r", params),
                 outstanding="COALESCE(g.total - g.paid, 0)", overdue="COALESCE(g.overdue, 0)")


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


# Up to this many years, retention joins each customer's row of each year the two periods' whole months
# touch (one row a customer each: no grouping); beyond (a period of years), their rows are grouped per
# customer first.
_RETENTION_YEAR_JOINS = 3


def _year_months(span: tuple[dt.date, dt.date], year: int) -> list[str]:
    """CustomerYearOrders' columns of the months of `span` (its first and last months) in `year`."""
    first = span[0].month if year == span[0].year else 1
    last = span[1].month if year == span[1].year else 12
    return list(MONTH_COLUMNS[first - 1:last])


def _ordered_in(alias: str, columns: list[str]) -> str:
    return "(" + " OR ".join(f"{alias}.{column} > 0" for column in columns) + ")"


def _retention_years(spans: list, narrow: str, narrow_params: list) -> tuple[list[str], str, list]:
    """The whole months of the two periods (`spans`: the current one's, the previous one's, each its first
    and last month or None) read from CustomerYearOrders, joined to the customers `c`: (the condition on
    the joined rows that a customer ordered in each span, the joins' SQL, their parameters). A customer
    without a row ordered in none of its months (the conditions are NULL, not true)."""
    table = connection.ops.quote_name(CustomerYearOrders._meta.db_table)
    years = sorted({year for span in spans if span for year in range(span[0].year, span[1].year + 1)})
    if not years:
        return ["", ""], "", []
    if len(years) <= _RETENTION_YEAR_JOINS:
        aliases = {year: f"y{index}" for index, year in enumerate(years)}
        conditions = [" OR ".join(_ordered_in(aliases[year], _year_months(span, year))
                                  for year in range(span[0].year, span[1].year + 1)) if span else ""
                      for span in spans]
        joins = "".join(f" LEFT JOIN {table} {alias} ON {alias}.customer_id = c.id AND {alias}.year = %s"
                        for alias in aliases.values())
        return conditions, joins, years

    def in_span(span) -> tuple[str, list]:  # a row of y (any year) has an order in the span's months
        if not span:
            return "1 = 0", []
        first, last = span[0].year, span[1].year
        if first == last:
            return f"(y.year = %s AND {_ordered_in('y', _year_months(span, first))})", [first]
        return (f"(y.year = %s AND {_ordered_in('y', _year_months(span, first))} "
                f"OR y.year > %s AND y.year < %s AND {_ordered_in('y', list(MONTH_COLUMNS))} "
                f"OR y.year = %s AND {_ordered_in('y', _year_months(span, last))})", [first, first, last, last])

    (now_sql, now_params), (before_sql, before_params) = (in_span(span) for span in spans)
    joins = (f" LEFT JOIN (SELECT y.customer_id AS customer_id, MAX(CASE WHEN {now_sql} THEN 1 ELSE 0 END) AS in_now, "
             f"MAX(CASE WHEN {before_sql} THEN 1 ELSE 0 END) AS in_before FROM {table} y "
             f"WHERE y.year >= %s AND y.year <= %s{narrow.replace('{t}', 'y')} GROUP BY y.customer_id) ya "
             f"ON ya.customer_id = c.id")
    return (["ya.in_now = 1", "ya.in_before = 1"], joins,
            [*now_params, *before_params, years[0], years[-1], *narrow_params])


def _retention_activity(current: Period, previous: Period, narrow: str,
                        narrow_params: list) -> tuple[list[str], str, list, bool]:
    """Which customers `c` were active in each period, as joins to them: (the condition that a customer
    was active in the current period, in the previous one; the joins' SQL; their parameters; whether the
    periods are whole months, each year joined: see _retention_rows). Active in a
    period: a non-cancelled order signed in it, or unsigned and created in it. The months wholly inside
    the periods are read from CustomerYearOrders (one row a customer and year), the days at their edges
    from the orders signed then, and the unsigned orders (rare) from the rows, found by their own partial
    index. `narrow`: a condition on `{t}.customer_id` (the reader's customers) or "" (every customer)."""
    q = connection.ops.quote_name
    instant = connection.ops.adapt_datetimefield_value  # an aware datetime as this database compares it
    order_table = q(Order._meta.db_table)
    spans = []
    for period in (current, previous):
        span, edges = _month_span(period)
        if span is not None and None in span:  # (an open end: every day from the rows)
            span, edges = None, [period]
        spans.append((span, edges))
    year_conditions, joins, params = _retention_years([span for span, _edges in spans], narrow, narrow_params)

    def between(column: str, pairs: list[tuple]) -> tuple[str, list]:
        if not pairs:
            return "1 = 0", []
        return ("(" + " OR ".join(f"{column} >= %s AND {column} <= %s" for _pair in pairs) + ")",
                [value for pair in pairs for value in pair])

    parts: list[tuple[str, list]] = []
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
    joins += (f" LEFT JOIN (SELECT x.customer_id AS customer_id, MAX(x.in_now) AS in_now, MAX(x.in_before) AS "
              f"in_before FROM ({sql}) x GROUP BY x.customer_id) r ON r.customer_id = c.id")
    params += [value for _part, part_params in parts for value in part_params]
    conditions = [" OR ".join(filter(None, (years, f"r.{column} = 1")))
                  for years, column in zip(year_conditions, ("in_now", "in_before"))]
    spanned = {year for span, _edges in spans if span for year in range(span[0].year, span[1].year + 1)}
    whole_months = not any(period_edges for _span, period_edges in spans) and len(spanned) <= _RETENTION_YEAR_JOINS
    return conditions, joins, params, whole_months


def _activity_part(table: str, alias: str, where: str, conditions: list[tuple[str, list]], narrow: str,
                   narrow_params: list, where_params: list | None = None) -> tuple[str, list]:
    """One branch of the activity read from the rows: `table`'s customers, in_now and in_before by
    `conditions` (the current period's, the previous one's), where `where` and either condition hold."""
    (now_sql, now_params), (before_sql, before_params) = conditions
    sql = (f"SELECT {alias}.customer_id AS customer_id, CASE WHEN {now_sql} THEN 1 ELSE 0 END AS in_now, "
           f"CASE WHEN {before_sql} THEN 1 ELSE 0 END AS in_before FROM {table} "
           f"WHERE {where}{narrow.replace('{t}', alias)} AND ({now_sql} OR {before_sql})")
    return sql, [*now_params, *before_params, *(where_params or []), *narrow_params, *now_params, *before_params]


def _retention_rows(customers, current: Period, previous: Period, *, every_customer: bool = False) -> list[dict]:
    """Per owner of `customers`: how many, new in `current`, active (a non-cancelled order signed — or,
    unsigned, created — in `current`), active in `previous`, retained (both) and lost (before, not now).
    One query over the customers, each joined to its activity (_retention_activity: one row a customer
    and year of the whole months, and what the rows say of the edge days and the unsigned orders), then
    counted per owner (not two EXISTS per customer). CASE, not FILTER: SQLite runs it too.
    `every_customer`: the reader sees every customer, so the rows' activity need not be narrowed to
    `customers` first (the join does that)."""
    q = connection.ops.quote_name
    customers_sql, customers_params = customers.values("id", "owner_id", "created_at").query.sql_with_params()
    instant = connection.ops.adapt_datetimefield_value
    if every_customer:
        narrow, narrow_params = "", []
    else:
        ids_sql, ids_params = customers.values("pk").query.sql_with_params()
        narrow, narrow_params = " AND {t}.customer_id IN (" + ids_sql + ")", list(ids_params)
    (now, before), joins, join_params, whole_months = _retention_activity(current, previous, narrow, narrow_params)
    # Counted per owner id first, named after: the owners' names are sorted, not every customer's row.
    # (Lost: active before and not now, in_before - in_now * in_before.)
    sql = f"""
        SELECT g.owner_id, COALESCE(NULLIF(u.display_name, ''), u.username) AS rep, g.customers, g.new_customers,
               g.active, g.active_before, g.retained, g.lost
        FROM (SELECT a.owner_id AS owner_id, COUNT(*) AS customers,
                     SUM(CASE WHEN a.created_at >= %s AND a.created_at < %s THEN 1 ELSE 0 END) AS new_customers,
                     SUM(a.in_now) AS active, SUM(a.in_before) AS active_before,
                     SUM(a.in_now * a.in_before) AS retained, SUM(a.in_before - a.in_now * a.in_before) AS lost
              FROM (SELECT c.owner_id AS owner_id, c.created_at AS created_at,
                           CASE WHEN {now} THEN 1 ELSE 0 END AS in_now,
                           CASE WHEN {before} THEN 1 ELSE 0 END AS in_before
                    FROM ({customers_sql}) c{joins}) a
              GROUP BY a.owner_id) g
        JOIN {q(User._meta.db_table)} u ON u.id = g.owner_id
        ORDER BY rep, g.owner_id"""
    params = [instant(current.start), instant(current.end), *customers_params, *join_params]
    if whole_months:
        # (a quarter and the one before it, the page's default): planned once per connection, its generic
        # plan as good as each run's own. The days at the edges are not: a generic plan guesses how many
        # orders they hold, and narrowed to a team it looped over each customer's orders (70 ms, not 17).
        rows = fetch_prepared(connection.alias, sql, params, generic=True)
    else:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
    return [{"owner_id": owner_id, "rep": rep, "customers": counts[0], "new": counts[1] or 0,
             "active": counts[2] or 0, "active_before": counts[3] or 0, "retained": counts[4] or 0,
             "lost": counts[5] or 0} for owner_id, rep, *counts in rows]


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


def _visits_sql(user, scope, period, rep_id, department_id) -> tuple[str, list]:
    """Per rep: the activities in the period by kind, their total and the customers they reached, counted
    per rep id, then named: naming and ordering 17,000 activities by their rep's name before counting them
    cost more than the counts (the page's quarter on the large world)."""
    kinds = {kind: Count("id", filter=Q(kind=kind)) for kind in ActivityKind.values}
    counts_sql, params = (Activity.objects.filter(period.instant_q("occurred_at"))
                          .filter(_rep_filter(scope, "owner", rep_id, department_id)).order_by()
                          .values("owner_id").annotate(total=Count("id"), customers=Count("customer_id", distinct=True),
                                                       **kinds)
                          .query.sql_with_params())
    q = connection.ops.quote_name
    measures = ", ".join(f"a.{q(name)}" for name in ("total", "customers", *ActivityKind.values))
    sql = f"""
        SELECT a.owner_id, COALESCE(NULLIF(u.display_name, ''), u.username) AS name, {measures}
        FROM ({counts_sql}) a JOIN {q(User._meta.db_table)} u ON u.id = a.owner_id
        ORDER BY name, a.owner_id"""
    return sql, list(params)


def visits(*, user, period: Period, rep_id: int | None = None, department_id: int | None = None) -> Report:
    """Per rep: visits, calls, e-mails, notes and reminders that took place in the period."""
    reader = Reader(user, figure_scope(user), period, rep_id, department_id)
    names = ("owner_id", "name", "total", "customers", *ActivityKind.values)
    try:
        rows = [dict(zip(names, row)) for row in report_sql_rows(reader, "visits", _visits_sql, model=Activity)]
    except EmptyResultSet:  # (a reader whose scope is nobody's)
        rows = []
    return Report(
        name="visits",
        params={**period.as_dict(), "rep": rep_id, "team": department_id},
        columns=[("name", _("rep")), *[(kind, ActivityKind(kind).label) for kind in ActivityKind.values],
                 ("total", _("activities")), ("customers", _("customers reached"))],
        rows=rows,
        # (every activity has its owner: the totals are the sums of the reps' rows, not a second pass)
        summary={measure: sum(row[measure] for row in rows) for measure in ("total", *ActivityKind.values)},
    )


# Placeholders for "not contacted"'s instants (now, and `days` before it): values no request has.
_NOW_SLOT = dt.datetime(1901, 2, 3, 0, 0, 3, tzinfo=dt.timezone.utc)
_SINCE_SLOT = dt.datetime(1901, 2, 3, 0, 0, 4, tzinfo=dt.timezone.utc)


def _literals(values) -> str:
    """Code constants (choice values) as SQL literals: a prepared statement's generic plan can use a partial
    index only when its condition is written in the SQL (activity_contact_idx: kind IN visit, call, e-mail),
    and estimates a status filter only when it knows the status."""
    if not all(str(value).isidentifier() for value in values):
        raise ValueError(f"not a plain constant: {values!r}")
    return ", ".join(f"'{value}'" for value in values)


def _not_contacted_sql(user, scope, period, rep_id, department_id, *, now, since, limit) -> tuple[str, list]:
    """The reader's active and prospect customers with no visit, call or e-mail between `since` and `now`
    ("quiet"), with their last contact up to `now` (none in the future: a scheduled visit is not a contact yet),
    found once, then counted per rep id and named, and the `limit` longest quiet listed and named. Each
    customer's last contact is grouped once per customer from the contacts' index, not looked up per customer
    (that ran 10,000 index probes). The quiet customers are joined to the last contacts from the customers
    themselves: joined from the quiet ones, the planner's guess of the rows grew enough to switch its JIT
    compiler on (100 ms). Rows: (0, rep id, rep, count, None, None, place) per rep and (1, customer id,
    customer, None, rep, last contact, place) per customer listed."""
    base_sql, base_params = (Customer.objects.filter(_rep_filter(scope, "owner", rep_id, department_id)).order_by()
                             .values("id", "name", "owner_id", "status").query.sql_with_params())
    q = connection.ops.quote_name
    activities, users = q(Activity._meta.db_table), q(User._meta.db_table)
    contact = f"kind IN ({_literals(CONTACT_KINDS)})"
    since, now = (connection.ops.adapt_datetimefield_value(instant) for instant in (since, now))
    lost = _literals([CustomerStatus.LOST])
    if scope.everything and not rep_id and not department_id:
        # Everyone's: the window's contacts hashed once (a few thousand), every customer probed in the hash;
        # the last contacts read from the index in customer order, without a hash of the customers.
        quiet = f"""
            SELECT c.id AS id, c.name AS name, c.owner_id AS owner_id, l.last_contact AS last_contact
            FROM ({base_sql}) c
            LEFT JOIN (SELECT customer_id, MAX(occurred_at) AS last_contact FROM {activities}
                       WHERE {contact} AND occurred_at < %s GROUP BY customer_id) l ON l.customer_id = c.id
            WHERE c.status <> {lost}
              AND NOT EXISTS (SELECT 1 FROM {activities} a
                              WHERE a.customer_id = c.id AND a.{contact} AND a.occurred_at >= %s AND a.occurred_at <= %s)"""
        params = [*base_params, since, since, now]
    else:
        # A rep's or a team's (a few hundred customers): each customer's contacts read from the index, the
        # last one up to now kept, and the customers whose last one is before the window (or who have none).
        quiet = f"""
            SELECT c.id AS id, c.name AS name, c.owner_id AS owner_id, l.last_contact AS last_contact
            FROM ({base_sql}) c
            LEFT JOIN (SELECT customer_id, MAX(occurred_at) AS last_contact FROM {activities}
                       WHERE {contact} AND occurred_at <= %s AND customer_id IN (SELECT n.id FROM ({base_sql}) n)
                       GROUP BY customer_id) l ON l.customer_id = c.id
            WHERE c.status <> {lost} AND (l.last_contact IS NULL OR l.last_contact < %s)"""
        params = [*base_params, now, *base_params, since]
    rep = "COALESCE(NULLIF(u.display_name, ''), u.username)"
    sql = f"""
        WITH quiet AS ({quiet})
        SELECT 0, g.owner_id, {rep}, g.n, NULL, NULL, ROW_NUMBER() OVER (ORDER BY g.n DESC, {rep}, g.owner_id)
        FROM (SELECT owner_id, COUNT(*) AS n FROM quiet GROUP BY owner_id) g JOIN {users} u ON u.id = g.owner_id
        UNION ALL
        SELECT 1, t.id, t.name, NULL, {rep}, t.last_contact,
               ROW_NUMBER() OVER (ORDER BY t.last_contact ASC NULLS FIRST, t.name, t.id)
        FROM (SELECT id, name, owner_id, last_contact FROM quiet
              ORDER BY last_contact ASC NULLS FIRST, name, id LIMIT {int(limit)}) t
        JOIN {users} u ON u.id = t.owner_id"""
    return sql, params


def not_contacted(*, user, days: int = NOT_CONTACTED_DEFAULT_DAYS, rep_id: int | None = None,
                  department_id: int | None = None, limit: int = 20) -> Report:
    """Active and prospect customers with no visit, call or e-mail for `days` days (or ever): how many per
    rep, and the `limit` longest without one."""
    if days < 1 or days > 3650:
        raise InvalidInput("Days out of range.", fields={"days": ["Between 1 and 3650."]})
    reader = Reader(user, figure_scope(user), None, rep_id, department_id)
    now = timezone.now()
    try:
        found = report_sql_rows(reader, f"not_contacted.{int(limit)}", _not_contacted_sql, model=Customer,
                                more={"now": (_NOW_SLOT, now), "since": (_SINCE_SLOT, now - dt.timedelta(days=days)),
                                      "limit": (None, limit)})
    except EmptyResultSet:  # (a reader whose scope is nobody's)
        found = []
    found.sort(key=lambda row: (row[0], row[6]))
    per_rep = [{"owner_id": key, "rep": name, "count": n} for part, key, name, n, *_rest in found if part == 0]
    oldest = [{"id": key, "name": name, "rep": rep, "last_contact": last}
              for part, key, name, _n, rep, last, _place in found if part == 1]
    for row in oldest:
        row["last_contact"] = _local_date(row["last_contact"]) if row["last_contact"] else None
    return Report(
        name="not-contacted",
        params={"days": days, "rep": rep_id, "team": department_id},
        columns=[("name", _("customer")), ("rep", _("rep")), ("last_contact", _("last visit, call or e-mail"))],
        rows=oldest,
        summary={"per_rep": per_rep, "total": sum(row["count"] for row in per_rep)},
    )


def _local_date(instant) -> dt.date:
    """The day (in the current time zone) of an instant as the cursor gives it (SQLite: text)."""
    if isinstance(instant, str):
        instant = dt.datetime.fromisoformat(instant)
        if timezone.is_naive(instant):
            instant = timezone.make_aware(instant, dt.timezone.utc)
    return timezone.localtime(instant).date()


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


# What the summary is summed from, per group: the averages' sums and counts (the records, complaints and
# rated are counts already).
_SERVICE_SUMS = ("responded", "response_sum", "resolved", "resolution_sum", "satisfaction_sum")


def _service_groups(user, scope, period, rep_id, department_id):
    response = ExpressionWrapper(F("confirmed_at") - F("created_at"), output_field=DurationField())
    resolution = ExpressionWrapper(F("resolved_at") - F("created_at"), output_field=DurationField())
    sums = {"responded": Count("confirmed_at"), "response_sum": Sum(response, filter=Q(confirmed_at__isnull=False)),
            "resolved": Count("resolved_at"), "resolution_sum": Sum(resolution, filter=Q(resolved_at__isnull=False)),
            "satisfaction_sum": Sum("satisfaction")}
    return (_service_records(user, scope, period, rep_id, department_id)
            .values("product_id", "product__code", "product__name", "type")
            .annotate(**_service_measures(), **sums).order_by("product__code", "type"))


def _mean(total, count, *, duration: bool = False):
    """total / count as the database's AVG gives it (None over nothing): a duration as a timedelta to the
    microsecond (microseconds, a float, on SQLite), a number as a Decimal."""
    if not count or total is None:
        return None
    return total / count if duration else Decimal(total) / count


def _service_summary(rows: list[dict]) -> dict:
    """The measures over every record (the groups' records, each in one group), from the groups' sums and
    counts: what one aggregate over the records gives, without reading them again."""
    sums = {name: [row.pop(name) for row in rows] for name in _SERVICE_SUMS}

    def total(values):
        present = [value for value in values if value is not None]
        return sum(present[1:], present[0]) if present else None

    return {"records": sum(row["records"] for row in rows), "complaints": sum(row["complaints"] for row in rows),
            "response": _mean(total(sums["response_sum"]), sum(sums["responded"]), duration=True),
            "resolution": _mean(total(sums["resolution_sum"]), sum(sums["resolved"]), duration=True),
            "mean_satisfaction": _mean(total(sums["satisfaction_sum"]), sum(row["rated"] for row in rows)),
            "rated": sum(row["rated"] for row in rows)}


def service_by_product(*, user, period: Period, rep_id: int | None = None,
                       department_id: int | None = None) -> Report:
    """Service records opened in the period by product and type: records, complaints, mean hours from
    opening to the engineer's confirmation (response) and to resolution, mean satisfaction (out of 5).
    Service staff read every record they may see; others the records of their scope's customers."""
    reader = Reader(user, service_figure_scope(user), period, rep_id, department_id)
    rows = report_rows(reader, "service.rows", _service_groups, model=ServiceRecord)
    # (the totals: the same measures over every record, one row)
    summary = _service_summary(rows)
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


def _receivable_orders(user):
    """The orders (not cancelled) of the customers `user` may see."""
    # An order is visible exactly when its customer is (policy/crm.py: orders follow their customer): the
    # reader's orders are their customers' orders.
    customers = visible(user, Customer.objects.all(), Action.VIEW)
    orders = Order.objects.exclude(status=OrderStatus.CANCELLED)
    if _narrows(customers):  # (an administrator sees every customer: no join to them)
        orders = orders.filter(customer_id__in=customers.values("pk"))
    return orders


def _last_paid_on(user, scope, period, rep_id, department_id):
    """The latest day any order was paid (asked of every order, the question needs no policy): the newest
    entry of order_last_paid_idx. (Asked as "any paid after this day?", the plan made once for every day
    expects a third of the orders to match and scans them all when, on today, none does.)"""
    return (Order.objects.filter(balance_last_paid_on__isnull=False).order_by("-balance_last_paid_on")
            .values_list("balance_last_paid_on")[:1])


def _top_orders(top):
    return Order.objects.exclude(status=OrderStatus.CANCELLED).filter(customer_id__in=top)


def _top_owing(user, scope, period, rep_id, department_id, *, as_of, limit):
    """The `limit` customer-and-currency groups owing most now (total less paid of their orders not
    cancelled), most first: the first entries of receivablecustomer_top_idx (of the customers the reader
    may see: the index read in its order, each entry's customer checked). Each with whether an order of
    its customer needs its rows read on `as_of` (_needs_rows_q, as _per_order_receivables asks it of the
    orders _receivable_sums corrects for), and the latest day any order was paid (_last_paid_on, the same
    on every row): (customer_id, currency, outstanding, needs_rows, last_paid_on)."""
    customers = visible(user, Customer.objects.all(), Action.VIEW)
    owing = ReceivableCustomerTotals.objects.filter(orders__gt=0, outstanding__gt=0)
    if _narrows(customers):
        owing = owing.filter(customer_id__in=customers.values("pk"))
    needs_rows = Exists(Order.objects.exclude(status=OrderStatus.CANCELLED)
                        .filter(customer_id=OuterRef("customer_id")).filter(_needs_rows_q(as_of)))
    last_paid_on = Subquery(_last_paid_on(user, scope, period, rep_id, department_id))
    return (owing.annotate(needs_rows=needs_rows, last_paid_on=last_paid_on).order_by("-outstanding", "customer_id")
            .values_list("customer_id", "currency", "outstanding", "needs_rows", "last_paid_on")[:limit])


def _owing_paid_later(user, as_of: dt.date) -> dict[tuple, Decimal]:
    """Per customer and currency with an order (not cancelled, of a customer `user` may see) paid after
    `as_of`: what was outstanding on `as_of`, its ReceivableCustomerTotals row (what its orders' balances
    say now) plus the payments received after that day (an order's balance is its rows' sums,
    services/order_balances.py: all it is paid less what was paid by `as_of`). Built and planned for the
    day: on today, the few orders paid ahead, from order_last_paid_idx; on a day long past, many."""
    later = (_receivable_orders(user).filter(balance_last_paid_on__gt=as_of).order_by()
             .values("customer_id", "currency")
             .annotate(later=Sum("payments__amount", filter=Q(payments__received_on__gt=as_of))))
    later_sql, params = later.query.sql_with_params()
    q = connection.ops.quote_name
    sql = f"""
        SELECT g.customer_id, g.currency, c.outstanding + COALESCE(g.later, 0)
        FROM ({later_sql}) g
        JOIN {q(ReceivableCustomerTotals._meta.db_table)} c
          ON c.customer_id = g.customer_id AND c.currency = g.currency"""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {(customer_id, currency): cents(owed) for customer_id, currency, owed in cursor.fetchall()}


def _top_receivables_sql(user, scope, period, rep_id, department_id, *, as_of, limit, read_rows=False,
                         **top) -> tuple[str, list]:
    """The `limit` customer-and-currency groups of the customers `top` owing most on `as_of`, in full.
    `read_rows`: some of their orders need their rows read on `as_of` (_needs_rows_q). _receivable_sums
    would ask which first and write their ids into the statement; here those orders are left in the totals
    as they are (their part of ReceivableTotals, less what ReceivableDueTotals takes off for the due dates
    on or after `as_of`), and each one's part is then replaced by what its rows say (_per_order_from_rows,
    the orders found by the statement itself): the same sums, from one statement for every such day."""
    top = list(top.values())
    orders = _top_orders(top)
    if read_rows:
        orders = orders.exclude(_needs_rows_q(as_of))
    sums, params = _receivable_sums(totals=ReceivableTotals.objects.filter(customer_id__in=top),
                                    orders=orders, included=None, group_by="customer", as_of=as_of)
    q = connection.ops.quote_name
    if read_rows:
        per_order, rows_params = _per_order_from_rows(_top_orders(top).filter(_needs_rows_q(as_of)), as_of)
        # An order's part of the totals, its due part taken off when it falls due on or after `as_of`
        # (report_rollups.receivable_part, receivable_rollups.receivable_due_part).
        kept_open = ("CASE WHEN o.balance_overdue_since IS NOT NULL AND o.balance_invoiced > o.balance_paid"
                     " AND o.balance_last_due_on < %s THEN o.balance_invoiced - o.balance_paid ELSE 0 END")
        sums = f"""
            SELECT x.key AS key, x.currency AS currency, SUM(x.total) AS total, SUM(x.paid) AS paid,
                   SUM(x.overdue) AS overdue
            FROM (SELECT r.key AS key, r.currency AS currency, r.total AS total, r.paid AS paid,
                         r.overdue AS overdue
                  FROM ({sums}) r
                  UNION ALL
                  SELECT t.customer_id, t.currency, t.total - o.balance_total, t.paid - o.balance_paid,
                         t.overdue - {kept_open}
                  FROM ({per_order}) t JOIN {q(Order._meta.db_table)} o ON o.id = t.id) x
            GROUP BY x.key, x.currency"""
        params = [*params, as_of, *rows_params]
    sql = f"""
        SELECT t.key, c.name, t.currency, t.total, t.paid, t.overdue, t.outstanding
        FROM (SELECT r.key AS key, r.currency AS currency, r.total AS total, r.paid AS paid, r.overdue AS overdue,
                     r.total - r.paid AS outstanding
              FROM ({sums}) r
              WHERE r.total - r.paid > 0
              ORDER BY outstanding DESC, r.key
              LIMIT %s) t
        JOIN {q(Customer._meta.db_table)} c ON c.id = t.key
        ORDER BY t.outstanding DESC, c.name"""
    return sql, [*params, limit]


def receivables_top(*, user, limit: int = 12, as_of: dt.date | None = None) -> list[dict]:
    """The `limit` customer-and-currency groups with the most outstanding (ordered less paid by `as_of`,
    today unless given), with what of it is overdue, of the customers the reader may see. The largest
    debtors are the first entries of the per-customer totals' index (ReceivableCustomerTotals), with the
    groups paid after `as_of` summed for the day; theirs alone are then summed in full from the receivable
    totals, corrected by the few orders they do not answer for (_top_receivables_sql). Two queries when no
    order was paid after `as_of` (today, usually), three otherwise."""
    as_of = as_of or timezone.localdate()
    # The queries vary on the reader's kind only (the scope is not theirs: what they may see of customers).
    reader = Reader(user, FigureScope(everything=True, user_id=user.pk), None, None, None)
    day = {"as_of": (_AS_OF_SLOT, as_of)}
    # First the largest debtors now, from the per-customer totals' index, with the latest day any order was
    # paid.
    owing = report_rows(reader, f"receivables.top.{limit}", _top_owing, model=ReceivableCustomerTotals,
                        more={**day, "limit": (None, limit)})
    if owing:
        last_paid = owing[0][4]
    else:  # (nobody owes anything now: asked alone)
        last_paid = next(iter(report_rows(reader, "receivables.last_paid_on", _last_paid_on, model=Order)), [None])[0]
    found = {(customer_id, currency): owed for customer_id, currency, owed, *_ in owing}
    needing = {customer_id for customer_id, _currency, _owed, needs_rows, _paid in owing if needs_rows}
    if last_paid is not None and last_paid > as_of:  # (a day in the past, usually; or payments dated ahead)
        # What is outstanding on `as_of` differs from now only by the payments received after it, which
        # only add to it: those groups are summed for the day, and every other group owes what it owes
        # now, no more than each group found above (the first of the index) owed now, and so than each owes
        # on the day. The largest debtors on the day are among those found and those paid later.
        later = _owing_paid_later(user, as_of)
        found.update(later)
        needing.update(customer_id for customer_id, _currency in later)  # (paid after `as_of`: their rows)
    ranked = sorted(((owed, customer_id) for (customer_id, _currency), owed in found.items() if owed > 0),
                    key=lambda group: (-group[0], group[1]))  # (the index's order: most first, then the customer)
    top = [customer_id for _owed, customer_id in ranked[:limit]]
    if not top:
        return []
    # Then theirs alone in full, with what is overdue on the day (customers the reader sees, found above),
    # from the statement written once per process for `limit` customers (the list padded with its first);
    # another when some of their orders need their rows read.
    read_rows = not needing.isdisjoint(top)
    padded = [*top, *[top[0]] * (limit - len(top))]
    ids = {f"top_{index}": (slot, padded[index]) for index, slot in enumerate(_top_slots(limit))}
    rows = report_sql_rows(reader, f"receivables.top_sums.{limit}{'.rows' if read_rows else ''}", _top_receivables_sql,
                           model=Order, more={**day, **ids, "limit": (None, limit), "read_rows": (None, read_rows)})
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
    "service_by_product", "target_attainment", "visits",
]
