"""Statements compiled by Django once and planned by PostgreSQL once, then rerun with other values.

Hot read paths (every search page, every API request's token) ran the same few queries with other
ids, and spent more time in Django building and compiling them, and in PostgreSQL's planner, than in
running them:

* `fetch_prepared(using, sql, params)` PREPAREs a statement once per connection and then only
  EXECUTEs it;
* `PreparedQuery` compiles a queryset once with placeholder values and reruns its SQL with the
  real ones; `PreparedModelQuery` makes model instances of the rows (select_related included) as
  Django's ModelIterable does.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import weakref
from collections.abc import Hashable, Mapping, Sequence

from django.conf import settings
from django.db import connections
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators

try:
    from psycopg import ClientCursor as _CLIENT_CURSOR
    from psycopg import sql
except ImportError:  # pragma: no cover - psycopg2 or another database
    _CLIENT_CURSOR = None


class Uncompilable(Exception):
    """Django did not bind a placeholder as a parameter (so the SQL cannot be reused)."""


# PostgreSQL statements this process has PREPAREd, per open database connection.
_PREPARED_ON: "weakref.WeakKeyDictionary[object, set[str]]" = weakref.WeakKeyDictionary()


def _numbered(text: str) -> str:
    # Django's %s placeholders as PostgreSQL's $1, $2, ...; the statement is sent without
    # parameters, so a %% the driver would have unescaped becomes % here.
    count = itertools.count(1)
    return re.sub(r"%%|%s", lambda m: "%" if m.group() == "%%" else f"${next(count)}", text)


def _arguments(params: Sequence, raw) -> str:
    """EXECUTE's arguments as SQL literals: plain ints (nearly all of them: the ids) as digits,
    anything else quoted by the driver's own adapters.

    Sending them as literals instead of as parameters matters: a statement with more than 50
    parameters is re-parsed by psycopg on every run (about 1 ms for a search page's 170).
    """
    return ", ".join(str(value) if type(value) is int else sql.Literal(value).as_string(raw) for value in params)


def fetch_prepared(using: str, sql_text: str, params: Sequence, *, generic: bool = False) -> list[tuple]:
    """The rows of `sql_text`, planned by PostgreSQL once per connection instead of on every run.

    Search pages run the same few statements (PreparedUnion, the page query) with other ids, and
    PostgreSQL spent more time planning them (1.5-2 ms each: many UNION parts, the policy's
    EXISTS) than running them. The first run on a connection sends `PREPARE name AS ...;
    EXECUTE name(...)` as one statement (one query, as before); later ones only the EXECUTE.
    Prepared statements last as long as the session and survive rollbacks. Other databases (and a
    driver binding parameters server-side, which cannot send two statements at once) run the SQL as
    it is, and so does everything when DATABASE_PREPARED_STATEMENTS is off (behind a pooler in
    transaction mode, such as PgBouncer's, a session's prepared statements are not there next time).

    `generic`: run it with its generic plan from the first run on (plan_cache_mode, for that EXECUTE only).
    PostgreSQL otherwise plans a prepared statement afresh for each of its first five runs on a connection
    before it settles on the generic plan, which is what the queries prepared per kind of user (the same
    SQL for every user and row of that kind) settle on: their planning (10-15 ms for the document page's
    policy filters) then came back on each connection's first five page views.
    """
    connection = connections[using]
    with connection.cursor() as cursor:
        raw = connection.connection
        if (not settings.DATABASE_PREPARED_STATEMENTS or connection.vendor != "postgresql" or not _CLIENT_CURSOR
                or not isinstance(cursor.cursor, _CLIENT_CURSOR)):
            cursor.execute(sql_text, params)
            return cursor.fetchall()
        name = "dossier_" + hashlib.sha1(sql_text.encode()).hexdigest()[:20]
        execute = f"EXECUTE {name} ({_arguments(params, raw)})" if params else f"EXECUTE {name}"
        if generic:
            # one implicit transaction: if the EXECUTE fails, the SET is undone with it
            execute = f"SET plan_cache_mode = force_generic_plan; {execute}; RESET plan_cache_mode"
        prepared = _PREPARED_ON.setdefault(raw, set())
        if name in prepared:
            cursor.execute(execute)
        else:
            cursor.execute(f"PREPARE {name} AS {_numbered(sql_text)}; {execute}")
            prepared.add(name)
            cursor.nextset()
        if generic:
            cursor.nextset()
        return cursor.fetchall()


class PreparedQuery:
    """A queryset compiled once, with placeholder values standing for what changes per run.

    `placeholders` maps each placeholder value (one that can never be real, e.g. a negative id) to
    the name its real value is given under in `rows()`; every name in `required` must be bound as a
    parameter somewhere, and no placeholder may appear in the SQL text itself (Uncompilable).
    """

    def __init__(self, queryset: QuerySet, placeholders: Mapping[Hashable, Hashable], *, using: str,
                 required: Sequence[Hashable] = (), generic: bool = False):
        self.using = using
        self.generic = generic  # run with the generic plan from the first run on (fetch_prepared)
        self._compiler = compiler = queryset.using(using).query.get_compiler(using=using)
        self.sql, params = compiler.as_sql()
        self._params = list(params)
        self._slots = [(position, placeholders[value]) for position, value in enumerate(self._params)
                       if isinstance(value, Hashable) and not isinstance(value, bool) and value in placeholders]
        bound = {name for _, name in self._slots}
        if not set(required) <= bound or any(str(value) in self.sql for value in placeholders):
            raise Uncompilable("the compiled query does not bind every placeholder as a parameter")

    def _results(self, values: Mapping[Hashable, object]):
        params = list(self._params)
        for position, name in self._slots:
            params[position] = values[name]
        return self._compiler.results_iter(results=[fetch_prepared(self.using, self.sql, params,
                                                                   generic=self.generic)])

    def rows(self, values: Mapping[Hashable, object]) -> list[tuple]:
        """The rows as the queryset's values_list would give them (Django's converters applied)."""
        return [tuple(row) for row in self._results(values)]


class PreparedModelQuery(PreparedQuery):
    """A PreparedQuery of model instances (select_related included), made as Django's ModelIterable makes them."""

    def __init__(self, queryset: QuerySet, placeholders: Mapping[Hashable, Hashable], *, using: str,
                 required: Sequence[Hashable] = (), generic: bool = False):
        super().__init__(queryset, placeholders, using=using, required=required, generic=generic)
        klass_info, select = self._compiler.klass_info, self._compiler.select
        self._model = klass_info["model"]
        fields = klass_info["select_fields"]
        self._start, self._end = fields[0], fields[-1] + 1
        self._init_list = [column[0].target.attname for column in select[self._start:self._end]]
        self._related = get_related_populators(klass_info, select, using)
        # annotations (queryset.annotate(...)) become attributes of the instance, as ModelIterable sets them
        self._annotations = list(self._compiler.annotation_col_map.items())

    def instances(self, values: Mapping[Hashable, object]) -> list[Model]:
        out = []
        for row in self._results(values):
            instance = self._model.from_db(self.using, self._init_list, row[self._start:self._end])
            for populator in self._related:
                populator.populate(row, instance)
            for name, position in self._annotations:
                setattr(instance, name, row[position])
            out.append(instance)
        return out


# --- queries prepared per kind of staff user --------------------------------------------------------

# Placeholders for a staff user's own ids in a query prepared per kind of user: negative, never real keys.
STAFF_USER_SLOT = -(2**42)
STAFF_DEPARTMENT_SLOT = -(2**42) - 1


class StandInRead(Exception):
    """The access policy read something of the user that a query prepared per kind of user does not vary
    on. Deliberately not an AttributeError, so getattr(user, name, default) cannot swallow it."""


class StaffStandIn:
    """An active staff user reduced to what the access policy's SQL rules read: its id, role and
    department. The rules' SQL then depends only on the role and on whether there is a department, and
    the ids become parameters (STAFF_USER_SLOT, STAFF_DEPARTMENT_SLOT). Reading any other attribute
    raises StandInRead: the caller then builds its queries for the real user and prepares nothing, so a
    policy that starts to depend on more of the user can never be answered from a query prepared for
    someone else."""

    is_authenticated = True
    is_anonymous = False
    is_active = True

    def __init__(self, role: str, has_department: bool):
        self.pk = self.id = STAFF_USER_SLOT
        self.role = role
        self.department_id = STAFF_DEPARTMENT_SLOT if has_department else None

    def __getattr__(self, name):
        raise StandInRead(name)


def staff_values(user) -> dict[str, object]:
    """The values of StaffStandIn's placeholders for `user` (names "user" and "department")."""
    return {"user": user.pk, "department": user.department_id}


STAFF_PLACEHOLDERS = {STAFF_USER_SLOT: "user", STAFF_DEPARTMENT_SLOT: "department"}


_STAFF_QUERIES: dict[tuple, "PreparedModelQuery | None"] = {}


def staff_instances(user, kind: tuple[str, bool] | None, key: str, build, values: Mapping[str, object], *,
                    placeholders: Mapping[Hashable, str], using: str, required: Sequence[str] = ()) -> list[Model] | None:
    """The model instances of `build(StaffStandIn)` for `user`, from a query compiled once per process and
    kind of staff user (`key` names the query: one key, one `build`) and planned once per connection.

    `kind` is the policy's `staff_kind(user)`: (role, has a department) for active staff, None for anyone else.

    `placeholders` maps the placeholder values `build` uses (besides the stand-in's ids) to their names in
    `values`. None when nothing can be prepared for `user` (not active staff, or the policy read more of
    the user than the stand-in has): the caller then runs its queryset for the real user.
    """
    if kind is None:
        return None
    cache_key = (key, using, connections[using].vendor, *kind)
    if cache_key not in _STAFF_QUERIES:
        try:
            prepared = PreparedModelQuery(build(StaffStandIn(*kind)), {**STAFF_PLACEHOLDERS, **placeholders},
                                          using=using, required=required, generic=True)
        except (StandInRead, Uncompilable):
            prepared = None
        _STAFF_QUERIES[cache_key] = prepared
    prepared = _STAFF_QUERIES[cache_key]
    if prepared is None:
        return None
    return prepared.instances({**staff_values(user), **values})
