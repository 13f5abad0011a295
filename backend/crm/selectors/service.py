"""Reads of service records."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Prefetch, QuerySet

from backend.access.policy import Action, visible
from backend.common.errors import InvalidInput, NotFound
from backend.crm.models import DispatchState, KnowledgeArticle, Priority, ServiceRecord, ServiceType


class ServiceRecordFilter(django_filters.FilterSet):
    dispatch_state = django_filters.MultipleChoiceFilter(choices=DispatchState.choices)
    customer = django_filters.NumberFilter(field_name="customer_id")
    engineer = django_filters.NumberFilter(field_name="engineer_id")
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
    if filters:
        filterset = ServiceRecordFilter(filters, queryset=queryset)
        if not filterset.is_valid():
            raise InvalidInput("The filters are invalid.", fields=filterset.errors)
        queryset = filterset.qs
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
