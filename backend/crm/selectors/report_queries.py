"""The reports page's grouped queries, compiled once per process and shape of reader, and rerun with values.

The page runs a dozen small grouped queries, and Django spent about three quarters of their time building
and compiling them (the figure scope's and the access policy's Q objects, the funnel's Case/When, the
furthest-stage subquery), not waiting for PostgreSQL. Their SQL depends only on the reader's shape: their
kind of staff user (role, has a department: what visible() varies on), their figure scope's shape
(everyone's, a team's, or their own), whether a rep or a team was picked, and which ends the period has.
The ids and instants are parameters. So each query is built by the selector's own code for stand-ins
(StaffStandIn, a FigureScope and a Period of placeholder values), compiled once (PreparedQuery), planned
once per connection, and rerun with the real values.

Anyone else (portal users, the inactive), a policy that reads more of the user than the stand-in has, or a
database whose driver does not bind the placeholders as parameters (SQLite binds dates and instants as
text) gets the plain queryset: same rows, built afresh.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable, Mapping

from django.core.exceptions import EmptyResultSet
from django.db import connections, router
from django.db.models.query import ModelIterable, ValuesIterable

from backend.access.policy import staff_kind
from backend.access.policy.reports import FigureScope
from backend.common.prepared import (
    STAFF_DEPARTMENT_SLOT,
    STAFF_PLACEHOLDERS,
    STAFF_USER_SLOT,
    PreparedModelQuery,
    PreparedQuery,
    StaffStandIn,
    StandInRead,
    Uncompilable,
    fetch_prepared,
)
from backend.crm.reports import Period

# Placeholders for the picked rep and team and for the period's ends: values no request has.
REP_SLOT = -(2**42) - 200
TEAM_SLOT = -(2**42) - 201
_START_SLOT = dt.datetime(1901, 2, 3, 0, 0, 1, tzinfo=dt.timezone.utc)
_END_SLOT = dt.datetime(1901, 2, 3, 0, 0, 2, tzinfo=dt.timezone.utc)
_FROM_SLOT = dt.date(1901, 2, 4)
_TO_SLOT = dt.date(1901, 2, 5)
_PLACEHOLDERS: dict[Hashable, str] = {
    **STAFF_PLACEHOLDERS, REP_SLOT: "rep", TEAM_SLOT: "team", _START_SLOT: "start", _END_SLOT: "end",
    _FROM_SLOT: "from", _TO_SLOT: "to",
}


class _PeriodStandIn(Period):
    """A Period whose dates and instants are placeholders (Period.start and end are worked out from the
    dates in the current time zone; here they are placeholders of their own)."""

    @property
    def start(self):
        return None if self.date_from is None else _START_SLOT

    @property
    def end(self):
        return None if self.date_to is None else _END_SLOT


class Reader:
    """What a prepared report query varies on for one reader and request, and the values it is run with."""

    def __init__(self, user, scope: FigureScope, period: Period | None, rep_id: int | None, department_id: int | None):
        self.user, self.scope, self.period = user, scope, period
        self.rep_id, self.department_id = rep_id, department_id
        self.kind = staff_kind(user)
        # The scope names the user and (a team's manager) their department: the stand-in's own ids stand for them.
        self.preparable = (self.kind is not None and scope.user_id == user.pk
                           and scope.department_id in (None, user.department_id))
        self.shape = (self.kind, scope.everything, scope.user_id is not None, scope.department_id is not None,
                      bool(rep_id), bool(department_id),
                      None if period is None else (period.date_from is not None, period.date_to is not None))

    def stand_ins(self) -> tuple:
        """(user, scope, period, rep_id, department_id) of placeholders, shaped as this reader's."""
        scope = self.scope
        scope = FigureScope(everything=scope.everything,
                            department_id=None if scope.department_id is None else STAFF_DEPARTMENT_SLOT,
                            user_id=None if scope.user_id is None else STAFF_USER_SLOT)
        period = None if self.period is None else _PeriodStandIn(
            None if self.period.date_from is None else _FROM_SLOT, None if self.period.date_to is None else _TO_SLOT)
        return (StaffStandIn(*self.kind), scope, period, REP_SLOT if self.rep_id else None,
                TEAM_SLOT if self.department_id else None)

    def values(self) -> dict[str, object]:
        period = self.period
        return {"user": self.user.pk, "department": self.user.department_id, "rep": self.rep_id,
                "team": self.department_id, "start": period and period.start, "end": period and period.end,
                "from": period and period.date_from, "to": period and period.date_to}


_QUERIES: dict[tuple, object] = {}

Build = Callable[..., object]  # build(user, scope, period, rep_id, department_id, **more)


def report_rows(reader: Reader, key: str, build: Build, *, model,
                more: Mapping[str, tuple[Hashable, object]] | None = None) -> list:
    """The rows of the queryset `build(user, scope, period, rep_id, department_id, **more)` for `reader`:
    dicts for values(), tuples for values_list(), model instances (select_related included) for a model
    queryset. From the query compiled once per process and shape of reader when it can be (see the
    module), else from the queryset built for the real reader. `more`: the other values `build` takes, each
    as (placeholder, value); a placeholder None: the value itself is built into the SQL, which `key` must
    then name (as it names the query)."""
    prepared = _prepared(reader, key, build, router.db_for_read(model), more, sql=False)
    if prepared is None:
        return list(build(reader.user, reader.scope, reader.period, reader.rep_id, reader.department_id,
                          **_real(more)))
    values = {**reader.values(), **_real(more)}
    if isinstance(prepared, PreparedModelQuery):
        return prepared.instances(values)
    rows = prepared.rows(values)
    if prepared.names is None:
        return rows
    names = prepared.names
    return [dict(zip(names, row)) for row in rows]


def report_sql_rows(reader: Reader, key: str, build: Build, *, model,
                    more: Mapping[str, tuple[Hashable, object]] | None = None) -> list[tuple]:
    """report_rows for a statement written in SQL: `build(...)` gives (sql, params); the rows are the
    driver's, as a cursor gives them."""
    using = router.db_for_read(model)
    prepared = _prepared(reader, key, build, using, more, sql=True)
    if prepared is None:
        sql, params = build(reader.user, reader.scope, reader.period, reader.rep_id, reader.department_id,
                            **_real(more))
        with connections[using].cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    return prepared.rows({**reader.values(), **_real(more)})


def _real(more) -> dict:
    return {name: value for name, (_placeholder, value) in (more or {}).items()}


def _prepared(reader: Reader, key: str, build: Build, using: str, more, *, sql: bool):
    if not reader.preparable:
        return None
    cache_key = (key, using, connections[using].vendor, reader.shape)
    if cache_key not in _QUERIES:
        _QUERIES[cache_key] = _prepare(reader, build, using, more or {}, sql=sql)
    return _QUERIES[cache_key]


def _prepare(reader: Reader, build: Build, using: str, more, *, sql: bool):
    user, scope, period, rep_id, department_id = stand_in = reader.stand_ins()
    placeholders = {**_PLACEHOLDERS, **{placeholder: name for name, (placeholder, _value) in more.items()
                                        if placeholder is not None}}
    # The scope's ids, the picked rep and team must each reach the SQL as a parameter (the scope's unless
    # it is everyone's).
    required = [name for name, value in (("user", None if scope.everything else scope.user_id),
                                         ("department", None if scope.everything else scope.department_id),
                                         ("rep", rep_id), ("team", department_id)) if value is not None]
    try:
        built = build(*stand_in, **{name: value if placeholder is None else placeholder
                                    for name, (placeholder, value) in more.items()})
        if sql:
            prepared = _PreparedSQL(*built, placeholders, using, required)
        else:
            kind = PreparedModelQuery if built._iterable_class is ModelIterable else PreparedQuery
            prepared = kind(built, placeholders, using=using, generic=True, required=required)
            prepared.names = _names(built) if built._iterable_class is ValuesIterable else None
    except (StandInRead, Uncompilable, EmptyResultSet):  # (EmptyResultSet: a query of none(), run by nobody)
        return None
    return prepared if _all_bound(prepared, placeholders) else None


def _names(queryset) -> list[str]:
    query = queryset.query  # (as ValuesIterable names them)
    if query.selected:
        return list(query.selected)
    return [*query.extra_select, *query.values_select, *query.annotation_select]


def _all_bound(prepared, placeholders) -> bool:
    """No placeholder reached the SQL's parameters under another form than its own (SQLite binds dates and
    instants as text): each is bound where it is used, or the query is not prepared."""
    texts = set()
    for value in placeholders:
        if isinstance(value, dt.datetime):
            texts |= {value.isoformat(sep=" "), value.replace(tzinfo=None).isoformat(sep=" ")}
        elif isinstance(value, dt.date):
            texts.add(value.isoformat())
    bound = {position for position, _name in prepared._slots}
    for position, value in enumerate(prepared._params):
        if position in bound:
            continue
        if isinstance(value, str) and any(text in value for text in texts):
            return False
        if type(value) is int and value <= -(2**42) + 1000:  # (every id placeholder is below -2**42)
            return False
    return True


class _PreparedSQL:
    """A statement written in SQL from stand-ins, with its parameters and where its placeholders are."""

    def __init__(self, sql: str, params, placeholders: Mapping[Hashable, str], using: str, required):
        self.sql, self.using, self._params = sql, using, list(params)
        self._slots = [(position, placeholders[value]) for position, value in enumerate(self._params)
                       if isinstance(value, Hashable) and not isinstance(value, bool) and value in placeholders]
        if not set(required) <= {name for _position, name in self._slots} or any(
                str(value) in sql for value in placeholders):
            raise Uncompilable("the statement does not bind every placeholder as a parameter")

    def rows(self, values: Mapping[str, object]) -> list[tuple]:
        params = list(self._params)
        for position, name in self._slots:
            params[position] = values[name]
        return fetch_prepared(self.using, self.sql, params, generic=True)
