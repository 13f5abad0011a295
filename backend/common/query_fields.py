"""Form fields for query-string filters that no input can turn into a server error.

Every database and search engine we use compares ids as signed 64-bit integers and date-times within
the years 1-9999 in UTC. A larger id, or a date at an end of the calendar that overflows when moved
to UTC, is a 400 on its field instead of an OverflowError (SQLite, the search engines) or a
DataError (PostgreSQL).
"""

from __future__ import annotations

import datetime as dt

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField

from backend.common.api import MAX_ID
from backend.common.errors import InvalidInput

# A day's margin at each end of the calendar: any time zone's offset fits inside it.
EARLIEST = dt.datetime(1, 1, 2, tzinfo=dt.timezone.utc)
LATEST = dt.datetime(9999, 12, 30, tzinfo=dt.timezone.utc)


class IdField(forms.IntegerField):
    """A row id: a whole number from 1 to 2**63 - 1."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


def check_in_calendar(value: dt.datetime | dt.date | None):
    """`value` if it lies between 0001-01-02 and 9999-12-30 (UTC); a ValidationError otherwise."""
    if value is None:
        return value
    moment = value if isinstance(value, dt.datetime) else dt.datetime.combine(value, dt.time(), dt.timezone.utc)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    try:
        in_range = EARLIEST <= moment <= LATEST
    except OverflowError:
        in_range = False
    if not in_range:
        raise forms.ValidationError(_("Enter a date between 0001-01-02 and 9999-12-30."), code="out_of_range")
    return value


class BoundedIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 date-time (a bare date means its midnight) that fits the calendar in every time zone."""

    def to_python(self, value):
        try:
            parsed = super().to_python(value)
        except OverflowError:
            parsed = dt.datetime.min  # refused just below
        parsed = check_in_calendar(parsed)
        # In UTC: Python takes offsets up to ±23:59, PostgreSQL only up to ±15:59.
        return parsed.astimezone(dt.timezone.utc) if parsed is not None else None


class IdFilter(django_filters.NumberFilter):
    """Filter on a row id; anything that is not an id from 1 to 2**63 - 1 is a 400 naming the parameter."""

    field_class = IdField


class DateTimeFilter(django_filters.IsoDateTimeFilter):
    """Filter on a date-time; dates at the ends of the calendar are a 400 naming the parameter."""

    field_class = BoundedIsoDateTimeField


def filtered(queryset: QuerySet, filterset_class: type[django_filters.FilterSet], params) -> QuerySet:
    """`queryset` narrowed by the query-string filters in `params` (none: unchanged); a 400 naming each bad
    parameter."""
    if not params:
        return queryset
    filterset = filterset_class(params, queryset=queryset)
    if not filterset.is_valid():
        raise InvalidInput("The filters are invalid.", fields=filterset.errors)
    return filterset.qs


def narrowed(queryset: QuerySet, **equal) -> QuerySet:
    """`queryset` filtered on each field=value given; an empty value (None, "", 0) leaves that field open."""
    return queryset.filter(**{field: value for field, value in equal.items() if value})
