"""record() outside any transaction (a recorded read, such as a search): the event is a transaction of its own,
sent on PostgreSQL as two query texts (`BEGIN; <lock the head>`, then `INSERT ...; COMMIT`), and nothing is left
open or locked when it fails."""

from __future__ import annotations

import threading

import pytest
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from psycopg.pq import TransactionStatus

from backend.audit.events import DOCUMENT_VIEWED
from backend.audit.models import AuditEvent, ChainHead
from backend.audit.selectors import audit_chain_verify
from backend.audit.services import record

pytestmark = pytest.mark.django_db(transaction=True)


class Boom(Exception):
    pass


def _idle() -> bool:
    return connection.connection.info.transaction_status == TransactionStatus.IDLE


def _record_from_another_connection(results: list) -> None:
    try:
        results.append(record(DOCUMENT_VIEWED, actor=None, detail={"from": "elsewhere"}))
    except BaseException as exc:  # noqa: BLE001 - reported by the test
        results.append(exc)
    finally:
        connection.close()


def _head_is_free() -> bool:
    """Another connection can take the chain lock (within 10 s): nothing holds the head row."""
    results: list = []
    thread = threading.Thread(target=_record_from_another_connection, args=(results,))
    thread.start()
    thread.join(timeout=10)
    return not thread.is_alive() and len(results) == 1 and isinstance(results[0], AuditEvent)


def test_an_event_outside_a_transaction_is_its_own_transaction_in_two_round_trips(audit_truncate_allowed):
    assert connection.vendor == "postgresql"  # the suite's database
    # given a trail with an event (and so a head row) and a connection in autocommit mode
    first = record(DOCUMENT_VIEWED, actor=None, detail={"n": 1})
    assert connection.get_autocommit() and not connection.in_atomic_block

    # when another event is recorded outside any transaction
    with CaptureQueriesContext(connection) as queries:
        second = record(DOCUMENT_VIEWED, actor=None, detail={"n": 2, "q": "报价 100% 'x'"})

    # then it took two query texts: the transaction's start with the chain lock, the insert with the commit
    sql = [query["sql"] for query in queries.captured_queries]
    assert len(sql) == 2
    assert sql[0].startswith("BEGIN; SELECT") and "FOR UPDATE" in sql[0]
    assert sql[1].startswith("INSERT INTO") and sql[1].endswith("; COMMIT")
    # and the connection is back in autocommit with nothing open
    assert _idle() and connection.get_autocommit()
    # and the stored event is the one returned, chained onto the first, and the head names it
    stored = AuditEvent.objects.get(pk=second.pk)
    assert (stored.id, stored.prev_hash, stored.hash) == (first.id + 1, first.hash, second.hash)
    assert stored.detail == {"n": 2, "q": "报价 100% 'x'"}
    assert stored.compute_hash() == stored.hash
    assert not second._state.adding
    head = ChainHead.objects.get()
    assert (head.last_id, head.last_hash) == (second.id, second.hash)
    assert audit_chain_verify().ok


def test_a_missing_head_is_rebuilt_in_the_same_transaction(audit_truncate_allowed):
    # given events, then the head row gone
    first = record(DOCUMENT_VIEWED, actor=None)
    ChainHead.objects.all().delete()

    # when the next event is recorded outside a transaction
    second = record(DOCUMENT_VIEWED, actor=None)

    # then it chains onto the newest event and the connection is idle
    assert (second.id, second.prev_hash) == (first.id + 1, first.hash)
    assert _idle()
    assert audit_chain_verify().ok


def test_a_failure_after_the_lock_rolls_back_and_frees_the_head(audit_truncate_allowed, monkeypatch):
    # given a trail with an event, and hashing that fails once the head row is locked
    first = record(DOCUMENT_VIEWED, actor=None)

    def fail(self):
        raise Boom

    monkeypatch.setattr(AuditEvent, "compute_hash", fail)

    # when an event is recorded outside a transaction
    with pytest.raises(Boom):
        record(DOCUMENT_VIEWED, actor=None)
    monkeypatch.undo()

    # then the transaction was rolled back: nothing written, the connection idle, the chain lock free
    assert _idle()
    assert list(AuditEvent.objects.values_list("id", flat=True)) == [first.id]
    assert _head_is_free()
    assert audit_chain_verify().ok


def test_an_insert_the_database_refuses_rolls_back_and_frees_the_head(audit_truncate_allowed, monkeypatch):
    # given a trail with an event, and a next event that would repeat its hash (the hash is unique)
    first = record(DOCUMENT_VIEWED, actor=None)
    monkeypatch.setattr(AuditEvent, "compute_hash", lambda self: first.hash)

    # when it is recorded outside a transaction
    with pytest.raises(IntegrityError):
        record(DOCUMENT_VIEWED, actor=None)
    monkeypatch.undo()

    # then the commit that followed the insert never ran, the transaction was rolled back, and the head is free
    assert _idle()
    assert list(AuditEvent.objects.values_list("id", flat=True)) == [first.id]
    assert _head_is_free()
    assert audit_chain_verify().ok
