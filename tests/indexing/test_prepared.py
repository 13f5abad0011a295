"""The search page's prepared queries: the same rows as the ORM's, whoever asks, one query per run."""

from __future__ import annotations

import pytest
from django.db import connection

from backend.access.policy import Action, visible
from backend.access.services import document_permission_grant
from backend.accounts.models import Role
from backend.documents.models import Document, DocumentVersion
from indexing import selectors
from indexing.backends.base import Hit
from indexing.links import fetch_prepared
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.s3]


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


def test_the_prepared_page_query_agrees_with_visible_for_every_kind_of_staff_user():
    # given documents of every classification in one department, one of them granted to a user
    sales = factories.DepartmentFactory()
    elsewhere = factories.DepartmentFactory()
    owner = factories.UserFactory(role=Role.SALES, department=sales)
    documents = [factories.document(owner, title=f"Doc {classification}", classification=classification)
                 for classification in ("public", "internal", "confidential", "secret")]
    granted = factories.UserFactory(role=Role.STAFF, department=elsewhere)
    document_permission_grant(actor=owner, document=documents[2], level="view", user=granted)
    users = [
        owner,
        factories.UserFactory(role=Role.SALES, department=sales),
        factories.UserFactory(role=Role.SALES, department=elsewhere),
        factories.UserFactory(role=Role.SALES, department=None),
        factories.UserFactory(role=Role.ADMIN, department=sales),
        factories.UserFactory(role=Role.ADMIN, department=None),
        factories.UserFactory(role=Role.COMPLIANCE, department=elsewhere),
        granted,
    ]
    documents = list(Document.objects.filter(pk__in=[d.pk for d in documents]))
    hits = [Hit(version_id=d.valid_version_id, document_id=d.pk, score=1.0) for d in documents]
    for user in users:
        # when the page is re-checked (prepared once per role/department shape, reused across users)
        page = selectors._visible_page_versions(user, hits)
        # then it holds exactly the versions visible() allows, with their documents and uploaders
        allowed = set(
            DocumentVersion.objects.filter(
                pk__in=[hit.version_id for hit in hits],
                document_id__in=visible(user, Document.objects.all(), Action.VIEW).values("pk"),
            ).values_list("pk", flat=True)
        )
        assert set(page) == allowed, user.role
        for version in page.values():
            assert version.document.pk == version.document_id
            assert version.uploaded_by.pk == version.uploaded_by_id == owner.pk
    # and the prepared path was the one taken for active staff
    assert selectors._prepared_page("default", connection.vendor, Role.ADMIN.value, False, len(hits),
                                    len(hits)) is not None


def test_an_inactive_or_portal_user_never_uses_a_prepared_page():
    owner = factories.UserFactory(role=Role.SALES)
    document = factories.document(owner, classification="public")
    hits = [Hit(version_id=document.valid_version_id, document_id=document.pk, score=1.0)]
    owner.is_active = False
    assert selectors._visible_page_versions(owner, hits) == {}


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
