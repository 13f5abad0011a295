"""Reads of activities: a customer's timeline and a user's open reminders."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet

from backend.access.policy import Action, visible
from backend.common.errors import NotFound
from backend.common.query_fields import IdFilter, filtered
from backend.crm.models import Activity, ActivityKind, Customer


class ActivityFilter(django_filters.FilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=ActivityKind.choices)
    opportunity = IdFilter(field_name="opportunity_id")
    done = django_filters.BooleanFilter()

    class Meta:
        model = Activity
        fields = ["kind", "opportunity", "done"]


def _rendered(queryset: QuerySet) -> QuerySet:
    return queryset.select_related("owner", "customer", "opportunity")


def activity_timeline(*, user, customer: Customer, filters: dict[str, Any] | None = None) -> QuerySet[Activity]:
    """What happened with a customer, newest first. The caller has already checked the customer is visible."""
    queryset = visible(user, Activity.objects.filter(customer=customer), Action.VIEW)
    queryset = filtered(queryset, ActivityFilter, filters)
    return _rendered(queryset).order_by("-occurred_at", "-id")


def reminder_list_open(*, user) -> QuerySet[Activity]:
    """`user`'s own reminders not done yet, soonest due first (overdue ones lead)."""
    queryset = visible(user, Activity.objects.filter(owner_id=user.pk, kind=ActivityKind.REMINDER, done=False))
    return _rendered(queryset).order_by("due_at", "id")


def activity_get_visible(*, user, activity_id: int, action: Action = Action.VIEW) -> Activity:
    activity = _rendered(visible(user, Activity.objects.all(), action)).filter(pk=activity_id).first()
    if activity is None:
        raise NotFound()
    return activity


def customer_for_activities(*, user, customer_id: int, action: Action = Action.VIEW) -> Customer:
    """The bare customer row (no team or contacts) if `user` may `action` it; NotFound otherwise."""
    customer = visible(user, Customer.objects.all(), action).filter(pk=customer_id).first()
    if customer is None:
        raise NotFound()
    return customer
