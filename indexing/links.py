"""CRM facts that search shows and filters on, per document.

    links_for_documents([1, 2]) -> {
        1: {
            "customer_ids": [7],                 # customers the document is linked to
            "customer_names": ["上海精工机械"],    # same order as customer_ids (searchable, facet labels)
            "opportunity_ids": [31],             # opportunities it is linked to (filter, facet)
            "amount": {"value": "128000.00", "currency": "CNY"},   # optional: shown with results
        },
    }

A document without links maps to an empty dict. A fixed number of queries whatever the number of
ids (it is called per indexed batch and once per result page). Whatever changes these facts
(linking, unlinking, renaming a customer, attaching a quote document) calls
indexing.services.index_documents_changed(...) on commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.db.models import DecimalField, Sum, Value
from django.db.models.functions import Coalesce

from backend.crm.models import DocumentLink, Order, Quote


def _append_unique(values: list, value) -> None:
    if value is not None and value not in values:
        values.append(value)


def links_for_documents(document_ids: Iterable[int]) -> dict[int, dict]:
    ids = [int(document_id) for document_id in document_ids]
    facts: dict[int, dict] = {document_id: {} for document_id in ids}
    if not ids:
        return facts

    links = (
        DocumentLink.objects.filter(document_id__in=ids)
        .order_by("document_id", "created_at", "id")
        .values_list("document_id", "customer_id", "customer__name", "opportunity_id", "quote__opportunity_id")
    )
    for document_id, customer_id, customer_name, opportunity_id, quote_opportunity_id in links:
        entry = facts[document_id]
        customers = entry.setdefault("customer_ids", [])
        names = entry.setdefault("customer_names", [])
        if customer_id not in customers:
            customers.append(customer_id)
            names.append(customer_name)
        opportunities = entry.setdefault("opportunity_ids", [])
        _append_unique(opportunities, opportunity_id)
        _append_unique(opportunities, quote_opportunity_id)

    money = DecimalField(max_digits=16, decimal_places=2)
    total = Coalesce(Sum("lines__line_total"), Value(Decimal("0")), output_field=money)
    # The amount shown next to a quote document is its quote's total; a contract, its order's total.
    for model, field in ((Order, "contract_document_id"), (Quote, "document_id")):
        rows = (
            model.objects.filter(**{f"{field}__in": ids})
            .annotate(total=total)
            .order_by(field, "-created_at")
            .values_list(field, "total", "currency")
        )
        seen: set[int] = set()
        for document_id, value, currency in rows:
            if document_id in seen:
                continue
            seen.add(document_id)
            facts[document_id]["amount"] = {"value": str(value), "currency": currency}
    return facts
