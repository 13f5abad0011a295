"""record_many: a batch of events appended to the chain at once (an import's thousands of records), hashed
exactly as record() one by one would, so that the chain verification and audit_verify accept it and find
any event of it rewritten or removed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from backend.audit.context import RequestContext, reset_request_context, set_request_context
from backend.audit.events import DOCUMENT_ACCESS_DENIED, DOCUMENT_VIEWED
from backend.audit.models import GENESIS_HASH, AuditEvent, ChainHead
from backend.audit.selectors import audit_chain_verify
from backend.audit.services import Entry, record, record_many
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def request_context():
    """Set the request context by hand, as the middleware would."""
    tokens = []

    def use(**values):
        tokens.append(set_request_context(RequestContext(**values)))

    yield use
    for token in reversed(tokens):
        reset_request_context(token)


def _entries(actor, count: int, **extra) -> list[Entry]:
    return [Entry(DOCUMENT_VIEWED, actor=actor, detail={"n": n, "amount": Decimal("1.50"), "名": "合同"}, **extra)
            for n in range(count)]


def test_a_batch_between_single_events_makes_one_chain_that_verifies(actor):
    # given an event recorded alone
    first = record(DOCUMENT_VIEWED, actor=actor)

    # when a batch is appended, then another single event
    batch = record_many(_entries(actor, 5) + [Entry(DOCUMENT_ACCESS_DENIED, actor=actor, outcome="denied")])
    last = record(DOCUMENT_VIEWED, actor=actor)

    # then ids run on by one, each event points at the one before, and the chain verifies
    ids = [first.id] + [event.id for event in batch] + [last.id]
    assert ids == list(range(first.id, first.id + 8))
    assert batch[0].prev_hash == first.hash and last.prev_hash == batch[-1].hash
    assert all(b.prev_hash == a.hash for a, b in zip(batch, batch[1:]))
    assert audit_chain_verify().ok
    # and each stored event's hash is what its stored values give (the database round trip kept them)
    for stored in AuditEvent.objects.filter(id__in=[event.id for event in batch]):
        assert stored.compute_hash() == stored.hash
    # and the head row names the newest event
    head = ChainHead.objects.get()
    assert (head.last_id, head.last_hash) == (last.id, last.hash)


def test_audit_verify_accepts_a_trail_made_by_batches(actor):
    # given a trail written by two batches on an empty table
    record_many(_entries(actor, 3))
    record_many(_entries(actor, 4))
    out = StringIO()

    # when the command verifies it
    call_command("audit_verify", stdout=out)

    # then it is intact
    assert out.getvalue().strip() == "OK: 7 events, chain intact"


def test_a_batch_event_holds_what_record_would_have_stored(actor, request_context):
    # given a request's context and a target
    request_context(ip="::FFFF:192.0.2.1", user_agent="agent/1", request_id="r-9")
    target = UserFactory(username="bob")
    when = dt.datetime(2026, 1, 2, 3, 4, 5, 600000, tzinfo=dt.timezone.utc)
    arguments = {"actor": actor, "target": target, "customer_id": 42, "detail": {"when": when, 7: "seven"}}

    # when the same event is recorded alone and in a batch
    single = AuditEvent.objects.get(pk=record(DOCUMENT_VIEWED, **arguments).pk)
    batched = AuditEvent.objects.get(pk=record_many([Entry(DOCUMENT_VIEWED, **arguments)])[0].pk)

    # then every stored field but the chain's own is the same
    same = ("event_type", "actor_id", "actor_label", "ip", "user_agent", "request_id", "target_type", "target_id",
            "target_label", "customer_id", "outcome", "detail")
    assert {name: getattr(batched, name) for name in same} == {name: getattr(single, name) for name in same}
    assert batched.ip == "::ffff:192.0.2.1" and batched.detail == {"when": "2026-01-02T03:04:05.600Z", "7": "seven"}


def test_a_rewritten_or_removed_batch_event_breaks_the_chain(actor, tamper):
    # given a trail made by a batch
    batch = record_many(_entries(actor, 6))
    assert audit_chain_verify().ok

    # when someone rewrites the detail of its third event
    tamper("UPDATE {table} SET detail = '{\"n\": 99}' WHERE id = %s", (batch[2].id,))

    # then the verification names that event
    result = audit_chain_verify(batch_size=4)
    assert not result.ok and result.first_bad_id == batch[2].id


def test_a_relinked_batch_event_breaks_the_chain(actor, tamper):
    # given a trail made by a batch
    batch = record_many(_entries(actor, 4))

    # when someone points its third event past the second (as a removal would have to)
    tamper("UPDATE {table} SET prev_hash = %s WHERE id = %s", (batch[0].hash, batch[2].id))

    # then the verification names that event
    result = audit_chain_verify()
    assert not result.ok and result.first_bad_id == batch[2].id


def test_one_wrong_entry_writes_nothing(actor):
    # given a batch whose last entry names an unregistered event type
    entries = _entries(actor, 3) + [Entry("no.such.event", actor=actor)]

    # then the batch is refused as record() refuses it, and the trail stays empty
    with pytest.raises(ValueError, match="unknown audit event type"):
        record_many(entries)
    assert not AuditEvent.objects.exists()


def test_a_batch_rolls_back_with_the_callers_transaction(actor):
    class Boom(Exception):
        pass

    # when the caller's transaction fails after the batch
    with pytest.raises(Boom):
        with transaction.atomic():
            record_many(_entries(actor, 3))
            raise Boom

    # then the batch is gone and the next event starts the chain
    assert not AuditEvent.objects.exists()
    assert record(DOCUMENT_VIEWED, actor=actor).prev_hash == GENESIS_HASH


def test_a_batch_costs_the_same_statements_however_many_events_it_holds(actor):
    # given a trail with a head
    record(DOCUMENT_VIEWED, actor=actor)

    # when a batch of 2 and a batch of 300 are recorded
    with CaptureQueriesContext(connection) as small:
        record_many(_entries(actor, 2))
    with CaptureQueriesContext(connection) as large:
        record_many(_entries(actor, 300))

    # then both lock the chain once and write in one go
    assert len(large.captured_queries) == len(small.captured_queries) <= 2
    assert AuditEvent.objects.count() == 303 and audit_chain_verify(batch_size=100).ok


def test_audit_disabled_makes_record_many_a_no_op(actor, settings):
    settings.AUDIT_ENABLED = False
    assert record_many(_entries(actor, 3)) == []
    assert not AuditEvent.objects.exists()


def test_a_batch_without_its_events_returned_is_the_same_chain(actor):
    # given two batches of the same entries, one returning its events and one only their count
    returned = record_many(_entries(actor, 3))
    count = record_many(_entries(actor, 3), return_events=False)

    # then the second says how many it wrote, and stored the same values after the first, on one chain
    assert count == 3
    stored = list(AuditEvent.objects.order_by("id"))
    assert [e.id for e in stored[:3]] == [e.id for e in returned]
    assert [(e.event_type, e.detail, e.prev_hash == p.hash) for p, e in zip(stored[2:], stored[3:])] == [
        (DOCUMENT_VIEWED, {"n": n, "amount": "1.50", "名": "合同"}, True) for n in range(3)]
    assert audit_chain_verify().ok
    assert record_many([], return_events=False) == 0


class _Level(int):
    """An int subclass (as an IntEnum is): canonical_json_value makes it a plain int."""


@pytest.mark.parametrize("detail", [
    {"name": "甲", "n": 3, "ok": True, "none": None},
    {"n": _Level(2), "flag": False},
    {"nested": {"a": [1, 2.0, "x"]}, "amount": Decimal("1.50")},
    {"when": dt.date(2026, 12, 7), 5: "a key that is not text"},
    {"float": 2.5, "whole": 3.0},
])
def test_a_batchs_detail_is_stored_and_hashed_in_its_canonical_form(actor, detail):
    from backend.audit.models import canonical_json_value

    # when an event with this detail is recorded in a batch (plain details take a shortcut to that form)
    record_many([Entry(DOCUMENT_VIEWED, actor=actor, detail=detail)], return_events=False)

    # then it is stored as canonical_json_value() gives it, and the chain verifies
    assert AuditEvent.objects.get().detail == canonical_json_value(detail)
    assert audit_chain_verify().ok
