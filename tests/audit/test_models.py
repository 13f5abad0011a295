"""The audit table is append-only: in the model layer everywhere, and in PostgreSQL itself."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from backend.audit.errors import AuditImmutable
from backend.audit.events import DOCUMENT_VIEWED
from backend.audit.models import AuditEvent
from backend.audit.services import record

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(actor):
    return record(DOCUMENT_VIEWED, actor=actor, detail={"page": 1})


def test_saving_an_existing_event_is_refused(event):
    # given a stored event, edited in memory
    event.actor_label = "mallory"
    # when it is saved, in full or in part
    # then the model refuses
    with pytest.raises(AuditImmutable):
        event.save()
    with pytest.raises(AuditImmutable):
        event.save(update_fields=["actor_label"])
    assert AuditEvent.objects.get(pk=event.pk).actor_label == "alice"


def test_saving_a_loaded_event_is_refused(event):
    # given an event loaded from the database
    loaded = AuditEvent.objects.get(pk=event.pk)
    # when it is saved unchanged
    # then the model refuses
    with pytest.raises(AuditImmutable):
        loaded.save()


def test_deleting_an_event_is_refused(event):
    # given a stored event
    # when it is deleted
    # then the model refuses and the row stays
    with pytest.raises(AuditImmutable):
        event.delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_queryset_update_delete_and_bulk_update_are_refused(event):
    # given a stored event
    events = AuditEvent.objects.filter(pk=event.pk)
    # when the queryset or manager tries to change or remove it in bulk
    # then each is refused
    with pytest.raises(AuditImmutable):
        events.update(outcome="failure")
    with pytest.raises(AuditImmutable):
        events.delete()
    with pytest.raises(AuditImmutable):
        AuditEvent.objects.all().delete()
    event.outcome = "failure"
    with pytest.raises(AuditImmutable):
        AuditEvent.objects.bulk_update([event], ["outcome"])
    assert AuditEvent.objects.get(pk=event.pk).outcome == "success"


def test_update_or_create_cannot_overwrite_an_event(event):
    # given a stored event
    # when update_or_create finds it and tries to change it
    # then the model refuses
    with pytest.raises(AuditImmutable):
        AuditEvent.objects.update_or_create(pk=event.pk, defaults={"actor_label": "mallory"})


def _raw(sql: str, params=()) -> None:
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql.replace("{table}", table), params)


def test_postgresql_refuses_raw_update_delete_and_truncate(event):
    assert connection.vendor == "postgresql"  # the suite's database; the triggers exist there only
    # given a stored event and a session that has not opted in to truncation
    _raw("SET LOCAL dossier.audit_allow_truncate = 'off'")

    # when raw SQL tries to change or remove it
    # then the database refuses each statement
    with pytest.raises(DatabaseError, match="append-only: UPDATE refused"):
        _raw("UPDATE {table} SET actor_label = 'mallory' WHERE id = %s", [event.pk])
    with pytest.raises(DatabaseError, match="append-only: DELETE refused"):
        _raw("DELETE FROM {table} WHERE id = %s", [event.pk])
    with pytest.raises(DatabaseError, match="append-only: TRUNCATE refused"):
        _raw("TRUNCATE {table}")
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.actor_label == "alice"
    assert stored.compute_hash() == stored.hash


def test_postgresql_allows_truncate_only_for_a_session_that_opts_in(event, actor):
    assert connection.vendor == "postgresql"  # the suite's database; the triggers exist there only
    # given a session that opted in (as the test suite's flush does)
    _raw("SET LOCAL dossier.audit_allow_truncate = 'on'")

    # when it truncates the table
    _raw("TRUNCATE {table}")

    # then the table is empty, yet UPDATE and DELETE of a new event are still refused
    assert not AuditEvent.objects.exists()
    fresh = record(DOCUMENT_VIEWED, actor=actor)
    with pytest.raises(DatabaseError, match="append-only: UPDATE refused"):
        _raw("UPDATE {table} SET outcome = 'failure' WHERE id = %s", [fresh.pk])
    with pytest.raises(DatabaseError, match="append-only: DELETE refused"):
        _raw("DELETE FROM {table}")
