"""The quote page and the quote editor (issue 15).

The page shows a quote under its number: customer, deal, owner, status, validity, lines, totals, its
revisions, its history, the file it was rendered to (linked when the user may see it), and while it is
open, its warnings as they stand. Opening it is an audited read
(`quote_view`). The editor drafts a new quote for a customer the user may change (the customer page's or
the deal page's "New quote" names it; otherwise the customer picker), or a new revision of an open quote
the user may change; its lines pick products from the catalogue (`/pick/product/`), and as the rep types,
`quote_preview_json` answers with each line's total, the quote's totals and the warnings (another rep's
open quote for the customer, a net price far from the last accepted one, a net price below the product's
floor). Every write is a service call (policy and audit inside it); a refusal shows by its field; a quote
the user may not see, or may not change when they ask to revise it, is a 404.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils import formats
from django.utils.dateparse import parse_date
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from backend.access.policy import Action
from backend.access.services import require
from backend.crm.models import OPEN_QUOTE_STATUSES, Currency
from backend.crm.selectors.customers import customer_get_visible
from backend.crm.selectors.opportunities import opportunity_get_visible
from backend.crm.selectors.quotes import quote_get_visible, quote_page
from backend.crm.services.quotes import (
    QuoteWarning,
    quote_create,
    quote_preview,
    quote_revise,
    quote_view,
    quote_warnings,
)
from backend.ui.errors import Refusal, field_errors_for, message_for
from backend.web.pages import int_or_none, staff_page
from backend.web.templatetags.dossier_ui import decimal_places, money

BLANK_ROWS = 3  # empty line rows a new editor offers (JavaScript adds more; without it, save and revise again)
LINE_FIELDS = ("product", "product_q", "quantity", "unit_price", "discount_percent", "description")


def warning_text(warning: QuoteWarning, currency: str) -> str:
    """A service warning as a sentence in the reader's language."""
    d = warning.details
    if warning.code == "other_rep_open_quote":
        return _("%(rep)s already has an open quote %(number)s for this customer. Coordinate before you quote.") % {
            "rep": d.get("owner", ""), "number": d.get("quote_number", "")}
    if warning.code == "price_deviation":
        return _("%(code)s: a net unit price of %(net)s differs by %(change)s%% from the last accepted price "
                 "%(last)s (quote %(number)s).") % {
            "code": d.get("product", ""), "net": money(d.get("new_net_unit_price"), currency),
            "change": d.get("change_percent", ""), "last": money(d.get("last_net_unit_price"), currency),
            "number": d.get("last_quote_number", "")}
    if warning.code == "below_floor":
        return _("%(code)s: a net unit price of %(net)s is below the floor price %(floor)s.") % {
            "code": d.get("product", ""), "net": money(d.get("new_net_unit_price"), d.get("currency", currency)),
            "floor": money(d.get("floor_price"), d.get("currency", currency))}
    return warning.message


# --- the posted editor ----------------------------------------------------------------------------


@dataclass
class EditorRow:
    """One line row as the editor shows it (what was posted, or a saved line), with its errors."""

    product: str = ""
    product_q: str = ""
    quantity: str = ""
    unit_price: str = ""
    discount_percent: str = ""
    description: str = ""
    errors: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class Editor:
    currency: str = Currency.CNY
    valid_until: str = ""
    notes: str = ""
    rows: list[EditorRow] = field(default_factory=list)
    errors: dict[str, list[str]] = field(default_factory=dict)
    message: str = ""

    def service_lines(self) -> list[dict]:
        """The filled rows as the services take them (a blank unit price: the product's list price)."""
        lines = []
        for row in self.rows:
            line = {"product": row.product or row.product_q.strip().lstrip("#"), "quantity": row.quantity,
                    "discount_percent": row.discount_percent or "0", "description": row.description}
            if row.unit_price.strip():
                line["unit_price"] = row.unit_price
            lines.append(line)
        return lines

    def add_errors(self, exc: Exception) -> None:
        fields = field_errors_for(exc)
        for key, texts in fields.items():
            parts = key.split(".")
            if parts[0] == "lines" and len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(self.rows):
                self.rows[int(parts[1])].errors.setdefault(parts[2], []).extend(texts)
            else:
                self.errors.setdefault(key, []).extend(texts)
        if not fields:
            self.message = message_for(exc)
        elif "lines" in fields or any(not k.startswith("lines.") for k in fields):
            self.message = message_for(exc)


def _posted_editor(post) -> Editor:
    columns = {name: post.getlist(f"line_{name}") for name in LINE_FIELDS}
    count = max((len(values) for values in columns.values()), default=0)
    rows = []
    for index in range(min(count, 500)):
        values = {name: (columns[name][index] if index < len(columns[name]) else "").strip()[:300]
                  for name in LINE_FIELDS}
        if not any(values[name] for name in ("product", "product_q", "quantity", "unit_price")):
            continue  # an empty row
        rows.append(EditorRow(**values))
    currency = post.get("currency", Currency.CNY)
    return Editor(currency=currency if currency in Currency.values else Currency.CNY,
                  valid_until=post.get("valid_until", "").strip(), notes=post.get("notes", "")[:5000], rows=rows)


def _valid_until(editor: Editor):
    if not editor.valid_until:
        return None
    day = None
    try:
        day = parse_date(editor.valid_until)
    except ValueError:
        pass
    if day is None:
        editor.errors.setdefault("valid_until", []).append(_("Enter a date."))
    return day


def _editor_of(quote) -> Editor:
    language = get_language()
    return Editor(
        currency=quote.currency,
        valid_until=quote.valid_until.isoformat() if quote.valid_until else "",
        notes=quote.notes,
        rows=[EditorRow(product=str(line.product_id), product_q=f"{line.product.code} {line.product.name_in(language)}",
                        quantity=f"{line.quantity.normalize():f}", unit_price=f"{line.unit_price:f}",
                        discount_percent=f"{line.discount_percent.normalize():f}", description=line.description)
              for line in quote.lines.all()],
    )


def _form_page(request, editor: Editor, *, customer, opportunity=None, quote=None, status: int = 200):
    rows = list(editor.rows) + [EditorRow() for _ in range(BLANK_ROWS if not editor.rows else 1)]
    return render(request, "web/quote_form.html", {
        "section": "customers",
        "editor": editor,
        "rows": rows,
        "customer": customer,
        "opportunity": opportunity if quote is None else quote.opportunity,
        "quote": quote,
        "currencies": Currency.choices,
    }, status=status)


def _picked_customer(request):
    """The customer a new quote is for: `customer` (the hidden field or the query string), else a number
    typed in the picker's box. None when none is given; a 404 when the user may not see it."""
    for value in (request.POST.get("customer"), request.POST.get("customer_q"), request.GET.get("customer")):
        customer_id = int_or_none(str(value or "").lstrip("#"))
        if customer_id:
            return customer_get_visible(user=request.user, customer_id=customer_id)
    return None


def _picked_opportunity(request, customer):
    opportunity_id = int_or_none(request.POST.get("opportunity") or request.GET.get("opportunity"))
    if opportunity_id is None:
        return None
    opportunity = opportunity_get_visible(user=request.user, opportunity_id=opportunity_id)
    return opportunity if customer is None or opportunity.customer_id == customer.pk else None


# --- the page -------------------------------------------------------------------------------------


def _open_quote_warnings(quote, lines) -> list[QuoteWarning]:
    """An open quote's warnings as they stand now, for its owner (another rep's open quote for the customer,
    prices far from the last accepted or below a floor); none for a closed quote."""
    if quote.status not in OPEN_QUOTE_STATUSES or not lines:
        return []
    return quote_warnings(actor=quote.owner, customer=quote.customer, exclude_quote_id=quote.pk,
                          currency=quote.currency, lines=[
                              {"product": line.product, "unit_price": line.unit_price,
                               "discount_percent": line.discount_percent} for line in lines])


def _history_row(event) -> dict:
    """One audit event of the quote as the page's history shows it: when, what, who, and for a status
    change the status it moved to."""
    from backend.audit.events import event_label
    from backend.crm.models import QuoteStatus

    detail = event.detail or {}
    note = ""
    if event.event_type == "crm.quote.status_changed" and detail.get("to") in QuoteStatus.values:
        note = QuoteStatus(detail["to"]).label
        if detail.get("superseded_by"):
            note = _("Superseded by %(number)s") % {"number": detail["superseded_by"]}
    elif event.event_type == "crm.quote.revised" and detail.get("revises"):
        note = _("replaces %(number)s") % {"number": detail["revises"]}
    return {"when": event.occurred_at, "what": event_label(event.event_type),
            "who": str(event.actor) if event.actor_id else "", "note": note}


@staff_page
@require_http_methods(["GET", "HEAD"])
def quote_detail(request, quote_id: int):
    quote = quote_view(actor=request.user, quote_id=quote_id)
    page = quote_page(user=request.user, quote=quote)
    lines = list(quote.lines.all())
    language = get_language()
    for line in lines:
        line.product_name = line.product.name_in(language)
        line.quantity_places = decimal_places(line.quantity)
        line.discount_places = decimal_places(line.discount_percent)
    gross = sum(((line.quantity * line.unit_price).quantize(Decimal("0.01")) for line in lines), Decimal("0.00"))
    return render(request, "web/quote.html", {
        "section": "customers",
        "quote": quote,
        "lines": lines,
        "gross": gross,
        "discount": gross - quote.total,
        "revisions": page.revisions,
        "history": [_history_row(event) for event in page.history],
        "warnings": [warning_text(w, quote.currency) for w in _open_quote_warnings(quote, lines)],
        "revisable": page.changeable and quote.status in OPEN_QUOTE_STATUSES,
        "changeable": page.changeable,
    })


# --- the editor ----------------------------------------------------------------------------------


@staff_page
@require_http_methods(["GET", "HEAD", "POST"])
def quote_new(request):
    """A new quote. With a customer named, only one the user may change (else a 404); without, the picker."""
    user = request.user
    customer = _picked_customer(request)
    if customer is not None:
        require(actor=user, action=Action.CHANGE, obj=customer)  # a 404, and the refusal in the trail
    opportunity = _picked_opportunity(request, customer)
    if customer is None and opportunity is not None:
        customer = opportunity.customer
        require(actor=user, action=Action.CHANGE, obj=customer)
    if request.method != "POST":
        return _form_page(request, Editor(currency=opportunity.currency if opportunity else Currency.CNY),
                          customer=customer, opportunity=opportunity)
    editor = _posted_editor(request.POST)
    valid_until = _valid_until(editor)
    if customer is None:
        editor.errors.setdefault("customer", []).append(_("Choose a customer."))
    if editor.errors:
        return _form_page(request, editor, customer=customer, opportunity=opportunity, status=400)
    with Refusal() as refusal:
        quote, _warnings = quote_create(actor=user, customer=customer, lines=editor.service_lines(),
                                       currency=editor.currency, valid_until=valid_until, opportunity=opportunity,
                                       notes=editor.notes)
    if refusal:
        editor.add_errors(refusal.error)
        return _form_page(request, editor, customer=customer, opportunity=opportunity, status=refusal.status)
    messages.success(request, _("Quote %(number)s is drafted.") % {"number": quote.number})
    return redirect("web:quote", quote.pk)


@staff_page
@require_http_methods(["GET", "HEAD", "POST"])
def quote_revision_new(request, quote_id: int):
    """A new revision of an open quote the user may change (else a 404); a closed one is refused."""
    user = request.user
    quote = quote_get_visible(user=user, quote_id=quote_id)
    require(actor=user, action=Action.CHANGE, obj=quote)  # seen but not changeable: a 404, recorded
    if request.method != "POST":
        editor = _editor_of(quote)
        if quote.status not in OPEN_QUOTE_STATUSES:
            editor.message = _("Quote %(number)s is %(status)s; only a draft or sent quote can be revised.") % {
                "number": quote.number, "status": quote.get_status_display()}
        return _form_page(request, editor, customer=quote.customer, quote=quote)
    editor = _posted_editor(request.POST)
    valid_until = _valid_until(editor)
    if editor.errors:
        return _form_page(request, editor, customer=quote.customer, quote=quote, status=400)
    with Refusal() as refusal:
        revised, _warnings = quote_revise(actor=user, quote=quote, lines=editor.service_lines(),
                                         currency=editor.currency, valid_until=valid_until, notes=editor.notes)
    if refusal:
        if refusal.status == 409:
            editor.message = _("Quote %(number)s is no longer open; only a draft or sent quote can be revised.") % {
                "number": quote.number}
        else:
            editor.add_errors(refusal.error)
        return _form_page(request, editor, customer=quote.customer, quote=quote, status=refusal.status)
    messages.success(request, _("Revision %(revision)s (%(number)s) is drafted; %(old)s is kept, superseded.") % {
        "revision": revised.revision, "number": revised.number, "old": quote.number})
    return redirect("web:quote", revised.pk)


@staff_page
@require_POST
def quote_preview_json(request):
    """The editor's live answer: each line's total and price used, the totals, and the warnings, for the
    posted form (nothing is saved). A customer or quote the user may not change is a 404."""
    user = request.user
    quote = None
    quote_id = int_or_none(request.POST.get("quote"))
    if quote_id:
        quote = quote_get_visible(user=user, quote_id=quote_id)
        customer = quote.customer
    else:
        customer = _picked_customer(request)
        if customer is None:
            return JsonResponse({"lines": [], "warnings": [], "message": _("Choose a customer.")})
    editor = _posted_editor(request.POST)
    preview = quote_preview(actor=user, customer=customer, lines=editor.service_lines(), currency=editor.currency,
                            quote=quote)
    currency = editor.currency
    language = get_language()
    lines = []
    for row, line in zip(editor.rows, preview.lines, strict=True):
        product = line.product
        lines.append({
            "product": None if product is None else {
                "id": product.pk, "code": product.code, "name": product.name_in(language),
                "list_price": str(product.list_price), "currency": product.currency,
                "floor_price": None if product.floor_price is None else str(product.floor_price)},
            "unit_price": None if line.unit_price is None else f"{line.unit_price:f}",
            "line_total": None if line.line_total is None else str(line.line_total),
            "line_total_display": "" if line.line_total is None else money(line.line_total, currency),
            "errors": {name: [_(text) for text in texts] for name, texts in line.errors.items()},
        })
    return JsonResponse({
        "lines": lines,
        "gross": str(preview.gross), "gross_display": money(preview.gross, currency),
        "discount": str(preview.discount), "discount_display": money(preview.discount, currency),
        "total": str(preview.total), "total_display": money(preview.total, currency),
        "warnings": [{"code": w.code, "message": warning_text(w, currency)} for w in preview.warnings],
        "count": formats.number_format(len([line for line in preview.lines if line.line_total is not None])),
    })
