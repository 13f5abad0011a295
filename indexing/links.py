"""CRM facts that search shows and filters on, per document.

    links_for_documents([1, 2]) -> {
        1: {
            "customer_ids": [7],                 # customers the document is linked to
            "customer_names": ["上海精工机械"],    # same order as customer_ids (searchable, facet labels)
            "opportunity_ids": [31],             # opportunities it is linked to (filter, facet)
            "amount": {"value": "128000.00", "currency": "CNY"},   # optional: shown with results
        },
    }

A document without links maps to an empty dict. One query whatever the number of ids (it is
called per indexed batch and once per result page): the links, the order totals and the quote
totals come back as rows of one shape (`fact_rows`) in a single UNION ALL, and a caller that
needs more facts of the same documents (the search page's tags) adds its own rows to the same
query with `fact_rows` and `links_from_rows`. Whatever changes these facts (linking, unlinking,
renaming a customer, attaching a quote document) calls
indexing.hooks.index_documents_changed(...) on commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.db.models import CharField, DateTimeField, DecimalField, IntegerField, QuerySet, Sum, Value
from django.db.models.functions import Cast, Coalesce

from backend.common.prepared import PreparedQuery
from backend.crm.models import MONEY, DocumentLink, Order, Quote

# The shared row: (kind, key, then these columns; a kind leaves the ones it lacks NULL). The key is
# the document id for every kind here.
FACT_COLUMNS: tuple[str, ...] = ("ident", "text", "a", "b", "amount", "at", "row")
_NULL_TYPES = {
    "ident": IntegerField(),
    "text": CharField(),
    "a": IntegerField(),
    "b": IntegerField(),
    "amount": DecimalField(**MONEY),
    "at": DateTimeField(),
    "row": IntegerField(),
}
_KIND, _DOCUMENT, _IDENT, _TEXT, _A, _B, _AMOUNT, _AT, _ROW = range(9)
_TOTAL = Coalesce(Sum("lines__line_total"), Value(Decimal("0")), output_field=DecimalField(**MONEY))


def fact_rows(queryset: QuerySet, kind: str, key: str, **columns: str) -> QuerySet:
    """`queryset` as rows of the shared shape, ready to be one part of a UNION ALL.

    `key` and each of `columns` (named as in FACT_COLUMNS) is a field path of the queryset.
    """
    unknown = set(columns) - set(FACT_COLUMNS)
    if unknown:
        raise ValueError(f"unknown fact columns {sorted(unknown)}")
    values = [Value(kind, output_field=CharField()), key]
    for name in FACT_COLUMNS:
        # A typed NULL: PostgreSQL resolves the parts of a UNION pairwise, and two untyped NULLs become text.
        values.append(columns[name] if name in columns else Cast(Value(None), _NULL_TYPES[name]))
    return queryset.order_by().values_list(*values)


def link_fact_queries(document_ids: Sequence[int]) -> list[QuerySet]:
    """The parts of the UNION ALL that hold these documents' links and amounts."""
    ids = list(document_ids)
    return [
        fact_rows(
            DocumentLink.objects.filter(document_id__in=ids), "link", "document_id",
            ident="customer_id", text="customer__name", a="opportunity_id", b="quote__opportunity_id",
            at="created_at", row="id",
        ),
        fact_rows(
            Order.objects.filter(contract_document_id__in=ids).annotate(total=_TOTAL), "order",
            "contract_document_id", ident="id", text="currency", amount="total", at="created_at",
        ),
        fact_rows(
            Quote.objects.filter(document_id__in=ids).annotate(total=_TOTAL), "quote", "document_id",
            ident="id", text="currency", amount="total", at="created_at",
        ),
    ]


def union_all(queries: Sequence[QuerySet]) -> list[tuple]:
    """Rows of every query, from one SQL statement."""
    return list(union_all_queryset(queries))


class PreparedUnion:
    """A UNION ALL of fact_rows parts, compiled by Django once and run again with other ids.

    Building and compiling eight ORM querysets costs several milliseconds of Python per search
    page, far more than the database spends on them. The SQL depends only on how many ids each
    group has, so `build(*groups)` is compiled once with placeholder ids (negative, never real
    primary keys) and later runs substitute the real ids (backend.common.prepared.PreparedQuery).
    """

    _PLACEHOLDER = -(2**40)

    def __init__(self, build, sizes: Sequence[int], using: str = "default"):
        groups, placeholders = [], {}
        for group, size in enumerate(sizes):
            ids = [self._PLACEHOLDER - 1_000_000 * group - index for index in range(size)]
            groups.append(ids)
            placeholders.update({value: (group, index) for index, value in enumerate(ids)})
        self._query = PreparedQuery(union_all_queryset(build(*groups)), placeholders, using=using,
                                    required=list(placeholders.values()))

    def rows(self, *groups: Sequence[int]) -> list[tuple]:
        return self._query.rows({(group, index): value for group, ids in enumerate(groups)
                                 for index, value in enumerate(ids)})


def union_all_queryset(queries: Sequence[QuerySet]) -> QuerySet:
    first, *rest = queries
    return first.union(*rest, all=True) if rest else first


def _append_unique(values: list, value) -> None:
    if value is not None and value not in values:
        values.append(value)


def links_from_rows(document_ids: Iterable[int], rows: Iterable[tuple]) -> dict[int, dict]:
    """The facts of these documents from the rows of link_fact_queries (other kinds are ignored)."""
    facts: dict[int, dict] = {int(document_id): {} for document_id in document_ids}
    links, latest = [], {}
    for row in rows:
        kind = row[_KIND]
        if kind == "link":
            links.append(row)
        elif kind in ("order", "quote"):
            key = (kind, row[_DOCUMENT])
            if key not in latest or (row[_AT], row[_IDENT]) > (latest[key][_AT], latest[key][_IDENT]):
                latest[key] = row
    # Customers in the order they were linked.
    links.sort(key=lambda row: (row[_DOCUMENT], row[_AT], row[_ROW]))
    for row in links:
        entry = facts[row[_DOCUMENT]]
        customers = entry.setdefault("customer_ids", [])
        names = entry.setdefault("customer_names", [])
        if row[_IDENT] not in customers:
            customers.append(row[_IDENT])
            names.append(row[_TEXT])
        opportunities = entry.setdefault("opportunity_ids", [])
        _append_unique(opportunities, row[_A])
        _append_unique(opportunities, row[_B])
    # The amount shown next to a quote document is its newest quote's total; a contract, its newest
    # order's total (a document that is both shows the quote's).
    for kind in ("order", "quote"):
        for (row_kind, document_id), row in latest.items():
            if row_kind == kind:
                facts[document_id]["amount"] = {"value": str(row[_AMOUNT]), "currency": row[_TEXT]}
    return facts


def links_for_documents(document_ids: Iterable[int]) -> dict[int, dict]:
    ids = [int(document_id) for document_id in document_ids]
    if not ids:
        return {}
    return links_from_rows(ids, union_all(link_fact_queries(ids)))
