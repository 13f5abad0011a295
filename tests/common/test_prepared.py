"""Prepared statements: the same rows as plain SQL, every kind of argument, and the PgBouncer switch."""

from __future__ import annotations

import pytest
from django.db import connection

from backend.common.prepared import fetch_prepared

pytestmark = pytest.mark.django_db


def test_fetch_prepared_returns_the_statements_rows_in_one_query_every_time(django_assert_num_queries):
    # given a statement with parameters and a literal percent sign
    sql = "SELECT %s::int + x, 'a%%b' FROM generate_series(1, %s) AS x ORDER BY x"
    with connection.cursor() as cursor:
        cursor.execute(sql, [10, 3])
        expected = [tuple(row) for row in cursor.fetchall()]
    # when it runs prepared, twice (the first run prepares it on this connection)
    for _ in range(2):
        with django_assert_num_queries(1):
            rows = [tuple(row) for row in fetch_prepared("default", sql, [10, 3])]
        # then the rows are the same
        assert rows == expected == [(11, "a%b"), (12, "a%b"), (13, "a%b")]
    assert [tuple(row) for row in fetch_prepared("default", sql, [0, 1])] == [(1, "a%b")]


def test_fetch_prepared_passes_every_kind_of_argument_through_unchanged():
    # given arguments of the kinds compiled queries carry, including a quote that must stay data
    import datetime as dt
    from decimal import Decimal

    sql = "SELECT %s::int, %s::text, %s::numeric, %s::boolean, %s::text IS NULL, %s::timestamptz"
    at = dt.datetime(2026, 11, 22, 9, 30, tzinfo=dt.timezone.utc)
    params = [7, "O'Brien'); DROP TABLE x; --", Decimal("12.50"), True, None, at]
    for _ in range(2):  # prepared, then executed again on the same connection
        # when it runs prepared
        rows = [tuple(row) for row in fetch_prepared("default", sql, params)]
        # then every value comes back as it was sent
        assert rows == [(7, "O'Brien'); DROP TABLE x; --", Decimal("12.50"), True, True, at)]


def test_without_prepared_statements_the_sql_runs_as_it_is(settings, django_assert_num_queries):
    # given a deployment behind a pooler in transaction mode
    settings.DATABASE_PREPARED_STATEMENTS = False
    sql = "SELECT n, 'x' FROM generate_series(1, %s) AS n WHERE n > %s ORDER BY n"
    from django.test.utils import CaptureQueriesContext

    # when the statement runs twice, then it is sent as plain SQL both times, with the same rows
    with CaptureQueriesContext(connection) as queries:
        assert [tuple(row) for row in fetch_prepared("default", sql, [4, 2])] == [(3, "x"), (4, "x")]
        assert [tuple(row) for row in fetch_prepared("default", sql, [4, 2])] == [(3, "x"), (4, "x")]
    assert len(queries) == 2
    assert not any("PREPARE" in q["sql"] or "EXECUTE" in q["sql"] for q in queries.captured_queries)


def test_staff_instances_prepare_per_kind_of_user_and_refuse_what_the_stand_in_cannot_answer():
    # given two active sales users of one department, an inactive one, and their customers
    from backend.access.policy import staff_kind
    from backend.common.prepared import staff_instances
    from backend.crm.models import Customer
    from tests import factories
    from tests.crm.factories import CustomerFactory

    department = factories.DepartmentFactory(code="d1", name="D1")
    first, second = (factories.UserFactory(username=name, department=department) for name in ("first", "second"))
    gone = factories.UserFactory(username="gone", department=department, is_active=False)
    mine, theirs = CustomerFactory(name="A", owner=first), CustomerFactory(name="B", owner=second)

    def owned(user):
        return Customer.objects.filter(owner_id=user.pk).order_by("pk")

    def ask(user, build, key):
        return staff_instances(user, staff_kind(user), key, build, {}, placeholders={}, using="default", required=("user",))

    # when each asks for their own customers through the query prepared for their kind
    # then each gets their own rows, from the one compiled query
    assert [c.pk for c in ask(first, owned, "test.owned")] == [mine.pk]
    assert [c.pk for c in ask(second, owned, "test.owned")] == [theirs.pk]
    # and an inactive user gets nothing prepared (the caller builds the query for them)
    assert ask(gone, owned, "test.owned") is None
    # and a query that reads more of the user than its id, role and department is never prepared
    assert ask(first, lambda user: Customer.objects.filter(owner__username=user.username), "test.by_name") is None


def test_a_generic_run_is_one_query_with_the_same_rows_and_leaves_the_sessions_plan_mode_alone(
        django_assert_num_queries):
    # given a statement
    sql = "SELECT x * %s FROM generate_series(1, 3) AS x ORDER BY x"

    def mode():
        with connection.cursor() as cursor:
            cursor.execute("SHOW plan_cache_mode")
            return cursor.fetchone()[0]

    for _ in range(2):  # prepared, then executed again
        # when it runs with its generic plan, then it is one query with the rows of plain SQL
        with django_assert_num_queries(1):
            assert [tuple(row) for row in fetch_prepared("default", sql, [2], generic=True)] == [(2,), (4,), (6,)]
        # and the session plans its other statements as before
        assert mode() == "auto"
    with connection.cursor() as cursor:
        cursor.execute("SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement LIKE %s",
                       ["%generate_series(1, 3)%"])
        assert cursor.fetchone() == (2, 0)
    # and a run that fails leaves the session's mode as it was
    from django.db import DataError, transaction

    with pytest.raises(DataError), transaction.atomic():
        fetch_prepared("default", "SELECT 1 / (x - %s) FROM generate_series(1, 3) AS x", [2], generic=True)
    assert mode() == "auto"
