"""Orders, the invoices issued against them and the payments received.

Every function checks access with the policy, validates everything before it writes, and writes
its rows and the audit event in one transaction. Money is Decimal rounded to cents, in the
order's currency; totals come from the lines, never from the caller.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from backend.access.policy import Action, can
from backend.access.services import require
from backend.audit import services as audit
from backend.common.errors import Conflict, InvalidInput
from backend.crm.models import (
    Currency,
    Customer,
    Invoice,
    Order,
    OrderLine,
    OrderStatus,
    Payment,
    Product,
    Quote,
    QuoteStatus,
)
from backend.crm.services.common import CENT, money, validated_lines
from backend.crm.services.links import document_link_create
from backend.crm.services.order_balances import balance_of, order_balance_update
from backend.crm.services.receivable_rollups import order_receivable_due_part, receivable_due_move
from backend.crm.services.report_rollups import (
    order_receivable_part,
    order_sales_by_product,
    receivable_add,
    rollup_add,
)
from backend.documents.models import Document

# Where an order may go from each status. Fulfilled and cancelled are final.
ORDER_TRANSITIONS: dict[str, tuple[str, ...]] = {
    OrderStatus.OPEN: (OrderStatus.FULFILLED, OrderStatus.CANCELLED),
    OrderStatus.FULFILLED: (),
    OrderStatus.CANCELLED: (),
}
INVOICE_TERMS_DAYS = 30


def _zero() -> Decimal:
    return Decimal("0.00")


def _product_lookup(lines) -> Callable[[object], Product | None]:
    """One query for every product the lines name, by id or by exact code (what a page without JavaScript
    posts); unknown or malformed references look up as None."""
    ids, codes = set(), set()
    for line in lines or ():
        value = line.get("product") if isinstance(line, dict) else None
        if isinstance(value, Product):
            ids.add(value.pk)
        else:
            try:
                ids.add(int(value))
            except (TypeError, ValueError):
                if isinstance(value, str) and value.strip():
                    codes.add(value.strip())
    products = Product.objects.in_bulk(ids)
    by_code = {product.code: product for product in Product.objects.filter(code__in=codes)} if codes else {}

    def lookup(value):
        if isinstance(value, Product):
            return products.get(value.pk)
        try:
            return products.get(int(value))
        except (TypeError, ValueError):
            return by_code.get(value.strip()) if isinstance(value, str) else None

    return lookup


def _lines_from_quote(quote: Quote) -> list[dict]:
    return [
        {
            "product": line.product_id,
            "description": line.description,
            "quantity": line.quantity,
            "unit_price": line.unit_price,
            "discount_percent": line.discount_percent,
        }
        for line in quote.lines.all()
    ]


def _check_quote(*, actor, quote: Quote, customer: Customer, currency: str, errors: dict) -> None:
    # A quote the actor may not see reads exactly like one that does not exist.
    if not can(actor, Action.VIEW, quote):
        errors["quote"] = ["No such quote."]
        return
    if quote.customer_id != customer.pk:
        errors["quote"] = ["The quote belongs to another customer."]
    elif quote.status != QuoteStatus.ACCEPTED:
        errors["quote"] = [f"Only an accepted quote can become an order; this one is {quote.status}."]
    elif quote.currency != currency:
        errors["currency"] = [f"The quote is in {quote.currency}; the order must use the same currency."]


def _number_taken(number: str, what: str = "Order") -> Conflict:
    return Conflict(f"{what} number {number} is taken.", reason="duplicate_number",
                    fields={"number": [f"{what} number {number} is taken."]})


def _order_number() -> str:
    return f"SO-{timezone.localdate():%Y}-{uuid.uuid4().hex[:8].upper()}"


def order_create(
    *,
    actor,
    customer: Customer,
    lines: list[dict] | None,
    currency: str = Currency.CNY,
    number: str | None = None,
    signed_date: dt.date | None = None,
    quote: Quote | None = None,
    contract_document: Document | None = None,
) -> Order:
    """Record a signed order for `customer`.

    Lines are [{product, quantity, unit_price, discount_percent, description}]; with a quote and no
    lines, the accepted quote's lines are copied. The contract document, when given, is linked to
    the order so that whoever may see the order's customer finds it.
    """
    require(actor=actor, action=Action.CHANGE, obj=customer)
    errors: dict[str, list[str]] = {}
    if currency not in Currency.values:
        errors["currency"] = [f"Choose one of: {', '.join(Currency.values)}."]
    number = (number or "").strip() or None
    if quote is not None:
        _check_quote(actor=actor, quote=quote, customer=customer, currency=currency, errors=errors)
    if contract_document is not None:
        # Linking lets the customer's owner and team see the document, so it takes change access
        # (the rule of document_link_create); a document the actor cannot see reads as missing.
        if not can(actor, Action.VIEW, contract_document):
            errors["contract_document"] = ["No such document."]
        elif not can(actor, Action.CHANGE, contract_document):
            errors["contract_document"] = [
                "You may read this document but not link it to an order; ask its owner to attach it."]
    if errors:
        raise InvalidInput("The order is invalid.", fields=errors)
    if number is not None and Order.objects.filter(number=number).exists():
        raise _number_taken(number)
    if not lines and quote is not None:
        lines = _lines_from_quote(quote)
    cleaned = validated_lines(lines, product_lookup=_product_lookup(lines))
    total = sum((line["line_total"] for line in cleaned), _zero())
    now = timezone.now()
    try:
        with transaction.atomic():
            order = Order.objects.create(
                customer=customer, number=number or _order_number(), owner=actor, quote=quote,
                currency=currency, signed_date=signed_date, contract_document=contract_document, created_at=now,
                **balance_of(total, [], []).fields(),  # nothing invoiced or paid yet
            )
            OrderLine.objects.bulk_create([OrderLine(order=order, **line) for line in cleaned])
            receivable_add(order=order, before=None, after=order_receivable_part(order))
            if cleaned:
                rollup_add(day=signed_date, rep_id=actor.pk, currency=currency, customer_id=customer.pk,
                           products=order_sales_by_product(cleaned), sales=total, orders=1)
            if contract_document is not None:
                document_link_create(actor=actor, document=contract_document, target=order)
            audit.record("crm.order.created", actor=actor, target=order, customer_id=customer.pk, detail={
                "number": order.number, "currency": currency, "total": str(total), "lines": len(cleaned),
                "quote": quote.number if quote else None,
                "contract_document": contract_document.pk if contract_document else None,
            })
    except IntegrityError:
        if number is not None and Order.objects.filter(number=number).exists():
            raise _number_taken(number) from None
        raise
    return order


def order_status_change(*, actor, order: Order, status: str, note: str = "") -> Order:
    """open → fulfilled or cancelled. An order with invoices or payments cannot be cancelled."""
    require(actor=actor, action=Action.CHANGE, obj=order)
    if status not in OrderStatus.values:
        raise InvalidInput("Unknown order status.",
                           fields={"status": [f"Choose one of: {', '.join(OrderStatus.values)}."]})
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        allowed = ORDER_TRANSITIONS[locked.status]
        if status not in allowed:
            nexts = " or ".join(allowed) if allowed else "nothing (it is final)"
            message = f"The order is {locked.status}; it can go to {nexts}."
            raise InvalidInput(message, fields={"status": [message]}, current=locked.status, allowed=list(allowed))
        if status == OrderStatus.CANCELLED and (locked.invoices.exists() or locked.payments.exists()):
            message = "The order has invoices or payments and cannot be cancelled."
            raise InvalidInput(message, fields={"status": [message]})
        previous = locked.status
        locked.status = status
        locked.save(update_fields=["status"])
        if status == OrderStatus.CANCELLED:  # out of the receivables
            receivable_add(order=locked, before=order_receivable_part(locked), after=None)
            receivable_due_move(order=locked, before=order_receivable_due_part(locked), after=None)
        if status == OrderStatus.CANCELLED:  # out of the sales it was counted in (when it has lines)
            products = order_sales_by_product(OrderLine.objects.filter(order=locked).only("product_id", "line_total"))
            if products:
                rollup_add(day=locked.signed_date, rep_id=locked.owner_id, currency=locked.currency,
                           customer_id=locked.customer_id, products={p: -v for p, v in products.items()},
                           sales=-sum(products.values(), _zero()), orders=-1)
        audit.record("crm.order.status_changed", actor=actor, target=locked, customer_id=locked.customer_id,
                     detail={"from": previous, "to": status, "note": note})
    return locked


def _sum(queryset, field: str = "amount") -> Decimal:
    return (queryset.aggregate(s=Sum(field))["s"] or _zero()).quantize(CENT)


def _order_total(order: Order) -> Decimal:
    return _sum(OrderLine.objects.filter(order=order), "line_total")


def _require_billable(order: Order, field: str) -> None:
    if order.status == OrderStatus.CANCELLED:
        message = "The order is cancelled."
        raise InvalidInput(message, fields={field: [message]})


def invoice_issue(
    *,
    actor,
    order: Order,
    amount,
    issued_on: dt.date | None = None,
    due_on: dt.date | None = None,
    number: str | None = None,
) -> Invoice:
    """Invoice part or all of an order. The total invoiced never exceeds the order total."""
    require(actor=actor, action=Action.CHANGE, obj=order)
    amount = money(amount, field="amount", allow_zero=False)
    issued_on = issued_on or timezone.localdate()
    due_on = due_on or issued_on + dt.timedelta(days=INVOICE_TERMS_DAYS)
    if due_on < issued_on:
        raise InvalidInput("The due date is before the issue date.",
                           fields={"due_on": ["The due date must not be before the issue date."]})
    number = (number or "").strip() or None
    with transaction.atomic():
        # The row lock serialises invoices and payments of one order, so the checks below hold.
        locked = Order.objects.select_for_update().get(pk=order.pk)
        _require_billable(locked, "amount")
        total = _order_total(locked)
        invoiced = _sum(Invoice.objects.filter(order=locked))
        if invoiced + amount > total:
            message = (f"Only {total - invoiced} {locked.currency} of the order total {total} is not invoiced yet.")
            raise InvalidInput(message, fields={"amount": [message]}, remaining=str(total - invoiced))
        if number is None:
            sequence = Invoice.objects.filter(order=locked).count() + 1
            number = f"INV-{locked.number}-{sequence}"
            if len(number) > 40:
                number = f"INV-{locked.pk}-{sequence}"
        if Invoice.objects.filter(number=number).exists():
            raise _number_taken(number, "Invoice")
        invoice = Invoice.objects.create(order=locked, number=number, amount=amount, issued_on=issued_on,
                                         due_on=due_on, created_at=timezone.now())
        order_balance_update(order=locked)
        rollup_add(day=issued_on, rep_id=locked.owner_id, currency=locked.currency, customer_id=locked.customer_id,
                   invoiced=amount)
        audit.record("crm.invoice.issued", actor=actor, target=locked, customer_id=locked.customer_id, detail={
            "invoice": invoice.number, "amount": str(amount), "currency": locked.currency,
            "issued_on": issued_on.isoformat(), "due_on": due_on.isoformat(),
        })
    return invoice


def payment_record(
    *,
    actor,
    order: Order,
    amount,
    received_on: dt.date | None = None,
    invoice: Invoice | None = None,
    reference: str = "",
    is_prepayment: bool = False,
) -> Payment:
    """Record money received against an order (and optionally one of its invoices).

    More than the outstanding amount (order total − paid), or more than the invoice's unpaid part,
    is refused unless the payment is flagged as a prepayment.
    """
    require(actor=actor, action=Action.CHANGE, obj=order)
    amount = money(amount, field="amount", allow_zero=False)
    received_on = received_on or timezone.localdate()
    if invoice is not None and invoice.order_id != order.pk:
        raise InvalidInput("The invoice belongs to another order.",
                           fields={"invoice": ["The invoice belongs to another order."]})
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        _require_billable(locked, "amount")
        if not is_prepayment:
            outstanding = _order_total(locked) - _sum(Payment.objects.filter(order=locked))
            if amount > outstanding:
                message = (f"The payment is more than the outstanding {max(outstanding, _zero())} "
                           f"{locked.currency}; record it as a prepayment if that is intended.")
                raise InvalidInput(message, fields={"amount": [message]}, outstanding=str(outstanding))
            if invoice is not None:
                unpaid = invoice.amount - _sum(Payment.objects.filter(invoice=invoice))
                if amount > unpaid:
                    message = (f"The payment is more than the unpaid {max(unpaid, _zero())} {locked.currency} "
                               f"of invoice {invoice.number}; record it as a prepayment if that is intended.")
                    raise InvalidInput(message, fields={"amount": [message]}, unpaid=str(unpaid))
        payment = Payment.objects.create(
            order=locked, invoice=invoice, amount=amount, received_on=received_on, reference=reference.strip(),
            is_prepayment=is_prepayment, recorded_by=actor, created_at=timezone.now(),
        )
        order_balance_update(order=locked)
        rollup_add(day=received_on, rep_id=locked.owner_id, currency=locked.currency, customer_id=locked.customer_id,
                   collected=amount)
        audit.record("crm.payment.recorded", actor=actor, target=locked, customer_id=locked.customer_id, detail={
            "payment": payment.pk, "amount": str(amount), "currency": locked.currency,
            "received_on": received_on.isoformat(), "invoice": invoice.number if invoice else None,
            "is_prepayment": is_prepayment, "reference": payment.reference,
        })
    return payment


def order_viewed_in_portal(*, actor, order: Order) -> None:
    """A customer opened one of their orders in the portal (recorded with the customer)."""
    audit.record("portal.order.viewed", actor=actor, target=order, customer_id=order.customer_id,
                 detail={"number": order.number})


def order_view(*, actor, order_id: int) -> Order:
    """An order opened by staff (lines, invoices, payments), as order_get_visible returns it: an audited read
    (`crm.order.viewed`)."""
    from backend.crm.selectors.orders import order_get_visible

    order = order_get_visible(user=actor, order_id=order_id)
    audit.record("crm.order.viewed", actor=actor, target=order, customer_id=order.customer_id,
                 detail={"number": order.number})
    return order
