"""Quotes: drafting with lines, the warnings a rep needs, and the status life cycle."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import asdict, dataclass
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from backend.access.policy import Action
from backend.access.services import require
from backend.audit import services as audit
from backend.common.errors import Conflict, InvalidInput
from backend.crm.models import (
    OPEN_QUOTE_STATUSES,
    Currency,
    Customer,
    Opportunity,
    Product,
    Quote,
    QuoteLine,
    QuoteStatus,
)
from backend.crm.selectors.quotes import last_accepted_prices, net_unit_price
from backend.crm.services.common import validated_lines
from backend.crm.services.opportunity_products import opportunity_products_add
from backend.documents.models import Document, DocumentKind

_TRANSITIONS: dict[str, tuple[str, ...]] = {
    QuoteStatus.DRAFT: (QuoteStatus.SENT, QuoteStatus.SUPERSEDED),
    QuoteStatus.SENT: (QuoteStatus.ACCEPTED, QuoteStatus.REJECTED, QuoteStatus.EXPIRED, QuoteStatus.SUPERSEDED),
}


@dataclass(frozen=True)
class QuoteWarning:
    code: str  # "other_rep_open_quote" or "price_deviation"
    message: str
    details: dict

    def as_dict(self) -> dict:
        return asdict(self)


def quote_warnings(*, actor, customer: Customer, lines: list[dict], exclude_quote_id: int | None = None,
                   currency: str | None = None) -> list[QuoteWarning]:
    """What a rep should know before sending this quote: another rep's open quote for the customer, a net
    price far from the last accepted one, a net price below the product's floor (when the quote is in the
    product's currency, or `currency` is not given)."""
    warnings: list[QuoteWarning] = []
    others = (
        Quote.objects.filter(customer=customer, status__in=OPEN_QUOTE_STATUSES)
        .exclude(owner=actor)
        .select_related("owner")
        .order_by("-created_at")
    )
    if exclude_quote_id:
        others = others.exclude(pk=exclude_quote_id)
    for other in others[:10]:
        warnings.append(
            QuoteWarning(
                "other_rep_open_quote",
                f"{other.owner} already has an open quote {other.number} ({other.get_status_display().lower()}) "
                f"for {customer.name}, created {timezone.localtime(other.created_at):%Y-%m-%d}.",
                {"quote_number": other.number, "owner": str(other.owner), "owner_id": other.owner_id,
                 "status": other.status},
            )
        )
    threshold = Decimal(settings.QUOTE_PRICE_DEVIATION_PERCENT)
    previous = last_accepted_prices(customer=customer, product_ids={line["product"].pk for line in lines})
    for line in lines:
        last = previous.get(line["product"].pk)
        if not last or not last["net_unit_price"]:
            continue
        new_net = net_unit_price(line["unit_price"], line["discount_percent"])
        change = ((new_net - last["net_unit_price"]) / last["net_unit_price"] * 100).quantize(Decimal("0.1"))
        if abs(change) > threshold:
            warnings.append(
                QuoteWarning(
                    "price_deviation",
                    f"{line['product'].code}: net unit price {new_net} differs by {change:+}% from the last accepted "
                    f"price {last['net_unit_price']} (quote {last['quote_number']}).",
                    {"product_id": line["product"].pk, "product": line["product"].code, "new_net_unit_price":
                     str(new_net), "last_net_unit_price": str(last["net_unit_price"]),
                     "last_quote_number": last["quote_number"], "change_percent": str(change),
                     "threshold_percent": str(threshold)},
                )
            )
    for line in lines:
        product = line["product"]
        if product.floor_price is None or (currency and product.currency != currency):
            continue
        new_net = net_unit_price(line["unit_price"], line["discount_percent"])
        if new_net < product.floor_price:
            warnings.append(
                QuoteWarning(
                    "below_floor",
                    f"{product.code}: net unit price {new_net} is below the floor price {product.floor_price} "
                    f"{product.currency}.",
                    {"product_id": product.pk, "product": product.code, "new_net_unit_price": str(new_net),
                     "floor_price": str(product.floor_price), "currency": product.currency},
                )
            )
    return warnings


def _product_lookup(product_ref):
    """An active product by id (or a Product), or by its exact code (what a page without JavaScript posts)."""
    if isinstance(product_ref, Product):
        return product_ref
    try:
        return Product.objects.filter(pk=int(product_ref), active=True).first()
    except (TypeError, ValueError):
        code = str(product_ref or "").strip()
        return Product.objects.filter(code=code, active=True).first() if code else None


def quote_create(
    *,
    actor,
    customer: Customer,
    lines: list[dict],
    currency: str = Currency.CNY,
    valid_until: dt.date | None = None,
    opportunity: Opportunity | None = None,
    notes: str = "",
    number: str | None = None,
) -> tuple[Quote, list[QuoteWarning]]:
    """Draft a quote. Totals are computed from the lines. Returns the quote and its warnings."""
    require(actor=actor, action=Action.CHANGE, obj=customer)
    if currency not in Currency.values:
        raise InvalidInput("Unknown currency.", fields={"currency": [f"Choose one of: {', '.join(Currency.values)}."]})
    if opportunity is not None and opportunity.customer_id != customer.pk:
        raise InvalidInput("The opportunity belongs to another customer.",
                           fields={"opportunity": ["Pick an opportunity of this customer."]})
    cleaned = validated_lines(lines, product_lookup=_lookup_for(lines))
    warnings = quote_warnings(actor=actor, customer=customer, lines=cleaned, currency=currency)
    number = (number or "").strip() or None
    if number and Quote.objects.filter(number=number).exists():
        raise Conflict(f"Quote number {number} is taken.", reason="duplicate_number")
    now = timezone.now()
    try:
        with transaction.atomic():
            quote = Quote.objects.create(
                customer=customer, opportunity=opportunity, number=number or f"tmp-{uuid.uuid4().hex}",
                owner=actor, currency=currency, valid_until=valid_until, notes=notes, created_at=now,
            )
            if number is None:
                quote.number = f"Q-{timezone.localtime(now):%Y}-{quote.pk:06d}"
                quote.save(update_fields=["number"])
            QuoteLine.objects.bulk_create(QuoteLine(quote=quote, **line) for line in cleaned)
            opportunity_products_add(opportunity_id=quote.opportunity_id,
                                     product_ids=(line["product"].pk for line in cleaned))
            total = sum((line["line_total"] for line in cleaned), Decimal("0"))
            audit.record(
                "crm.quote.created", actor=actor, target=quote, customer_id=customer.pk,
                detail={"number": quote.number, "lines": len(cleaned), "total": str(total), "currency": currency,
                        "warnings": [w.code for w in warnings]},
            )
    except IntegrityError:
        raise Conflict(f"Quote number {number} is taken.", reason="duplicate_number") from None
    return quote, warnings


def quote_status_change(*, actor, quote: Quote, status: str) -> Quote:
    require(actor=actor, action=Action.CHANGE, obj=quote)
    if status not in QuoteStatus.values:
        raise InvalidInput("Unknown status.", fields={"status": [f"Choose one of: {', '.join(QuoteStatus.values)}."]})
    with transaction.atomic():
        locked = Quote.objects.select_for_update().get(pk=quote.pk)
        allowed = _TRANSITIONS.get(locked.status, ())
        if status not in allowed:
            nexts = ", ".join(allowed) or "nothing (it is final)"
            raise InvalidInput(
                f"A {locked.get_status_display().lower()} quote can move to {nexts}, not {status}.",
                fields={"status": [f"Allowed next: {nexts}."]},
            )
        previous = locked.status
        now = timezone.now()
        locked.status = status
        if status == QuoteStatus.SENT:
            locked.sent_at = now
        else:
            locked.decided_at = now
        locked.save(update_fields=["status", "sent_at", "decided_at"])
        audit.record("crm.quote.status_changed", actor=actor, target=locked, customer_id=locked.customer_id,
                     detail={"number": locked.number, "from": previous, "to": status})
    return locked


def quote_attach_document(*, actor, quote: Quote, document: Document) -> Quote:
    """Attach the document a quote was rendered to (a document of kind quote), and link it to the quote."""
    from backend.crm.services.links import document_link_create

    require(actor=actor, action=Action.CHANGE, obj=quote)
    require(actor=actor, action=Action.CHANGE, obj=document)
    if document.kind != DocumentKind.QUOTE:
        raise InvalidInput("Attach a document of kind quote.", fields={"document": ["This is not a quote document."]})
    with transaction.atomic():
        locked = Quote.objects.select_for_update().get(pk=quote.pk)
        locked.document = document
        locked.save(update_fields=["document"])
        document_link_create(actor=actor, document=document, target=locked)
        audit.record("crm.quote.document_attached", actor=actor, target=locked, customer_id=locked.customer_id,
                     detail={"number": locked.number, "document_id": document.pk})
    return locked


def quote_view(*, actor, quote_id: int) -> Quote:
    """A quote opened by staff (its lines and prices), as quote_get_visible returns it: an audited read
    (`crm.quote.viewed`)."""
    from backend.crm.selectors.quotes import quote_get_visible

    quote = quote_get_visible(user=actor, quote_id=quote_id)
    audit.record("crm.quote.viewed", actor=actor, target=quote, customer_id=quote.customer_id,
                 detail={"number": quote.number})
    return quote


# --- the editor: live totals and warnings, and revisions ------------------------------------------


def _lookup_for(lines):
    """The product lookup for a quote's lines (one query for all of them)."""
    rows = lines[:500] if isinstance(lines, (list, tuple)) else []
    return _products_prefetched([line.get("product") if isinstance(line, dict) else None for line in rows])


def _products_prefetched(refs):
    """_product_lookup for many lines at once: every active product they name, by id or code, in one query."""
    ids, codes = set(), set()
    for ref in refs:
        try:
            ids.add(int(ref))
        except (TypeError, ValueError):
            if str(ref or "").strip():
                codes.add(str(ref).strip())
    rows = list(Product.objects.filter(Q(pk__in=ids) | Q(code__in=codes), active=True)) if ids or codes else []
    by_id = {product.pk: product for product in rows}
    by_code = {product.code: product for product in rows}

    def lookup(ref):
        if isinstance(ref, Product):
            return ref
        try:
            return by_id.get(int(ref))
        except (TypeError, ValueError):
            return by_code.get(str(ref or "").strip())

    return lookup


@dataclass(frozen=True)
class PreviewLine:
    product: Product | None
    unit_price: Decimal | None  # the price used (the list price when none was typed)
    net_unit_price: Decimal | None
    line_total: Decimal | None
    errors: dict[str, list[str]]  # field -> messages (the service's English; the page translates)


@dataclass(frozen=True)
class QuotePreview:
    lines: list[PreviewLine]
    gross: Decimal  # quantity x unit price, before discounts
    total: Decimal
    warnings: list[QuoteWarning]

    @property
    def discount(self) -> Decimal:
        return self.gross - self.total


def quote_preview(*, actor, customer: Customer, lines: list[dict], currency: str = Currency.CNY,
                  quote: Quote | None = None) -> QuotePreview:
    """What the editor shows while the rep types: each line checked on its own (a wrong line does not hide
    the others' totals), the totals of the lines that are right, and the warnings quote_create (or
    quote_revise, when `quote` is the one being revised) would give for them. Writes nothing."""
    require(actor=actor, action=Action.CHANGE, obj=quote if quote is not None else customer)
    if currency not in Currency.values:
        currency = Currency.CNY
    lines = [line if isinstance(line, dict) else {} for line in lines[:500]]
    lookup = _products_prefetched([line.get("product") for line in lines])
    checked: list[PreviewLine] = []
    cleaned: list[dict] = []
    for line in lines:
        try:
            good = validated_lines([line], product_lookup=lookup)[0]
        except InvalidInput as error:
            fields = {key.removeprefix("lines.0.").removeprefix("lines.0"): texts
                      for key, texts in (error.extra.get("fields") or {}).items()}
            product = lookup(line.get("product"))
            checked.append(PreviewLine(product, product.list_price if product and "unit_price" not in line else None,
                                       None, None, fields))
            continue
        cleaned.append(good)
        checked.append(PreviewLine(good["product"], good["unit_price"],
                                   net_unit_price(good["unit_price"], good["discount_percent"]),
                                   good["line_total"], {}))
    # another rep's open quote is worth knowing before the first line is typed
    warnings = quote_warnings(actor=actor, customer=customer, lines=cleaned, currency=currency,
                              exclude_quote_id=quote.pk if quote is not None else None)
    gross = sum(((line["quantity"] * line["unit_price"]).quantize(Decimal("0.01")) for line in cleaned),
                Decimal("0.00"))
    total = sum((line["line_total"] for line in cleaned), Decimal("0.00"))
    return QuotePreview(lines=checked, gross=gross, total=total, warnings=warnings)


def quote_revise(
    *,
    actor,
    quote: Quote,
    lines: list[dict],
    currency: str | None = None,
    valid_until: dt.date | None = None,
    notes: str | None = None,
) -> tuple[Quote, list[QuoteWarning]]:
    """A new revision of an open (draft or sent) quote: a new quote with its own lines, numbered after the
    chain's first quote ("Q-2026-000123-R2"), for the same customer, deal and owner. The quote it replaces
    is kept with its lines and history, superseded. One transaction; both changes audited."""
    require(actor=actor, action=Action.CHANGE, obj=quote)
    currency = currency or quote.currency
    if currency not in Currency.values:
        raise InvalidInput("Unknown currency.", fields={"currency": [f"Choose one of: {', '.join(Currency.values)}."]})
    cleaned = validated_lines(lines, product_lookup=_lookup_for(lines))
    with transaction.atomic():
        locked = Quote.objects.select_for_update().get(pk=quote.pk)
        if locked.status not in OPEN_QUOTE_STATUSES:
            raise Conflict(
                f"Quote {locked.number} is {locked.get_status_display().lower()}; only a draft or sent quote "
                f"can be revised.", reason="quote_not_open")
        first = locked.original or locked
        latest = (Quote.objects.filter(Q(pk=first.pk) | Q(original_id=first.pk))
                  .order_by("-revision").values_list("revision", flat=True).first())
        revision = (latest or 1) + 1
        number = f"{first.number}-R{revision}"
        if Quote.objects.filter(number=number).exists():
            raise Conflict(f"Quote number {number} is taken.", reason="duplicate_number")
        warnings = quote_warnings(actor=actor, customer=locked.customer, lines=cleaned, currency=currency,
                                  exclude_quote_id=locked.pk)
        now = timezone.now()
        revised = Quote.objects.create(
            customer_id=locked.customer_id, opportunity_id=locked.opportunity_id, number=number,
            owner_id=locked.owner_id, currency=currency,
            valid_until=valid_until if valid_until is not None else locked.valid_until,
            notes=notes if notes is not None else locked.notes, created_at=now,
            original=first, revision=revision,
        )
        QuoteLine.objects.bulk_create(QuoteLine(quote=revised, **line) for line in cleaned)
        opportunity_products_add(opportunity_id=revised.opportunity_id,
                                 product_ids=(line["product"].pk for line in cleaned))
        previous = locked.status
        locked.status = QuoteStatus.SUPERSEDED
        locked.decided_at = now
        locked.save(update_fields=["status", "decided_at"])
        audit.record("crm.quote.status_changed", actor=actor, target=locked, customer_id=locked.customer_id,
                     detail={"number": locked.number, "from": previous, "to": QuoteStatus.SUPERSEDED,
                             "superseded_by": revised.number})
        total = sum((line["line_total"] for line in cleaned), Decimal("0"))
        audit.record(
            "crm.quote.revised", actor=actor, target=revised, customer_id=revised.customer_id,
            detail={"number": revised.number, "revises": locked.number, "revision": revision,
                    "lines": len(cleaned), "total": str(total), "currency": currency,
                    "warnings": [w.code for w in warnings]},
        )
    return revised, warnings
