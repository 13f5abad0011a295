"""The order page, issuing invoices and recording payments on it, and the new-order form (issue 15).

The page shows an order under its number: customer, the quote it came from, lines, totals, its invoices
(issued and due dates, paid, unpaid, overdue) and payments, and the order's paid / outstanding / overdue
figures as the selectors compute them for every list and report. Opening it is an audited read
(`order_view`). Whoever may change the order issues invoices and records payments from the page; a refusal
(more than is left to invoice, more than is outstanding, a cancelled order) shows next to its field.

A new order comes from an accepted quote (the quote page's "Make an order", or the quote picker here) or is
written by hand for a customer the user may change. Every write is a service call (policy and audit inside
it); an order or quote the user may not see, or may not change when they act on it, is a 404.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from backend.access.policy import Action, can
from backend.access.services import require
from backend.common.file_response import file_response
from backend.crm.models import Currency, OrderStatus, QuoteStatus
from backend.crm.selectors.customers import customer_get_visible
from backend.crm.selectors.orders import invoice_get_for_order, order_get_visible, orders_of_quote_visible
from backend.crm.selectors.quotes import quote_get_visible
from backend.crm.services.invoice_pdf import invoice_pdf_download
from backend.crm.services.orders import (
    invoice_issue,
    order_create,
    order_status_change,
    order_view,
    payment_record,
)
from backend.ui.errors import Refusal, field_errors_for, message_for, show_on_form
from backend.web.pages import int_or_none, staff_page
from backend.web.templatetags.dossier_ui import decimal_places, money

DATE_WIDGET = {"type": "date"}
BLANK_ROWS = 3  # line rows a new order by hand offers
LINE_FIELDS = ("product", "product_q", "quantity", "unit_price", "discount_percent", "description")


def _amount_field(label):
    return forms.DecimalField(label=label, min_value=Decimal("0.01"), max_digits=16, decimal_places=2,
                              error_messages={"required": gettext_lazy("Enter an amount."),
                                              "invalid": gettext_lazy("Enter a number."),
                                              "min_value": gettext_lazy("The amount must be more than zero."),
                                              "max_digits": gettext_lazy("The amount is too large."),
                                              "max_decimal_places": gettext_lazy("At most two decimal places."),
                                              "max_whole_digits": gettext_lazy("The amount is too large.")})


def _date_field(label, *, required=False):
    return forms.DateField(label=label, required=required, widget=forms.DateInput(attrs=DATE_WIDGET, format="%Y-%m-%d"),
                           error_messages={"invalid": gettext_lazy("Enter a date."),
                                           "required": gettext_lazy("Enter a date.")})


class ServiceErrorsMixin:
    def add_service_errors(self, exc: Exception, translated: dict[str, str]) -> None:
        """The service's refusal by its field; `translated` holds sentences this page words itself."""
        show_on_form(self, exc, worded=translated)


class InvoiceForm(ServiceErrorsMixin, forms.Form):
    amount = _amount_field(gettext_lazy("Amount"))
    issued_on = _date_field(gettext_lazy("Issued on"))
    due_on = _date_field(gettext_lazy("Due on"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["issued_on"].help_text = gettext_lazy("Today when left empty.")
        self.fields["due_on"].help_text = gettext_lazy("30 days after the issue date when left empty.")
        for name, form_field in self.fields.items():
            form_field.widget.attrs.setdefault("id", f"invoice-{name}")

    def clean(self):
        data = super().clean()
        issued, due = data.get("issued_on"), data.get("due_on")
        if due and due < (issued or timezone.localdate()):
            self.add_error("due_on", _("The due date must not be before the issue date."))
        return data


class PaymentForm(ServiceErrorsMixin, forms.Form):
    amount = _amount_field(gettext_lazy("Amount"))
    received_on = _date_field(gettext_lazy("Received on"))
    invoice = forms.TypedChoiceField(label=gettext_lazy("Against invoice"), required=False, coerce=int,
                                     empty_value=None)
    reference = forms.CharField(label=gettext_lazy("Reference"), required=False, max_length=100,
                                help_text=gettext_lazy("The bank's reference or a cheque number."))
    is_prepayment = forms.BooleanField(label=gettext_lazy("This is a prepayment (it may exceed what is owed)"),
                                       required=False)

    def __init__(self, *args, invoices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["received_on"].help_text = gettext_lazy("Today when left empty.")
        self.fields["invoice"].choices = [("", _("No particular invoice"))] + [
            (invoice.pk, invoice.number) for invoice in invoices]
        for name, form_field in self.fields.items():
            form_field.widget.attrs.setdefault("id", f"payment-{name}")


def _refusal_sentences(exc: Exception, order) -> dict[str, str]:
    """The order services' refusals that carry figures, worded in the reader's language."""
    extra = getattr(exc, "extra", {}) or {}
    currency = order.currency
    if order.status == "cancelled":
        return {"amount": _("The order is cancelled; nothing more can be invoiced or paid on it.")}
    if "remaining" in extra:
        return {"amount": _("Only %(remaining)s of the order total %(total)s is not invoiced yet.") % {
            "remaining": money(extra["remaining"], currency), "total": money(order.total, currency)}}
    if "outstanding" in extra:
        outstanding = max(Decimal(extra["outstanding"]), Decimal(0))
        return {"amount": _("The payment is more than the outstanding %(amount)s; tick prepayment if that is "
                            "intended.") % {"amount": money(outstanding, currency)}}
    if "unpaid" in extra:
        unpaid = max(Decimal(extra["unpaid"]), Decimal(0))
        return {"amount": _("The payment is more than the unpaid %(amount)s of this invoice; tick prepayment if "
                            "that is intended.") % {"amount": money(unpaid, currency)}}
    return {}


# --- the page ---------------------------------------------------------------------------------------


def _order_page(request, order, *, invoice_form=None, payment_form=None, status: int = 200):
    user = request.user
    may_change = can(user, Action.CHANGE, order)
    changeable = may_change and order.status != OrderStatus.CANCELLED
    today = timezone.localdate()
    lines = list(order.lines.all())
    language = get_language()
    for line in lines:
        line.product_name = line.product.name_in(language)
        line.quantity_places = decimal_places(line.quantity)
        line.discount_places = decimal_places(line.discount_percent)
    invoices = list(order.invoices.all())
    left_to_invoice = max(order.total - order.invoiced, Decimal("0.00"))
    if changeable and invoice_form is None:
        invoice_form = InvoiceForm(initial={"amount": left_to_invoice or None, "issued_on": today})
    if changeable and payment_form is None:
        unpaid = [invoice for invoice in invoices if invoice.unpaid > 0]
        suggested = unpaid[0].unpaid if unpaid else max(order.outstanding, Decimal("0.00"))
        payment_form = PaymentForm(invoices=invoices, initial={
            "amount": suggested or None, "received_on": today, "invoice": unpaid[0].pk if unpaid else None})
    gross = sum(((line.quantity * line.unit_price).quantize(Decimal("0.01")) for line in lines), Decimal("0.00"))
    return render(request, "web/order.html", {
        "section": "customers",
        "order": order,
        "quote_visible": order.quote_id is not None and can(user, Action.VIEW, order.quote),
        "contract_visible": order.contract_document_id is not None and can(user, Action.VIEW, order.contract_document),
        "lines": lines,
        "gross": gross,
        "discount": gross - order.total,
        "invoices": invoices,
        "payments": list(order.payments.all()),
        "left_to_invoice": left_to_invoice,
        "changeable": changeable,
        "status_changeable": may_change and order.status == OrderStatus.OPEN,
        "cancellable": not invoices and not order.paid,
        "invoice_form": invoice_form,
        "payment_form": payment_form,
    }, status=status)


@staff_page
@require_http_methods(["GET", "HEAD"])
def order_detail(request, order_id: int):
    order = order_view(actor=request.user, order_id=order_id)
    return _order_page(request, order)


@staff_page
@require_http_methods(["GET", "HEAD"])
def order_invoice_pdf(request, order_id: int, invoice_id: int):
    """An invoice of an order the user sees, as a PDF in the page's language (an audited read)."""
    order = order_get_visible(user=request.user, order_id=order_id)
    pdf = invoice_pdf_download(actor=request.user, order=order, invoice_id=invoice_id, language=get_language())
    return file_response([pdf.content], content_type="application/pdf", filename=pdf.filename,
                         length=len(pdf.content))


def _changeable_order(request, order_id: int):
    order = order_get_visible(user=request.user, order_id=order_id)
    require(actor=request.user, action=Action.CHANGE, obj=order)  # seen but not changeable: a 404, recorded
    return order


@staff_page
@require_POST
def order_invoice_issue(request, order_id: int):
    order = _changeable_order(request, order_id)
    form = InvoiceForm(request.POST)
    if not form.is_valid():
        return _order_page(request, order, invoice_form=form, status=400)
    data = form.cleaned_data
    with Refusal() as refusal:
        invoice = invoice_issue(actor=request.user, order=order, amount=data["amount"], issued_on=data["issued_on"],
                                due_on=data["due_on"])
    if refusal:
        form.add_service_errors(refusal.error, _refusal_sentences(refusal.error, order))
        return _order_page(request, order, invoice_form=form, status=refusal.status)
    messages.success(request, _("Invoice %(number)s for %(amount)s is issued, due on %(due)s.") % {
        "number": invoice.number, "amount": money(invoice.amount, order.currency),
        "due": _date_text(invoice.due_on)})
    return redirect(reverse("web:order", args=[order.pk]) + "#invoices")


@staff_page
@require_POST
def order_payment_record(request, order_id: int):
    order = _changeable_order(request, order_id)
    invoices = list(order.invoices.all())
    form = PaymentForm(request.POST, invoices=invoices)
    if not form.is_valid():
        return _order_page(request, order, payment_form=form, status=400)
    data = form.cleaned_data
    with Refusal() as refusal:
        invoice = invoice_get_for_order(order=order, invoice_id=data["invoice"]) if data["invoice"] else None
        payment = payment_record(actor=request.user, order=order, amount=data["amount"],
                                 received_on=data["received_on"], invoice=invoice, reference=data["reference"],
                                 is_prepayment=data["is_prepayment"])
    if refusal:
        form.add_service_errors(refusal.error, _refusal_sentences(refusal.error, order))
        return _order_page(request, order, payment_form=form, status=refusal.status)
    messages.success(request, _("A payment of %(amount)s received on %(day)s is recorded.") % {
        "amount": money(payment.amount, order.currency), "day": _date_text(payment.received_on)})
    return redirect(reverse("web:order", args=[order.pk]) + "#payments")


def _date_text(day) -> str:
    return formats.date_format(day, "DATE_FORMAT")


# --- a new order: from an accepted quote, or by hand ------------------------------------------------


@dataclass
class LineRow:
    """One line row of an order written by hand, as posted, with its errors."""

    product: str = ""
    product_q: str = ""
    quantity: str = ""
    unit_price: str = ""
    discount_percent: str = ""
    description: str = ""
    errors: dict[str, list[str]] = field(default_factory=dict)

    def service_line(self) -> dict:
        line = {"product": self.product or self.product_q.strip().lstrip("#"), "quantity": self.quantity,
                "discount_percent": self.discount_percent or "0", "description": self.description}
        if self.unit_price.strip():
            line["unit_price"] = self.unit_price
        return line


class OrderForm(forms.Form):
    """The order's own fields; the customer, quote and lines come from their pickers and rows."""

    currency = forms.ChoiceField(label=gettext_lazy("Currency"), choices=Currency.choices, required=False)
    number = forms.CharField(label=gettext_lazy("Order number"), required=False, max_length=40,
                             help_text=gettext_lazy("Leave empty to number it automatically."))
    signed_date = _date_field(gettext_lazy("Signed on"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, form_field in self.fields.items():
            form_field.widget.attrs.setdefault("id", f"order-{name}")


def _posted_rows(post) -> list[LineRow]:
    columns = {name: post.getlist(f"line_{name}") for name in LINE_FIELDS}
    count = max((len(values) for values in columns.values()), default=0)
    rows = []
    for index in range(min(count, 500)):
        values = {name: (columns[name][index] if index < len(columns[name]) else "").strip()[:300]
                  for name in LINE_FIELDS}
        if any(values[name] for name in ("product", "product_q", "quantity", "unit_price")):
            rows.append(LineRow(**values))
    return rows


def _picked(request, name: str) -> int | None:
    for value in (request.POST.get(name), request.POST.get(f"{name}_q"), request.GET.get(name),
                  request.GET.get(f"{name}_q")):
        picked = int_or_none(str(value or "").strip().lstrip("#"))
        if picked:
            return picked
    return None


def _quote_summary(quote):
    language = get_language()
    lines = list(quote.lines.select_related("product").all())
    for line in lines:
        line.product_name = line.product.name_in(language)
        line.quantity_places = decimal_places(line.quantity)
        line.discount_places = decimal_places(line.discount_percent)
    return lines


def _new_order_page(request, form, *, quote=None, customer=None, rows=(), errors=None, message="", status=200):
    shown_rows = list(rows) + [LineRow() for _ in range(BLANK_ROWS if not rows else 1)]
    return render(request, "web/order_form.html", {
        "section": "customers",
        "form": form,
        "quote": quote,
        "quote_lines": _quote_summary(quote) if quote is not None else [],
        "customer": customer if quote is None else quote.customer,
        "rows": shown_rows,
        "errors": errors or {},
        "message": message,
        "not_accepted": quote is not None and quote.status != QuoteStatus.ACCEPTED,
        "earlier_orders": orders_of_quote_visible(user=request.user, quote=quote) if quote is not None else [],
    }, status=status)


def _not_accepted_text(quote) -> str:
    return _("Quote %(number)s is %(status)s; only an accepted quote can become an order.") % {
        "number": quote.number, "status": quote.get_status_display()}


def _service_errors(exc: Exception, form, rows: list[LineRow], errors: dict) -> str:
    """Spread a refusal over the order's fields, the line rows and the page; the page's sentence."""
    fields = field_errors_for(exc)
    for key, texts in fields.items():
        parts = key.split(".")
        if parts[0] == "lines" and len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(rows):
            rows[int(parts[1])].errors.setdefault(parts[2], []).extend(texts)
        elif key == "number":
            form.add_error("number", _("Order number %(number)s is taken.") % {"number": form.cleaned_data["number"]})
        elif key in form.fields:
            for text in texts:
                form.add_error(key, text)
        else:
            errors.setdefault(key, []).extend(texts)
    return message_for(exc) if not fields or "lines" in fields else ""


@staff_page
@require_http_methods(["GET", "HEAD", "POST"])
def order_new(request):
    """A new order. From an accepted quote (`quote`: its customer, currency and lines), or by hand for a
    customer (`customer`) with lines; either only when the user may change the customer (else a 404)."""
    user = request.user
    quote_id = _picked(request, "quote")
    quote = customer = None
    if quote_id is not None:
        quote = quote_get_visible(user=user, quote_id=quote_id)
        customer = quote.customer
    else:
        customer_id = _picked(request, "customer")
        if customer_id is not None:
            customer = customer_get_visible(user=user, customer_id=customer_id)
    if customer is not None:
        require(actor=user, action=Action.CHANGE, obj=customer)  # a 404, and the refusal in the trail
    if request.method != "POST":
        form = OrderForm(initial={"currency": quote.currency if quote else Currency.CNY,
                                  "signed_date": timezone.localdate()})
        message = _not_accepted_text(quote) if quote is not None and quote.status != QuoteStatus.ACCEPTED else ""
        return _new_order_page(request, form, quote=quote, customer=customer, message=message)
    form = OrderForm(request.POST)
    rows = [] if quote is not None else _posted_rows(request.POST)
    errors: dict[str, list[str]] = {}
    if quote is None and customer is None:
        errors["customer"] = [_("Choose a customer, or an accepted quote.")]
    if quote is not None and quote.status != QuoteStatus.ACCEPTED:
        errors["quote"] = [_not_accepted_text(quote)]
    if not form.is_valid() or errors:
        return _new_order_page(request, form, quote=quote, customer=customer, rows=rows, errors=errors, status=400)
    data = form.cleaned_data
    currency = quote.currency if quote is not None else (data["currency"] or Currency.CNY)
    with Refusal() as refusal:
        order = order_create(actor=user, customer=customer, quote=quote, currency=currency, number=data["number"],
                             signed_date=data["signed_date"],
                             lines=None if quote is not None else [row.service_line() for row in rows])
    if refusal:
        message = _service_errors(refusal.error, form, rows, errors)
        return _new_order_page(request, form, quote=quote, customer=customer, rows=rows, errors=errors,
                               message=message, status=refusal.status)
    messages.success(request, _("Order %(number)s is recorded.") % {"number": order.number})
    return redirect("web:order", order.pk)


# --- fulfilled or cancelled -------------------------------------------------------------------------


@staff_page
@require_POST
def order_status(request, order_id: int):
    """open → fulfilled or cancelled (an order with invoices or payments is not cancelled); final after."""
    order = _changeable_order(request, order_id)
    status = request.POST.get("status", "")
    with Refusal() as refusal:
        changed = order_status_change(actor=request.user, order=order, status=status,
                                      note=" ".join(request.POST.get("note", "").split())[:300])
    if refusal:
        if order.status == OrderStatus.OPEN and status == OrderStatus.CANCELLED and (order.invoiced or order.paid):
            messages.error(request, _("Order %(number)s has invoices or payments, so it cannot be cancelled.") % {
                "number": order.number})
        else:
            messages.error(request, _("Order %(number)s is %(status)s and can no longer change.") % {
                "number": order.number, "status": order.get_status_display()})
    else:
        messages.success(request, _("Order %(number)s is now %(status)s.") % {
            "number": changed.number, "status": changed.get_status_display()})
    return redirect("web:order", order.pk)
