"""Reads of service levels: the targets, each record's clock, the desk's order and breach filter, and who is
told about breaches (the service managers) and about new customer requests (the service desk).

A record's clock has two hands, both counted in calendar time from its opening:

* response: met when the record is dispatched to an engineer (``dispatched_at``), due at ``response_due_at``;
* resolution: met when it is resolved (``resolved_at``), due at ``resolution_due_at``.

The due times are stamped on the record from the targets for its priority and type
(backend/crm/services/service_levels.py), so the desk sorts and filters on indexed columns.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from backend.accounts.models import Role, User
from backend.crm.models import DispatchState, Priority, ServiceLevelTarget, ServiceRecord, ServiceType

# A running clock with less than this share of its time left is "due soon".
DUE_SOON_SHARE = 0.25


def service_level_targets() -> dict[tuple[str, str], ServiceLevelTarget]:
    """The targets by (priority, type)."""
    return {(t.priority, t.type): t for t in ServiceLevelTarget.objects.select_related("updated_by")}


def service_level_grid() -> list[dict]:
    """Every (priority, type) pair, most urgent priority first, with its target or None: the admin page's rows."""
    targets = service_level_targets()
    return [{"priority": priority, "priority_label": priority_label, "cells": [
        {"type": type_, "type_label": type_label, "target": targets.get((priority, type_))}
        for type_, type_label in ServiceType.choices]}
        for priority, priority_label in reversed(Priority.choices)]


@dataclass(frozen=True)
class Hand:
    """One hand of a record's clock.

    state: "none" (no target), "running", "due_soon", "overdue" (running past due), "met", "missed" (done late).
    left: time left while running (negative when overdue); late: how late it was done (missed)."""

    kind: str
    due: dt.datetime | None
    done: dt.datetime | None
    state: str
    left: dt.timedelta | None = None
    late: dt.timedelta | None = None

    @property
    def breached(self) -> bool:
        return self.state in ("overdue", "missed")


@dataclass(frozen=True)
class Clock:
    response: Hand
    resolution: Hand

    @property
    def breached(self) -> bool:
        return self.response.breached or self.resolution.breached

    @property
    def running(self) -> Hand | None:
        """The hand that matters now: the response until dispatched, then the resolution; None when done."""
        for hand in (self.response, self.resolution):
            if hand.state in ("running", "due_soon", "overdue"):
                return hand
        return None


def _hand(kind: str, *, opened: dt.datetime, due: dt.datetime | None, done: dt.datetime | None,
          stopped: bool, now: dt.datetime) -> Hand:
    if due is None:
        return Hand(kind, None, done, "none")
    if done is not None:
        return Hand(kind, due, done, "met") if done <= due else Hand(kind, due, done, "missed", late=done - due)
    if stopped:  # closed without the step (cannot happen in the strict order, kept safe)
        return Hand(kind, due, None, "none")
    left = due - now
    if left < dt.timedelta(0):
        return Hand(kind, due, None, "overdue", left=left)
    span = (due - opened).total_seconds()
    soon = span > 0 and left.total_seconds() < span * DUE_SOON_SHARE
    return Hand(kind, due, None, "due_soon" if soon else "running", left=left)


def service_clock(record: ServiceRecord, *, now: dt.datetime | None = None) -> Clock:
    """The record's clock at `now` (no query)."""
    now = now or timezone.now()
    closed = record.dispatch_state == DispatchState.CLOSED
    return Clock(
        response=_hand("response", opened=record.created_at, due=record.response_due_at, done=record.dispatched_at,
                       stopped=closed, now=now),
        resolution=_hand("resolution", opened=record.created_at, due=record.resolution_due_at,
                         done=record.resolved_at, stopped=closed, now=now),
    )


def breached_q(now: dt.datetime) -> Q:
    """Records running past a due time now: not dispatched after the response is due, or not resolved after the
    resolution is due."""
    return (Q(dispatched_at__isnull=True, response_due_at__lt=now)
            | Q(resolved_at__isnull=True, resolution_due_at__lt=now))


def service_desk_ordered(queryset: QuerySet[ServiceRecord], *, state: str) -> QuerySet[ServiceRecord]:
    """A desk column most urgent first: waiting records by the due time of the hand that runs in `state`
    (the response before dispatch, the resolution after), those without a target last; others newest first."""
    if state == DispatchState.NOT_DISPATCHED:
        return queryset.order_by(F("response_due_at").asc(nulls_last=True), "-created_at", "-id")
    if state in (DispatchState.DISPATCHED, DispatchState.CONFIRMED):
        return queryset.order_by(F("resolution_due_at").asc(nulls_last=True), "-created_at", "-id")
    return queryset


def service_managers() -> list[User]:
    """Who hears about breaches and unconfirmed dispatches: the active staff named in SERVICE_MANAGERS, or
    every active administrator when none of them is."""
    named = list(User.objects.filter(username__in=settings.SERVICE_MANAGERS, is_active=True)
                 .exclude(role=Role.PORTAL))
    return named or list(User.objects.filter(role=Role.ADMIN, is_active=True))


def service_desk_staff() -> list[User]:
    """Who hears about a new customer request or complaint: the active service department (every active
    administrator when it has nobody)."""
    staff = list(User.objects.filter(role=Role.SERVICE, is_active=True))
    return staff or list(User.objects.filter(role=Role.ADMIN, is_active=True))
