"""Fixtures for the audit tests."""

from __future__ import annotations

import pytest
from django.db import connection

from backend.accounts.models import Role
from backend.audit.models import AuditEvent


@pytest.fixture
def actor(db):
    # Built directly, not through accounts.user_create: these tests count the trail from its first event.
    from tests.factories import UserFactory

    return UserFactory(username="alice", display_name="Alice Auditor", role=Role.STAFF, department=None)


@pytest.fixture
def tamper(db):
    """Run raw SQL against the audit table as an attacker with database access would.

    On PostgreSQL the append-only triggers are disabled for the statement and
    enabled again; the test's transaction keeps it all private.
    """
    table = connection.ops.quote_name(AuditEvent._meta.db_table)

    def run(sql: str, params: tuple = ()) -> None:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            cursor.execute(sql.replace("{table}", table), params)
            if connection.vendor == "postgresql":
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")

    return run


@pytest.fixture
def audit_truncate_allowed(transactional_db):
    """Transactional tests end with Django's flush, which TRUNCATEs the audit table.

    The PostgreSQL trigger refuses that unless the session opts in. The
    setting lives on this connection until it closes, which is after the flush.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET dossier.audit_allow_truncate = 'on'")
