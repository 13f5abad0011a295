"""Reads of quotes, and the sales rep's question: "what did we quote them before?"."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import DecimalField, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum, Value, Window
from django.db.models.functions import Coalesce, RowNumber

from backend.access.policy import Action, can, document_visibility_q, visible
from backend.common.errors import NotFound
from backend.common.query_fields import narrowed
from backend.crm.models import OPEN_QUOTE_STATUSES, Customer, Product, Quote, QuoteLine, QuoteStatus
from backend.documents.models import Document

HISTORY_LIMIT = 500


def net_unit_price(unit_price: Decimal, discount_percent: Decimal) -> Decimal:
    return (unit_price * (Decimal(100) - discount_percent) / Decimal(100)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )


def last_accepted_prices(*, customer: Customer, product_ids) -> dict[int, dict]:
    """Per product: the customer's most recent accepted quote line (one query: the accepted lines of those
    products ranked per product, the first of each kept)."""
    newest = Window(RowNumber(), partition_by=[F("product_id")],
                    order_by=[F("quote__decided_at").desc(), F("quote__created_at").desc(), F("id").desc()])
    rows = (
        QuoteLine.objects.filter(quote__customer=customer, quote__status=QuoteStatus.ACCEPTED,
                                 product_id__in=list(product_ids))
        .annotate(rank=newest).filter(rank=1)
        .values("product_id", "unit_price", "discount_percent", "quote__number", "quote__decided_at")
    )
    return {
        row["product_id"]: {
            "unit_price": row["unit_price"],
            "discount_percent": row["discount_percent"],
            "net_unit_price": net_unit_price(row["unit_price"], row["discount_percent"]),
            "quote_number": row["quote__number"],
            "decided_at": row["quote__decided_at"],
        }
        for row in rows
    }


def _last_accepted_among(lines) -> dict[int, dict]:
    """last_accepted_prices() computed from lines already read (with their quotes): per product, the accepted
    line ranked first by the quote's decision (newest first, an undecided one first, as PostgreSQL orders
    NULLs in a descending sort), then its creation, then the line's id."""
    newest: dict[int, QuoteLine] = {}

    def rank(line):
        decided = line.quote.decided_at
        return (decided is None, decided or line.quote.created_at, line.quote.created_at, line.pk)

    for line in lines:
        if line.quote.status != QuoteStatus.ACCEPTED:
            continue
        best = newest.get(line.product_id)
        if best is None or rank(line) > rank(best):
            newest[line.product_id] = line
    return {
        product: {
            "unit_price": line.unit_price,
            "discount_percent": line.discount_percent,
            "net_unit_price": net_unit_price(line.unit_price, line.discount_percent),
            "quote_number": line.quote.number,
            "decided_at": line.quote.decided_at,
        }
        for product, line in newest.items()
    }


def _with_total(queryset: QuerySet) -> QuerySet:
    return queryset.annotate(
        total=Coalesce(Sum("lines__line_total"), Value(Decimal("0")), output_field=DecimalField(max_digits=16,
                                                                                                 decimal_places=2))
    )


def quote_list_visible(*, user, customer_id: int | None = None, status: str = "",
                       owner_id: int | None = None) -> QuerySet:
    queryset = visible(user, Quote.objects.all(), Action.VIEW).select_related("customer", "owner", "opportunity")
    return _with_total(narrowed(queryset, customer_id=customer_id, status=status, owner_id=owner_id))


def open_quotes_owned_visible(*, user, limit: int) -> list[Quote]:
    """The user's own open quotes (draft, sent) that they may see, newest first, at most `limit`, each with its
    customer and `total` (home's "my open quotes").

    The total is summed per shown quote (a correlated sum PostgreSQL runs after the sort and limit), not by
    grouping every open quote's lines first: a rep with 400 open quotes made home sum 2,000 lines for 8 rows.
    """
    total = Subquery(
        QuoteLine.objects.filter(quote_id=OuterRef("pk")).order_by().values("quote_id")
        .annotate(sum=Sum("line_total")).values("sum")[:1]
    )
    money = DecimalField(max_digits=16, decimal_places=2)
    return list(
        visible(user, Quote.objects.filter(owner_id=user.pk, status__in=OPEN_QUOTE_STATUSES), Action.VIEW)
        .select_related("customer")
        .annotate(total=Coalesce(total, Value(Decimal("0")), output_field=money))
        .order_by("-created_at", "-id")[:limit]
    )


def quote_get_visible(*, user, quote_id: int, action: Action = Action.VIEW) -> Quote:
    quote = (
        _with_total(visible(user, Quote.objects.all(), action))
        .select_related("customer", "owner", "opportunity", "document", "document__valid_version")
        .prefetch_related(Prefetch("lines", queryset=QuoteLine.objects.select_related("product")))
        .filter(pk=quote_id)
        .first()
    )
    if quote is None:
        raise NotFound()
    quote.document_visible = quote.document_id is not None and Document.objects.filter(
        document_visibility_q(user, Action.VIEW), pk=quote.document_id
    ).exists()
    return quote


@dataclass(frozen=True)
class QuoteHistory:
    customer: Customer
    lines: list[QuoteLine]
    last_accepted: dict[int, dict]  # product id -> last accepted price details
    products: dict[int, Product]


# What the customer page shows of each history line (the API's history shows more): the line's figures, its
# product's code and name, its quote's number, date, rep, status, currency and valid document version.
_HISTORY_PAGE_FIELDS = (
    "product_id", "quantity", "unit_price", "discount_percent", "quote_id",
    "product__code", "product__name",
    "quote__number", "quote__created_at", "quote__decided_at", "quote__status", "quote__currency", "quote__owner_id",
    "quote__document_id", "quote__customer_id",
    "quote__owner__username", "quote__owner__display_name", "quote__owner__first_name", "quote__owner__last_name",
    "quote__document__valid_version_id", "quote__document__valid_version__number",
)


def history_lines_query(customer, *, for_page: bool = False) -> QuerySet:
    """A customer's quote lines, newest quote first, with the rows the history shows joined (`for_page`: only
    the customer page's columns). Not narrowed by any policy: the caller has shown the customer to the user."""
    lines = (
        QuoteLine.objects.filter(quote__customer=customer)
        .select_related("quote", "quote__owner", "product", "quote__document", "quote__document__valid_version")
        .order_by("-quote__created_at", "-quote_id", "id")
    )
    return lines.only(*_HISTORY_PAGE_FIELDS) if for_page else lines


def quote_history_for_customer(*, user, customer: Customer, product_id: int | None = None,
                               for_page: bool = False) -> QuoteHistory:
    """Every past quote line for a customer, newest first, with the last accepted price per product.

    Each line carries `document_downloadable`: whether the caller may download the quote document's
    valid version (the link is only shown then). A fixed number of queries whatever the history's length:
    the lines, which of their quotes' documents the caller may download (only when a quote has one), and the
    last accepted prices (only when the history is longer than HISTORY_LIMIT: otherwise every line is read
    already and they are found among them). The download question is a query of its own on purpose: asked as a
    correlated EXISTS inside the lines' five-table join, PostgreSQL spent ~10 ms planning the policy's subqueries on
    every page view (bench/pages.py, 100,000 documents), against ~1 ms asked alone.

    `for_page`: read only the columns the customer page shows (_HISTORY_PAGE_FIELDS): the five joined rows
    of each of up to 500 lines cost more to read and turn into objects than to find.
    """
    lines_qs = history_lines_query(customer, for_page=for_page)
    if product_id:
        lines_qs = lines_qs.filter(product_id=product_id)
    lines = list(lines_qs[:HISTORY_LIMIT])
    document_ids = {line.quote.document_id for line in lines if line.quote.document_id}
    downloadable = set(
        visible(user, Document.objects.filter(pk__in=document_ids), Action.DOWNLOAD).values_list("pk", flat=True)
    ) if document_ids else set()
    for line in lines:
        line.document_downloadable = line.quote.document_id in downloadable
    if len(lines) < HISTORY_LIMIT:
        # every line of the customer (of that product) is here: their last accepted prices too, without a query
        last = _last_accepted_among(lines)
    else:
        product_ids = {line.product_id for line in lines}
        if product_id:
            product_ids.add(product_id)
        last = last_accepted_prices(customer=customer, product_ids=product_ids)
    products = {line.product_id: line.product for line in lines}
    return QuoteHistory(customer=customer, lines=lines, last_accepted=last, products=products)




def open_quotes_of_other_reps(*, user, customer: Customer, limit: int = 10) -> list[Quote]:
    """The customer's open quotes (draft, sent) that other reps own and `user` may see, newest first: the
    customer page's "coordinate before you quote" warning (no totals: the warning does not show them)."""
    return list(open_quotes_of_other_reps_query(user=user, customer=customer, limit=limit))


def open_quotes_of_other_reps_query(*, user, customer, limit: int = 10) -> QuerySet:
    """open_quotes_of_other_reps's query (`customer`: the row or its id)."""
    return (visible(user, Quote.objects.filter(customer=customer, status__in=OPEN_QUOTE_STATUSES), Action.VIEW)
            .exclude(owner_id=user.pk).select_related("owner").order_by("-created_at", "-id")[:limit])


@dataclass(frozen=True)
class QuotePage:
    """What the quote page shows beside the quote: whether the user may change it (revise it), and every
    revision of its chain (oldest first, with totals; the quote itself among them)."""

    quote: Quote
    changeable: bool
    revisions: list[Quote]
    history: list  # the quote's own audit events (drafted, sent, decided, superseded, reassigned ...), oldest first


def quote_revisions(*, user, quote: Quote) -> list[Quote]:
    """The quotes of `quote`'s revision chain the user may see, oldest first, with their totals (one query)."""
    first_id = quote.original_id or quote.pk
    return list(
        _with_total(visible(user, Quote.objects.all(), Action.VIEW))
        .filter(Q(pk=first_id) | Q(original_id=first_id))
        .select_related("owner")
        .order_by("revision", "id")
    )


QUOTE_HISTORY_LIMIT = 100


def quote_history_events(*, quote: Quote) -> list:
    """What happened to this quote, from the audit trail, oldest first: its changes (drafted, revised, sent,
    accepted, superseded, its file attached, handed over), not who opened it. One query."""
    from backend.audit.selectors import audit_events_for_target

    return list(
        audit_events_for_target(target_type=Quote._meta.label_lower, target_id=str(quote.pk))
        .filter(event_type__startswith="crm.quote.")
        .exclude(event_type="crm.quote.viewed")
        .select_related("actor")[:QUOTE_HISTORY_LIMIT]
    )


def quote_page(*, user, quote: Quote) -> QuotePage:
    """The quote page's extras for a quote already read with quote_get_visible (or quote_view)."""
    return QuotePage(quote=quote, changeable=can(user, Action.CHANGE, quote),
                     revisions=quote_revisions(user=user, quote=quote), history=quote_history_events(quote=quote))
