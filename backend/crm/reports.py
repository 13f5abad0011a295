"""CRM reports. Each one is a handful of aggregate queries — values().annotate() with Sum, Count,
Avg, Case/When, TruncMonth — over base querysets narrowed by the access policy, so a report covers
exactly what the caller may see (admins and compliance: everything; a rep: their visible customers).
No report loops over rows in Python; the rows it returns are already the aggregated groups.

Periods are inclusive dates `date_from`..`date_to`; either may be open. What the period applies to:

    funnel       the opportunity's created_at (basis="created", default) or its expected_close
                 (basis="expected_close")
    won_lost     the opportunity's closed_at
    receivables  an "as of" date: invoices due before it are overdue (the period is not used)
    service      the service record's created_at
    retention    required (default: the 90 days up to today); compared with the period of the same
                 length just before it

Money is summed per currency — amounts in different currencies are never added together.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import (
    Avg,
    Case,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    OuterRef,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, NullIf, TruncMonth
from django.utils import timezone

from backend.access.policy import Action, visible
from backend.common.errors import InvalidInput
from backend.crm.models import (
    CLOSED_STAGES,
    Customer,
    CustomerStatus,
    DispatchState,
    Opportunity,
    Order,
    OrderStatus,
    ServiceRecord,
    ServiceType,
    Stage,
)
from backend.crm.selectors.orders import MONEY_FIELD, ZERO, as_money, receivable_annotations

CENT = Decimal("0.01")
RETENTION_DEFAULT_DAYS = 90


@dataclass(frozen=True)
class Period:
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    def __post_init__(self) -> None:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise InvalidInput("The period ends before it starts.", fields={"to": ["Must not be before “from”."]})

    @property
    def start(self) -> dt.datetime | None:
        """The first instant of the period, in the current time zone."""
        if self.date_from is None:
            return None
        return timezone.make_aware(dt.datetime.combine(self.date_from, dt.time.min))

    @property
    def end(self) -> dt.datetime | None:
        """The first instant after the period."""
        if self.date_to is None:
            return None
        return timezone.make_aware(dt.datetime.combine(self.date_to + dt.timedelta(days=1), dt.time.min))

    def instant_q(self, field_name: str) -> Q:
        q = Q()
        if self.start is not None:
            q &= Q(**{f"{field_name}__gte": self.start})
        if self.end is not None:
            q &= Q(**{f"{field_name}__lt": self.end})
        return q

    def date_q(self, field_name: str) -> Q:
        q = Q()
        if self.date_from is not None:
            q &= Q(**{f"{field_name}__gte": self.date_from})
        if self.date_to is not None:
            q &= Q(**{f"{field_name}__lte": self.date_to})
        return q

    def as_dict(self) -> dict[str, str | None]:
        return {"from": self.date_from.isoformat() if self.date_from else None,
                "to": self.date_to.isoformat() if self.date_to else None}


@dataclass
class Report:
    """A report's groups (`rows`), the totals over all of them (`summary`), and how to label columns."""

    name: str
    params: dict[str, Any]
    columns: list[tuple[str, str]]  # (key in each row, CSV header)
    rows: list[dict[str, Any]]
    summary: dict[str, Any] | list[dict[str, Any]] = field(default_factory=dict)


def _rep_name(prefix: str) -> Coalesce:
    """A person's display name, or their username when they have none."""
    return Coalesce(NullIf(F(f"{prefix}display_name"), Value("")), F(f"{prefix}username"))


def _cents(value) -> Decimal:
    return (value or Decimal(0)).quantize(CENT, rounding=ROUND_HALF_UP)


def _ratio(part, whole) -> ExpressionWrapper:
    return ExpressionWrapper(Cast(part, FloatField()) / NullIf(Cast(whole, FloatField()), 0.0),
                             output_field=FloatField())


def _hours(value) -> float | None:
    """Durations come back as timedelta (PostgreSQL) or microseconds (SQLite); report hours."""
    if value is None:
        return None
    seconds = value.total_seconds() if isinstance(value, dt.timedelta) else float(value) / 1_000_000
    return round(seconds / 3600, 2)


def _round(value, places: int = 2) -> float | None:
    return None if value is None else round(float(value), places)


# --- (a) sales funnel ------------------------------------------------------------------------

FUNNEL_BASES = {"created": "created_at", "expected_close": "expected_close"}
_STAGE_ORDER = Case(*[When(stage=stage, then=Value(index)) for index, stage in enumerate(Stage.values)],
                    default=Value(99))


def sales_funnel(*, user, period: Period = Period(), basis: str = "created", owner_id: int | None = None) -> Report:
    """Opportunities per rep, month and stage: count, amount, and amount weighted by probability."""
    if basis not in FUNNEL_BASES:
        raise InvalidInput("Unknown period basis.", fields={"basis": [f"Choose one of: {', '.join(FUNNEL_BASES)}."]})
    date_field = FUNNEL_BASES[basis]
    base = visible(user, Opportunity.objects.all(), Action.VIEW)
    base = base.filter(period.instant_q(date_field) if basis == "created" else period.date_q(date_field))
    if owner_id:
        base = base.filter(owner_id=owner_id)
    measures = {
        "count": Count("id"),
        "amount": Coalesce(Sum("amount"), ZERO, output_field=MONEY_FIELD),
        "weighted_amount": Coalesce(Sum("row_weighted"), ZERO, output_field=MONEY_FIELD),
    }
    base = base.annotate(row_weighted=as_money(F("amount") * F("probability") / Value(Decimal(100))))
    rows = list(
        base.order_by()
        .annotate(period=TruncMonth(date_field), rep_name=_rep_name("owner__"), stage_order=_STAGE_ORDER)
        .values("owner_id", "owner__username", "rep_name", "period", "stage", "stage_order", "currency")
        .annotate(**measures)
        .order_by("rep_name", "owner_id", "period", "stage_order", "currency")
    )
    by_stage = list(
        base.order_by().annotate(stage_order=_STAGE_ORDER)
        .values("stage", "stage_order", "currency").annotate(**measures).order_by("stage_order", "currency")
    )
    for row in rows + by_stage:
        row.pop("stage_order", None)
        row["amount"] = _cents(row["amount"])
        row["weighted_amount"] = _cents(row["weighted_amount"])
    for row in rows:
        row["period"] = row["period"].strftime("%Y-%m") if row["period"] else None
    return Report(
        name="funnel",
        params={**period.as_dict(), "basis": basis, "owner": owner_id},
        columns=[("owner__username", "rep"), ("rep_name", "rep name"), ("period", "month"), ("stage", "stage"),
                 ("currency", "currency"), ("count", "opportunities"), ("amount", "amount"),
                 ("weighted_amount", "weighted amount")],
        rows=rows,
        summary=by_stage,
    )


# --- (b) won / lost ---------------------------------------------------------------------------


def won_lost(*, user, period: Period = Period(), owner_id: int | None = None) -> Report:
    """Closed opportunities per rep: won, lost, the lost rate, and the reasons given for losing."""
    base = visible(user, Opportunity.objects.all(), Action.VIEW).filter(stage__in=CLOSED_STAGES)
    base = base.filter(period.instant_q("closed_at"))
    if owner_id:
        base = base.filter(owner_id=owner_id)
    won, lost = Q(stage=Stage.WON), Q(stage=Stage.LOST)
    measures = {
        "won": Count("id", filter=won),
        "lost": Count("id", filter=lost),
        "won_amount": Coalesce(Sum("amount", filter=won), ZERO, output_field=MONEY_FIELD),
        "lost_amount": Coalesce(Sum("amount", filter=lost), ZERO, output_field=MONEY_FIELD),
        "lost_rate": _ratio(Count("id", filter=lost), Count("id")),
    }
    rows = list(
        base.order_by().annotate(rep_name=_rep_name("owner__"))
        .values("owner_id", "owner__username", "rep_name", "currency").annotate(**measures)
        .order_by("rep_name", "owner_id", "currency")
    )
    totals = base.aggregate(won=measures["won"], lost=measures["lost"],
                            lost_rate=_ratio(Count("id", filter=lost), Count("id")))
    reasons = list(
        base.filter(lost).order_by()
        .annotate(reason=Coalesce(NullIf(F("lost_reason"), Value("")), Value("(none given)")))
        .values("reason").annotate(count=Count("id")).order_by("-count", "reason")
    )
    for row in rows:
        row["won_amount"], row["lost_amount"] = _cents(row["won_amount"]), _cents(row["lost_amount"])
        row["lost_rate"] = _round(row["lost_rate"], 4)
    totals["lost_rate"] = _round(totals["lost_rate"], 4)
    return Report(
        name="won-lost",
        params={**period.as_dict(), "owner": owner_id},
        columns=[("owner__username", "rep"), ("rep_name", "rep name"), ("currency", "currency"), ("won", "won"),
                 ("lost", "lost"), ("lost_rate", "lost rate"), ("won_amount", "won amount"),
                 ("lost_amount", "lost amount")],
        rows=rows,
        summary={**totals, "reasons": reasons},
    )


# --- (c) receivables ----------------------------------------------------------------------------

RECEIVABLE_MEASURES = ("ordered", "paid", "invoiced", "outstanding", "invoiced_unpaid", "overdue")
RECEIVABLE_GROUPS = {
    "customer": (("customer_id", "customer__name", "customer__owner__username"),
                 [("customer_id", "customer id"), ("customer__name", "customer"),
                  ("customer__owner__username", "customer owner")]),
    "rep": (("owner_id", "owner__username", "rep_name"), [("owner__username", "rep"), ("rep_name", "rep name")]),
}


def receivables(*, user, by: str = "customer", as_of: dt.date | None = None, owner_id: int | None = None,
                customer_id: int | None = None) -> Report:
    """Ordered, paid, invoiced, outstanding, invoiced-but-unpaid and overdue, per customer or per rep.

    Cancelled orders are left out. "Per rep" groups by the order's owner, the rep who booked it.
    """
    if by not in RECEIVABLE_GROUPS:
        raise InvalidInput("Unknown grouping.", fields={"by": [f"Choose one of: {', '.join(RECEIVABLE_GROUPS)}."]})
    as_of = as_of or timezone.localdate()
    base = visible(user, Order.objects.all(), Action.VIEW).exclude(status=OrderStatus.CANCELLED)
    if owner_id:
        base = base.filter(owner_id=owner_id)
    if customer_id:
        base = base.filter(customer_id=customer_id)
    per_order = base.order_by().annotate(**receivable_annotations(today=as_of)).annotate(
        rep_name=_rep_name("owner__"))
    sums = {
        "orders": Count("id"),
        "ordered": Sum("total"),
        **{name: Sum(name) for name in RECEIVABLE_MEASURES[1:]},
    }
    keys, key_columns = RECEIVABLE_GROUPS[by]
    order_by = ("customer__name", "customer_id") if by == "customer" else ("rep_name", "owner_id")
    rows = list(per_order.values(*keys, "currency").annotate(**sums).order_by(*order_by, "currency"))
    summary = list(per_order.values("currency").annotate(**sums).order_by("currency"))
    for row in rows + summary:
        for name in RECEIVABLE_MEASURES:
            row[name] = _cents(row[name])
    return Report(
        name="receivables",
        params={"by": by, "as_of": as_of.isoformat(), "owner": owner_id, "customer": customer_id},
        columns=key_columns + [("currency", "currency"), ("orders", "orders")]
        + [(name, name.replace("_", " ")) for name in RECEIVABLE_MEASURES],
        rows=rows,
        summary=summary,
    )


# --- (d) service ----------------------------------------------------------------------------------

_OPEN_STATES = (DispatchState.NOT_DISPATCHED, DispatchState.DISPATCHED, DispatchState.CONFIRMED,
                DispatchState.RESOLVED)


def _service_measures() -> dict[str, Any]:
    to_confirm = ExpressionWrapper(F("confirmed_at") - F("dispatched_at"), output_field=DurationField())
    to_resolve = ExpressionWrapper(F("resolved_at") - F("created_at"), output_field=DurationField())
    return {
        "records": Count("id"),
        **{f"open_{state}": Count("id", filter=Q(dispatch_state=state)) for state in _OPEN_STATES},
        "closed": Count("id", filter=Q(dispatch_state=DispatchState.CLOSED)),
        "complaints": Count("id", filter=Q(type=ServiceType.COMPLAINT)),
        "mean_time_to_confirm": Avg(to_confirm, filter=Q(confirmed_at__isnull=False, dispatched_at__isnull=False)),
        "mean_time_to_resolve": Avg(to_resolve, filter=Q(resolved_at__isnull=False)),
        "mean_satisfaction": Avg("satisfaction"),
        "rated": Count("satisfaction"),
    }


def _service_row(row: dict) -> dict:
    row["mean_hours_to_confirm"] = _hours(row.pop("mean_time_to_confirm"))
    row["mean_hours_to_resolve"] = _hours(row.pop("mean_time_to_resolve"))
    row["mean_satisfaction"] = _round(row["mean_satisfaction"])
    return row


def service_statistics(*, user, period: Period = Period(), engineer_id: int | None = None) -> Report:
    """Per engineer and in total: open records by dispatch state, mean hours from dispatch to the
    engineer's confirmation and from opening to resolution, complaints, and mean satisfaction."""
    base = visible(user, ServiceRecord.objects.all(), Action.VIEW).filter(period.instant_q("created_at"))
    if engineer_id:
        base = base.filter(engineer_id=engineer_id)
    measures = _service_measures()
    rows = list(
        base.order_by().annotate(engineer_name=_rep_name("engineer__"))
        .values("engineer_id", "engineer__username", "engineer_name").annotate(**measures)
        .order_by("engineer_name", "engineer_id")
    )
    summary = _service_row(base.aggregate(**measures))
    for row in rows:
        _service_row(row)
    measure_columns = [("records", "records")] + [(f"open_{s}", f"open: {s}") for s in _OPEN_STATES] + [
        ("closed", "closed"), ("complaints", "complaints"), ("mean_hours_to_confirm", "mean hours to confirm"),
        ("mean_hours_to_resolve", "mean hours to resolve"), ("mean_satisfaction", "mean satisfaction"),
        ("rated", "rated"),
    ]
    return Report(
        name="service",
        params={**period.as_dict(), "engineer": engineer_id},
        columns=[("engineer__username", "engineer"), ("engineer_name", "engineer name")] + measure_columns,
        rows=rows,
        summary=summary,
    )


# --- (e) retention -----------------------------------------------------------------------------


def _ordered_within(date_from: dt.date, date_to: dt.date) -> Exists:
    """The customer (OuterRef) has a non-cancelled order signed (or, unsigned, created) in the dates."""
    start = timezone.make_aware(dt.datetime.combine(date_from, dt.time.min))
    end = timezone.make_aware(dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min))
    orders = Order.objects.filter(customer=OuterRef("pk")).exclude(status=OrderStatus.CANCELLED).filter(
        Q(signed_date__gte=date_from, signed_date__lte=date_to)
        | Q(signed_date__isnull=True, created_at__gte=start, created_at__lt=end)
    )
    return Exists(orders)


def retention(*, user, period: Period = Period(), owner_id: int | None = None) -> Report:
    """Per customer owner: customers that existed by the end of the period, new ones, active ones (an
    order in the period), retained ones (active in the period before and in this one), lost ones
    (active before, not now), and those marked lost during the period."""
    date_to = period.date_to or timezone.localdate()
    date_from = period.date_from or date_to - dt.timedelta(days=RETENTION_DEFAULT_DAYS - 1)
    period = Period(date_from, date_to)
    length = (date_to - date_from).days + 1
    previous = Period(date_from - dt.timedelta(days=length), date_from - dt.timedelta(days=1))
    base = visible(user, Customer.objects.all(), Action.VIEW).filter(created_at__lt=period.end)
    if owner_id:
        base = base.filter(owner_id=owner_id)
    flagged = base.order_by().annotate(
        ordered_now=_ordered_within(period.date_from, period.date_to),
        ordered_before=_ordered_within(previous.date_from, previous.date_to),
        rep_name=_rep_name("owner__"),
    )
    measures = {
        "customers": Count("id"),
        "new": Count("id", filter=period.instant_q("created_at")),
        "active": Count("id", filter=Q(ordered_now=True)),
        "active_before": Count("id", filter=Q(ordered_before=True)),
        "retained": Count("id", filter=Q(ordered_now=True, ordered_before=True)),
        "lost": Count("id", filter=Q(ordered_now=False, ordered_before=True)),
        "marked_lost": Count("id", filter=Q(status=CustomerStatus.LOST) & period.instant_q("updated_at")),
    }
    rows = list(
        flagged.values("owner_id", "owner__username", "rep_name").annotate(**measures)
        .annotate(retention_rate=_ratio(F("retained"), F("active_before")))
        .order_by("rep_name", "owner_id")
    )
    summary = flagged.aggregate(**measures)
    summary["retention_rate"] = _round(summary["retained"] / summary["active_before"], 4) \
        if summary["active_before"] else None
    for row in rows:
        row["retention_rate"] = _round(row["retention_rate"], 4)
    return Report(
        name="retention",
        params={**period.as_dict(), "previous_from": previous.date_from.isoformat(),
                "previous_to": previous.date_to.isoformat(), "owner": owner_id},
        columns=[("owner__username", "rep"), ("rep_name", "rep name"), ("customers", "customers"), ("new", "new"),
                 ("active", "active"), ("active_before", "active in previous period"), ("retained", "retained"),
                 ("lost", "lost"), ("marked_lost", "marked lost"), ("retention_rate", "retention rate")],
        rows=rows,
        summary=summary,
    )


REPORTS = {
    "funnel": sales_funnel,
    "won-lost": won_lost,
    "receivables": receivables,
    "service": service_statistics,
    "retention": retention,
}


def rows_for_csv(report: Report) -> list[list[Any]]:
    """The header and the rows in column order, ready for csv.writer."""
    keys = [key for key, _ in report.columns]
    return [[label for _, label in report.columns]] + [[row.get(key) for key in keys] for row in report.rows]

