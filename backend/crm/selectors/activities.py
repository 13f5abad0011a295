"""Reads of activities: a customer's timeline and a user's open reminders."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from backend.access.policy import Action, visible
from backend.access.policy.worklog import may_read_worklog_of, may_read_worklogs_of_others
from backend.accounts.models import Role
from backend.common.display_time import day_start
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
    return queryset.select_related("owner", "customer", "opportunity", "contact")


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


# --- the work log: what reps logged, for managers, administrators and each rep for themselves ------


def worklog_reps(*, user) -> list:
    """The reps whose work log `user` may choose: themselves, or every member of staff for the work-log
    readers (policy/worklog.py), by name."""
    if not may_read_worklogs_of_others(user):
        return [user]
    return list(get_user_model().objects.exclude(role=Role.PORTAL).select_related("department")
                .only("id", "username", "first_name", "last_name", "display_name", "is_active", "role",
                      "department__name")
                .order_by("-is_active", "last_name", "first_name", "username"))


@dataclass(frozen=True)
class RepChoice:
    """One entry of the work log's rep chooser."""

    id: int
    name: str  # as str(user) reads: the display name, else the full name, else the user name
    department: str
    is_active: bool


def worklog_rep_choices(*, user) -> list[RepChoice]:
    """worklog_reps as plain rows for the chooser: for a work-log reader it is every member of staff (1,000 in
    bench/pages.py's large world), and building a User and a Department object for each was a third of the page."""
    if not may_read_worklogs_of_others(user):
        return [RepChoice(user.pk, str(user), user.department.name if user.department_id else "", user.is_active)]
    rows = (get_user_model().objects.exclude(role=Role.PORTAL)
            .order_by("-is_active", "last_name", "first_name", "username")
            .values_list("id", "display_name", "first_name", "last_name", "username", "department__name", "is_active"))
    return [RepChoice(pk, display or f"{first} {last}".strip() or username, department or "", active)
            for pk, display, first, last, username, department, active in rows]


def worklog_rep_get(*, user, rep_id: int):
    """The rep `user` asks for, if `user` may read their work log; NotFound otherwise (as if missing)."""
    rep = get_user_model().objects.filter(pk=rep_id).first()
    if rep is None or not may_read_worklog_of(user, rep):
        raise NotFound()
    return rep


def activity_worklog(*, user, reps=None, customer_id: int | None = None, since=None, until=None,
                     kinds=None) -> QuerySet[Activity]:
    """What reps logged, newest first: `reps` (users; None = whoever `user` may read: everyone for the
    work-log readers, themselves otherwise), one customer, a period of local dates (both ends included)
    and kinds. Only activities on customers `user` may see."""
    queryset = visible(user, Activity.objects.all(), Action.VIEW)
    if reps is None:
        if not may_read_worklogs_of_others(user):
            queryset = queryset.filter(owner_id=user.pk)
    else:
        if any(not may_read_worklog_of(user, rep) for rep in reps):
            raise NotFound()
        queryset = queryset.filter(owner_id__in=[rep.pk for rep in reps])
    if customer_id is not None:
        queryset = queryset.filter(customer_id=customer_id)
    if since is not None:
        queryset = queryset.filter(occurred_at__gte=day_start(since))
    if until is not None:
        queryset = queryset.filter(occurred_at__lt=day_start(until + dt.timedelta(days=1)))
    if kinds:
        queryset = queryset.filter(kind__in=[kind for kind in kinds if kind in ActivityKind.values])
    return _rendered(queryset).order_by("-occurred_at", "-id")
