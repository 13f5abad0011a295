"""Reads of service records."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import django_filters
from django.db.models import Count, Prefetch, Q, QuerySet

from backend.access.policy import Action, visible
from backend.common.errors import NotFound
from backend.common.query_fields import IdFilter, filtered
from backend.crm.models import (
    DispatchState,
    KnowledgeArticle,
    Priority,
    Product,
    ServiceAttachment,
    ServiceNote,
    ServiceRecord,
    ServiceType,
)


class ServiceRecordFilter(django_filters.FilterSet):
    # a column of the record itself cannot repeat a row: no DISTINCT (django-filter's default), which made
    # PostgreSQL sort every record of a state before the LIMIT (bench/pages.py: the service desk, 10,000 records)
    dispatch_state = django_filters.MultipleChoiceFilter(choices=DispatchState.choices, distinct=False)
    customer = IdFilter(field_name="customer_id")
    engineer = IdFilter(field_name="engineer_id")
    type = django_filters.ChoiceFilter(choices=ServiceType.choices)
    priority = django_filters.ChoiceFilter(choices=Priority.choices)

    class Meta:
        model = ServiceRecord
        fields = ["dispatch_state", "customer", "engineer", "type", "priority"]


def _rendered(queryset: QuerySet) -> QuerySet:
    return queryset.select_related("customer", "product", "engineer", "created_by")


def service_record_list_visible(*, user, filters: dict[str, Any] | None = None) -> QuerySet[ServiceRecord]:
    """Service records `user` may see, newest first."""
    queryset = visible(user, ServiceRecord.objects.all(), Action.VIEW)
    queryset = filtered(queryset, ServiceRecordFilter, filters)
    return _rendered(queryset).order_by("-created_at", "-id")


def service_record_get_visible(*, user, record_id: int, action: Action = Action.VIEW) -> ServiceRecord:
    record = (
        _rendered(visible(user, ServiceRecord.objects.all(), action))
        .prefetch_related(Prefetch("articles", queryset=visible(user, KnowledgeArticle.objects.all(), Action.VIEW)
                                   .only("id", "title", "status", "source_service_record_id")))
        .filter(pk=record_id)
        .first()
    )
    if record is None:
        raise NotFound()
    return record


def service_record_thread(*, user, record: ServiceRecord) -> dict[str, list]:
    """The notes and attachments of a record that `user` may see (a customer: only what is meant for them)."""
    notes = list(visible(user, ServiceNote.objects.filter(record=record)).select_related("author")
                 .order_by("created_at", "id"))
    attachments = list(visible(user, ServiceAttachment.objects.filter(record=record)).select_related("uploaded_by")
                       .order_by("created_at", "id"))
    return {"notes": notes, "attachments": attachments}


# --- dispatch: the candidate engineers' workload and experience ---------------------------------------

OPEN_ASSIGNED_STATES = (DispatchState.DISPATCHED, DispatchState.CONFIRMED)
DONE_STATES = (DispatchState.RESOLVED, DispatchState.CLOSED)
TOP_PRODUCTS = 3


@dataclass(frozen=True)
class DispatchCandidate:
    """An engineer a record may be dispatched to, with what they carry and what they know.

    open_records: records assigned to them and not yet resolved (dispatched or confirmed);
    resolved_of_product: records of the record's product they resolved (None when the record names no product);
    resolved: every record they resolved; top_products: their most resolved products, (product, count)."""

    engineer: Any
    open_records: int
    resolved_of_product: int | None
    resolved: int
    top_products: list[tuple[Product, int]] = field(default_factory=list)


def service_dispatch_candidates(*, user, record: ServiceRecord, engineers) -> list[DispatchCandidate]:
    """The `engineers` a record may go to, each with their open workload and product experience, the best
    first: most records of this product resolved, then fewest open, then the order given.

    Counted over the records `user` may see (the policy's visible(), like every read): the service department
    and administrators see every record, so theirs are the engineers' whole workload. One query, whatever the
    number of engineers or records: counts by engineer and product, summed here."""
    engineers = list(engineers)
    ids = [engineer.pk for engineer in engineers]
    if not ids:
        return []
    rows = (visible(user, ServiceRecord.objects.all(), Action.VIEW)
            .filter(engineer_id__in=ids, dispatch_state__in=OPEN_ASSIGNED_STATES + DONE_STATES)
            .values("engineer_id", "product_id", "product__code", "product__name", "product__name_en")
            .annotate(open_records=Count("pk", filter=Q(dispatch_state__in=OPEN_ASSIGNED_STATES)),
                      resolved=Count("pk", filter=Q(dispatch_state__in=DONE_STATES)))
            .order_by())
    counts: dict[int, dict[str, int]] = {}
    per_product: dict[int, list[tuple[Product, int]]] = {}
    for row in rows:
        mine = counts.setdefault(row["engineer_id"], {"open_records": 0, "resolved": 0, "resolved_of_product": 0})
        mine["open_records"] += row["open_records"]
        mine["resolved"] += row["resolved"]
        if row["product_id"] is not None and row["resolved"]:
            if row["product_id"] == record.product_id:
                mine["resolved_of_product"] += row["resolved"]
            product = Product(pk=row["product_id"], code=row["product__code"], name=row["product__name"],
                              name_en=row["product__name_en"])
            per_product.setdefault(row["engineer_id"], []).append((product, row["resolved"]))
    tops = {engineer_id: sorted(pairs, key=lambda pair: (-pair[1], pair[0].code))[:TOP_PRODUCTS]
            for engineer_id, pairs in per_product.items()}
    candidates = []
    for engineer in engineers:
        row = counts.get(engineer.pk, {})
        candidates.append(DispatchCandidate(
            engineer=engineer,
            open_records=row.get("open_records", 0),
            resolved_of_product=row.get("resolved_of_product", 0) if record.product_id else None,
            resolved=row.get("resolved", 0),
            top_products=tops.get(engineer.pk, []),
        ))
    order = {engineer.pk: index for index, engineer in enumerate(engineers)}
    return sorted(candidates, key=lambda c: (-(c.resolved_of_product or 0), c.open_records, order[c.engineer.pk]))


# --- the portal's service-request form ------------------------------------------------------------


def installed_products(*, customer_id: int) -> QuerySet[Product]:
    """The products a customer has bought: those on the lines of their orders that were not cancelled, by
    name. What the portal's service-request form offers (not the whole catalogue)."""
    from backend.crm.models import OrderLine, OrderStatus

    bought = (OrderLine.objects.filter(order__customer_id=customer_id)
              .exclude(order__status=OrderStatus.CANCELLED).values("product_id"))
    return Product.objects.filter(pk__in=bought).only("id", "code", "name", "name_en").order_by("code", "id")


def article_suggestions(*, user, title: str, limit: int = 5) -> list[KnowledgeArticle]:
    """Published articles `user` may read that match any word of a service request's title as it is typed,
    best first (the knowledge search, so Chinese runs and English stems match); a plain title match when the
    search engine is unavailable. Never an article the user may not read."""
    import re

    from indexing.articles import article_search
    from indexing.backends import InvalidSearch, SearchUnavailable

    words = [w for w in re.findall(r"\w+", title or "") if len(w) > 1 or not w.isascii()][:8]
    if not words:
        return []
    try:
        found = article_search(user=user, q=" OR ".join(f'"{w}"' for w in words), page=1, page_size=limit)
        return [hit.article for hit in found.results][:limit]
    except (InvalidSearch, SearchUnavailable):
        matches = Q()
        for word in words:
            matches |= Q(title__icontains=word)
        return list(visible(user, KnowledgeArticle.objects.filter(matches), Action.VIEW)
                    .order_by("-updated_at", "-id")[:limit])
