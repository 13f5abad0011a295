"""Reads of service records."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Prefetch, QuerySet

from backend.access.policy import Action, visible
from backend.common.errors import NotFound
from backend.common.query_fields import IdFilter, filtered
from backend.crm.models import (
    DispatchState,
    KnowledgeArticle,
    Priority,
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
