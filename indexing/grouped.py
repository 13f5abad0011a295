"""The header's one search box: documents, customers, contacts, quotes, orders, opportunities and
knowledge articles that match, grouped, a few of each.

    grouped_lookup(user=..., q="机床", per_group=5)  ->  [Group(kind="documents", rows=[...]), ...]

Only what the user may see appears: documents and articles are found by the engine with its ACL
filter and re-checked against the database (indexing.selectors.search_documents,
indexing.articles.article_search); CRM rows are matched in the database, narrowed by the access
policy's `visible()` as a subquery. Quotes and orders are found by number, customers by name, short
name or code, contacts by name or e-mail, opportunities by title.

Cost: one engine query each for documents and articles, one SQL query per CRM group (LIMIT per_group),
from trigram indexes on PostgreSQL for a text of three characters or more (crm 0017).
Nothing here is audited: the suggestions show titles only; opening one, or the full search page, is.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q

from backend.access.policy import Action, visible
from backend.crm.models import Contact, Customer, Opportunity, Order, Quote
from indexing import query
from indexing.articles import article_search
from indexing.backends import InvalidSearch, SearchUnavailable
from indexing.selectors import search_documents

GROUPS = ("documents", "customers", "contacts", "quotes", "orders", "opportunities", "articles")
MAX_TEXT = 100


@dataclass(frozen=True)
class Row:
    kind: str  # one of GROUPS
    id: int
    label: str
    detail: str = ""
    customer_id: int | None = None  # where CRM rows are shown (the customer's page)


@dataclass
class Group:
    kind: str
    rows: list[Row] = field(default_factory=list)
    total: int | None = None  # documents and articles: how many matched in all
    unavailable: bool = False  # the engine could not answer


def _matching(text: str, *fields: str) -> Q:
    """Rows whose `fields` contain `text`, in any case.

    On PostgreSQL `icontains` is `UPPER(col) LIKE UPPER(...)`, answered by the trigram indexes of crm
    0017 for a text of three characters or more. A shorter text has no trigram, so the rows are read
    one by one; when it has no letter with a case (合同, 12) the plain `contains` reads them at half the
    cost and finds the same rows."""
    lookup = "contains" if len(text) < 3 and text.upper() == text.lower() else "icontains"
    q = Q()
    for name in fields:
        q |= Q(**{f"{name}__{lookup}": text})
    return q


def _joined(*parts) -> str:
    return " · ".join(str(part) for part in parts if part)


def _customers(user, text: str, limit: int) -> list[Row]:
    rows = (visible(user, Customer.objects.all(), Action.VIEW)
            .filter(_matching(text, "name", "code"))
            .order_by("name", "id")[:limit])
    return [Row("customers", c.pk, c.name, _joined(c.code, c.region), c.pk) for c in rows]


def _contacts(user, text: str, limit: int) -> list[Row]:
    rows = (visible(user, Contact.objects.all(), Action.VIEW)
            .filter(_matching(text, "name", "email"))
            .select_related("customer").order_by("name", "id")[:limit])
    return [Row("contacts", c.pk, c.name, _joined(c.title, c.customer.name), c.customer_id) for c in rows]


# A quote or order number is looked up from three characters on: one or two say nothing about a number
# (Q-2026-000123), and without a trigram to use, PostgreSQL would read every quote for them.
MIN_NUMBER_CHARS = 3


def _quotes(user, text: str, limit: int) -> list[Row]:
    if len(text) < MIN_NUMBER_CHARS:
        return []
    rows = (visible(user, Quote.objects.all(), Action.VIEW).filter(_matching(text, "number"))
            .select_related("customer").order_by("-id")[:limit])
    return [Row("quotes", q.pk, q.number, _joined(q.customer.name, q.get_status_display()), q.customer_id)
            for q in rows]


def _orders(user, text: str, limit: int) -> list[Row]:
    if len(text) < MIN_NUMBER_CHARS:
        return []
    rows = (visible(user, Order.objects.all(), Action.VIEW).filter(_matching(text, "number"))
            .select_related("customer").order_by("-id")[:limit])
    return [Row("orders", o.pk, o.number, _joined(o.customer.name, o.get_status_display()), o.customer_id)
            for o in rows]


def _opportunities(user, text: str, limit: int) -> list[Row]:
    rows = (visible(user, Opportunity.objects.all(), Action.VIEW).filter(_matching(text, "title"))
            .select_related("customer").order_by("-id")[:limit])
    return [Row("opportunities", o.pk, o.title, _joined(o.customer.name, o.get_stage_display()), o.customer_id)
            for o in rows]


def _documents(user, text: str, limit: int) -> Group:
    group = Group("documents")
    try:
        page = search_documents(user=user, q=text, page_size=limit, highlight_matches=False)
    except SearchUnavailable:
        group.unavailable = True
        return group
    group.total = page.total
    group.rows = [Row("documents", hit.version.document_id, hit.version.document.title,
                      _joined(hit.version.original_filename, f"v{hit.version.number}"))
                  for hit in page.results]
    return group


def _articles(user, text: str, limit: int) -> Group:
    group = Group("articles")
    try:
        page = article_search(user=user, q=text, page_size=limit)
    except SearchUnavailable:
        group.unavailable = True
        return group
    group.total = page.total
    group.rows = [Row("articles", hit.article.pk, hit.article.title,
                      hit.article.product.name if hit.article.product_id else "") for hit in page.results]
    return group


_CRM = {"customers": _customers, "contacts": _contacts, "quotes": _quotes, "orders": _orders,
        "opportunities": _opportunities}


def grouped_lookup(*, user, q: str, per_group: int = 5, kinds: tuple[str, ...] = GROUPS) -> list[Group]:
    """The groups of `kinds` that have rows, in GROUPS order. A query the search language cannot read
    still finds CRM rows by their text (the engines are then left out); an empty query finds nothing."""
    text = (q or "").strip()[:MAX_TEXT]
    if not text:
        return []
    try:
        query.parse(text)
        readable = True
    except query.QuerySyntaxError:
        readable = False
    groups: list[Group] = []
    for kind in (kind for kind in GROUPS if kind in kinds):
        if kind in _CRM:
            group = Group(kind, _CRM[kind](user, text, per_group))
        elif not readable:
            continue
        else:
            try:
                group = _documents(user, text, per_group) if kind == "documents" else _articles(user, text, per_group)
            except InvalidSearch:
                continue
        if group.rows or group.unavailable:
            groups.append(group)
    return groups
