"""Reads of orders and their receivables.

The money figures are computed by the database, per order, with correlated subqueries:

    total            sum of the order lines
    paid             sum of the payments
    invoiced         sum of the invoices
    outstanding      total − paid (negative when a prepayment exceeds the total)
    invoiced_unpaid  invoiced − paid, never below zero
    overdue          the unpaid part of invoices whose due date has passed: their amount minus the
                     payments made against them or against no invoice in particular (those pay the
                     oldest debt first), never below zero and never more than invoiced_unpaid

Reports aggregate these same annotations, so a list, a detail page and a report always agree.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import django_filters
from django.db.models import (
    BooleanField,
    DecimalField,
    ExpressionWrapper,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Greatest, Least
from django.utils import timezone

from backend.access.policy import Action, visible
from backend.common.errors import InvalidInput, NotFound
from backend.common.query_fields import IdFilter, filtered
from backend.crm.models import MONEY, Invoice, Order, OrderLine, OrderStatus, Payment

MONEY_FIELD = DecimalField(**MONEY)
ZERO = Value(Decimal("0.00"), output_field=MONEY_FIELD)


def _summed(queryset: QuerySet, group: str, field: str) -> Coalesce:
    """COALESCE((SELECT SUM(field) FROM ... WHERE <correlated> GROUP BY group), 0)."""
    inner = queryset.order_by().values(group).annotate(s=Sum(field)).values("s")
    return Coalesce(Subquery(inner, output_field=MONEY_FIELD), ZERO, output_field=MONEY_FIELD)


def as_money(expression) -> ExpressionWrapper:
    """`expression` typed as a money amount (the CRM's decimal field)."""
    return ExpressionWrapper(expression, output_field=MONEY_FIELD)


def receivable_annotations(*, prefix: str = "", today: dt.date | None = None) -> dict[str, Any]:
    """Annotations for an Order queryset (prefix "") or one reached through a relation.

    Apply them in order (a dict keeps it): the later ones refer to the earlier ones.
    """
    today = today or timezone.localdate()
    order_ref = OuterRef(f"{prefix}pk")
    past_due_invoices = Invoice.objects.filter(order=order_ref, due_on__lt=today)
    paid_toward_due = Payment.objects.filter(order=order_ref).filter(
        Q(invoice__isnull=True) | Q(invoice__due_on__lt=today)
    )
    return {
        "total": _summed(OrderLine.objects.filter(order=order_ref), "order", "line_total"),
        "paid": _summed(Payment.objects.filter(order=order_ref), "order", "amount"),
        "invoiced": _summed(Invoice.objects.filter(order=order_ref), "order", "amount"),
        "past_due_invoiced": _summed(past_due_invoices, "order", "amount"),
        "paid_toward_due": _summed(paid_toward_due, "order", "amount"),
        "outstanding": as_money(F("total") - F("paid")),
        "invoiced_unpaid": as_money(Greatest(F("invoiced") - F("paid"), ZERO)),
        "overdue": as_money(
            Least(Greatest(F("past_due_invoiced") - F("paid_toward_due"), ZERO), Greatest(F("invoiced") - F("paid"),
                                                                                           ZERO))
        ),
    }


def with_receivables(queryset: QuerySet, *, today: dt.date | None = None) -> QuerySet:
    return queryset.annotate(**receivable_annotations(today=today))


class OrderFilter(django_filters.FilterSet):
    customer = IdFilter(field_name="customer_id")
    owner = IdFilter(field_name="owner_id")
    status = django_filters.ChoiceFilter(choices=OrderStatus.choices)
    q = django_filters.CharFilter(field_name="number", lookup_expr="icontains", label="Number contains")

    class Meta:
        model = Order
        fields = ["customer", "owner", "status", "q"]


def order_list_visible(*, user, filters: dict[str, Any] | None = None) -> QuerySet[Order]:
    """Orders `user` may see, with their receivable figures, newest first."""
    queryset = visible(user, Order.objects.all(), Action.VIEW)
    queryset = filtered(queryset, OrderFilter, filters)
    return with_receivables(queryset.select_related("customer", "owner")).order_by("-created_at", "-id")


def invoices_with_payments(*, today: dt.date | None = None) -> QuerySet[Invoice]:
    """Invoices with what was paid against each, what is unpaid, and whether that is overdue (unpaid past
    its due date): the staff order page and the portal flag the same invoices."""
    today = today or timezone.localdate()
    return Invoice.objects.annotate(
        paid=_summed(Payment.objects.filter(invoice=OuterRef("pk")), "invoice", "amount"),
    ).annotate(unpaid=as_money(Greatest(F("amount") - F("paid"), ZERO))).annotate(
        is_overdue=ExpressionWrapper(Q(unpaid__gt=0, due_on__lt=today), output_field=BooleanField()),
    ).order_by("issued_on", "id")


def order_get_visible(*, user, order_id: int, action: Action = Action.VIEW) -> Order:
    """One order with lines, invoices, payments and receivables; NotFound if missing or not visible."""
    order = (
        with_receivables(visible(user, Order.objects.all(), action))
        .select_related("customer", "owner", "quote")
        .prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.select_related("product").order_by("id")),
            Prefetch("invoices", queryset=invoices_with_payments()),
            Prefetch("payments", queryset=Payment.objects.select_related("recorded_by", "invoice")
                     .order_by("received_on", "id")),
        )
        .filter(pk=order_id)
        .first()
    )
    if order is None:
        raise NotFound()
    return order


def invoice_get_for_order(*, order: Order, invoice_id) -> Invoice:
    """An invoice of `order` (the caller already sees the order); 400 naming the field otherwise."""
    invoice = Invoice.objects.filter(pk=invoice_id, order=order).first() if str(invoice_id).isdigit() else None
    if invoice is None:
        raise InvalidInput("No such invoice on this order.", fields={"invoice": ["No such invoice on this order."]})
    return invoice


def order_choices_visible(*, user, limit: int = 200) -> list[tuple[int, str]]:
    """(id, number) of the newest orders `user` may see, for a picker."""
    return list(visible(user, Order.objects.all(), Action.VIEW).order_by("-created_at", "-id")
                .values_list("pk", "number")[:limit])


def orders_of_quote_visible(*, user, quote) -> list[Order]:
    """The orders already made from `quote` that `user` may see, oldest first (so a second one is not made
    by mistake)."""
    return list(visible(user, Order.objects.filter(quote=quote), Action.VIEW).order_by("created_at", "id"))
