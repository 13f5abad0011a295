"""audit.services.record(): what one event holds and how events chain."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.http import HttpResponse

from backend.accounts.models import User
from tests.factories import UserFactory
from backend.audit.context import RequestContext, reset_request_context, set_request_context
from backend.audit.events import AUDIT_CHAIN_VERIFIED, DOCUMENT_ACCESS_DENIED, DOCUMENT_VIEWED
from backend.audit.middleware import RequestContextMiddleware
from backend.audit.models import GENESIS_HASH, AuditEvent, ChainHead, compute_hash
from backend.audit.selectors import audit_chain_verify, audit_events_for_target
from backend.audit.services import record

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


def test_record_takes_ip_user_agent_and_request_id_from_the_middleware(rf, actor):
    # given a request with a client address, a user agent and a request id
    request = rf.get(
        "/documents/7/",
        REMOTE_ADDR="203.0.113.7",
        HTTP_USER_AGENT="Mozilla/5.0 (audit test)",
        HTTP_X_REQUEST_ID="req-0042",
    )
    seen = {}

    def view(req):
        seen["event"] = record(DOCUMENT_VIEWED, actor=actor, target_type="documents.document", target_id="7")
        return HttpResponse("ok")

    # when the request passes through the middleware to a view that records an event
    response = RequestContextMiddleware(view)(request)

    # then the stored event carries the request's context and the response echoes the id
    event = AuditEvent.objects.get(pk=seen["event"].pk)
    assert event.ip == "203.0.113.7"
    assert event.user_agent == "Mozilla/5.0 (audit test)"
    assert event.request_id == "req-0042"
    assert response["X-Request-ID"] == "req-0042"
    # and after the request the context is empty again
    outside = record(DOCUMENT_VIEWED, actor=actor)
    assert (outside.ip, outside.user_agent, outside.request_id) == (None, "", "")


def test_middleware_makes_up_a_request_id_when_the_client_sends_none_or_junk(rf, actor):
    # given a request whose X-Request-ID is not a plausible id
    request = rf.get("/", HTTP_X_REQUEST_ID="<script>alert(1)</script>")
    seen = {}

    def view(req):
        seen["event"] = record(DOCUMENT_VIEWED, actor=actor)
        return HttpResponse("ok")

    # when it passes through the middleware
    response = RequestContextMiddleware(view)(request)

    # then a fresh id is used for both the event and the response
    assert len(seen["event"].request_id) == 32
    assert response["X-Request-ID"] == seen["event"].request_id


def test_first_event_starts_the_chain_and_each_next_event_links_to_the_previous(actor):
    # given an empty trail
    assert not AuditEvent.objects.exists()

    # when three events are recorded
    first = record(DOCUMENT_VIEWED, actor=actor)
    second = record(DOCUMENT_VIEWED, actor=actor)
    third = record(DOCUMENT_ACCESS_DENIED, actor=actor, outcome="denied")

    # then ids run on by one, the first points at the genesis hash and each next at its predecessor
    assert [second.id, third.id] == [first.id + 1, first.id + 2]
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash
    assert third.prev_hash == second.hash
    assert len({first.hash, second.hash, third.hash}) == 3
    assert audit_chain_verify().ok


def test_hash_survives_the_database_round_trip_for_awkward_values(actor, request_context):
    # given an IPv4-mapped IPv6 client and a detail full of values JSON has no type for
    request_context(ip="::FFFF:192.0.2.1", user_agent="agent/1 合同", request_id="r-1")
    detail = {
        "amount": Decimal("12.50"),
        "version_uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "when": dt.datetime(2024, 2, 29, 23, 59, 59, 123456, tzinfo=dt.timezone.utc),
        "ratio": 0.1,
        "huge": 1e300,
        "whole": 1.0,
        "tiny": 1e-7,
        "nested": {"list": [1, "两", None, True, {"b": 2, "a": 1}]},
        7: "int key",
        "title": "季度报告 — résumé",
    }

    # when it is recorded and read back
    event = record(DOCUMENT_VIEWED, actor=actor, detail=detail)
    stored = AuditEvent.objects.get(pk=event.pk)

    # then the hash recomputed from the stored row is the one written, and the chain verifies
    assert stored.compute_hash() == stored.hash == event.hash
    assert stored.detail["amount"] == "12.50"
    assert stored.detail["whole"] == 1
    assert stored.detail["7"] == "int key"
    assert audit_chain_verify().ok


def test_unknown_event_type_is_rejected_and_nothing_is_written(actor):
    # given a name nobody registered
    # when it is recorded
    # then record() refuses it
    with pytest.raises(ValueError, match="unknown audit event type"):
        record("document.teleported", actor=actor)
    assert not AuditEvent.objects.exists()


def test_unknown_outcome_is_rejected(actor):
    # given an outcome outside success/denied/failure
    # when it is recorded
    # then record() refuses it
    with pytest.raises(ValueError, match="outcome"):
        record(DOCUMENT_VIEWED, actor=actor, outcome="maybe")


def test_a_model_target_fills_type_id_and_label(actor):
    # given a saved model instance as the target
    subject = UserFactory(username="bob", display_name="Bob Target", department=None)  # no event of its own

    # when an event about it is recorded
    event = record(DOCUMENT_VIEWED, actor=actor, target=subject, customer_id=99)

    # then the target is named by app label, model name, primary key and str()
    assert (event.target_type, event.target_id, event.target_label) == (
        "accounts.user",
        str(subject.pk),
        "Bob Target",
    )
    assert event.customer_id == 99
    assert list(audit_events_for_target(target_type="accounts.user", target_id=subject.pk)) == [event]


def test_actor_is_snapshotted_and_system_events_have_none(actor):
    # given a user, an anonymous visitor and the system
    # when each records an event
    by_user = record(DOCUMENT_VIEWED, actor=actor)
    by_anonymous = record(DOCUMENT_ACCESS_DENIED, actor=AnonymousUser(), outcome="denied")
    by_system = record(AUDIT_CHAIN_VERIFIED, actor=None)

    # then only the user is named
    assert (by_user.actor_id, by_user.actor_label) == (actor.pk, "alice")
    assert (by_anonymous.actor_id, by_anonymous.actor_label) == (None, "")
    assert (by_system.actor_id, by_system.actor_label) == (None, "")


def test_deleting_the_actor_leaves_the_event_untouched(actor):
    # given an event recorded by a user
    event = record(DOCUMENT_VIEWED, actor=actor)
    actor_id = actor.pk

    # when the user is deleted
    User.objects.filter(pk=actor_id).delete()

    # then the event still names them and the chain is intact
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.actor_id, stored.actor_label) == (actor_id, "alice")
    assert audit_chain_verify().ok


def test_long_values_are_cut_to_fit_instead_of_failing_the_callers_write(actor, request_context):
    # given a huge user agent and a long label
    request_context(ip="not-an-ip", user_agent="x" * 5000, request_id="r")

    # when an event is recorded
    event = record(DOCUMENT_VIEWED, actor=actor, target_type="documents.document", target_id="1", target_label="y" * 999)

    # then it is stored, cut to the column sizes, and an unparsable address is dropped
    stored = AuditEvent.objects.get(pk=event.pk)
    assert len(stored.user_agent) == 400
    assert len(stored.target_label) == 200
    assert stored.ip is None
    assert stored.compute_hash() == stored.hash


def test_event_rolls_back_with_the_callers_transaction(actor):
    # given a caller's transaction that records an event and then fails
    class Boom(Exception):
        pass

    # when the transaction rolls back
    with pytest.raises(Boom):
        with transaction.atomic():
            record(DOCUMENT_VIEWED, actor=actor)
            raise Boom

    # then the event is gone too, and the next event reuses its place in the chain
    assert not AuditEvent.objects.exists()
    event = record(DOCUMENT_VIEWED, actor=actor)
    assert event.prev_hash == GENESIS_HASH
    assert audit_chain_verify().ok


def test_recording_does_not_open_a_savepoint_inside_the_callers_transaction(actor, django_assert_num_queries):
    # given a trail with a head (a flushed test database has none until the first event rebuilds it)
    record(DOCUMENT_VIEWED, actor=actor)
    # and a caller already inside a transaction
    with transaction.atomic():
        # when an event is recorded
        # then it costs two statements and nothing else: the head row locked and read, and the insert
        with django_assert_num_queries(2):
            record(DOCUMENT_VIEWED, actor=actor)


def test_the_head_row_follows_every_event(actor):
    # given two recorded events
    record(DOCUMENT_VIEWED, actor=actor)
    second = record(DOCUMENT_VIEWED, actor=actor)

    # then the head row names the newest one
    head = ChainHead.objects.get()
    assert (head.last_id, head.last_hash) == (second.id, second.hash)


def test_a_missing_head_row_is_rebuilt_from_the_newest_event(actor):
    # given events, then the head row gone (as after a flush of that table alone)
    first = record(DOCUMENT_VIEWED, actor=actor)
    ChainHead.objects.all().delete()

    # when the next event is recorded
    second = record(DOCUMENT_VIEWED, actor=actor)

    # then it chains onto the newest event
    assert (second.id, second.prev_hash) == (first.id + 1, first.hash)
    assert audit_chain_verify().ok


def test_a_head_behind_the_events_moves_up_and_never_back(actor):
    # given a head row that says less than the table holds (events added while triggers were off)
    first = record(DOCUMENT_VIEWED, actor=actor)
    second = record(DOCUMENT_VIEWED, actor=actor)
    ChainHead.objects.update(last_id=first.id, last_hash=first.hash)

    # when the next event is recorded
    third = record(DOCUMENT_VIEWED, actor=actor)

    # then it chains onto the newest event, not onto the stale head
    assert (third.id, third.prev_hash) == (second.id + 1, second.hash)
    assert audit_chain_verify().ok


def test_audit_disabled_makes_record_a_no_op(actor, settings):
    # given auditing switched off (benchmarks only)
    settings.AUDIT_ENABLED = False

    # when an event is recorded
    result = record(DOCUMENT_VIEWED, actor=actor)

    # then nothing is written
    assert result is None
    assert not AuditEvent.objects.exists()


def test_compute_hash_covers_every_stored_field_but_the_hash(actor):
    # given a recorded event
    event = record(DOCUMENT_VIEWED, actor=actor, detail={"a": 1})
    values = event.hashed_values()
    stored_fields = {f.attname for f in AuditEvent._meta.concrete_fields} - {"hash"}

    # when any one field changes
    # then the hash changes
    assert set(values) == stored_fields
    changes = {
        "id": event.id + 1,
        "occurred_at": event.occurred_at + dt.timedelta(microseconds=1),
        "event_type": "document.deleted",
        "actor_id": 999_999,
        "actor_label": "mallory",
        "ip": "192.0.2.99",
        "user_agent": "other",
        "request_id": "other",
        "target_type": "documents.document",
        "target_id": "2",
        "target_label": "other",
        "customer_id": 5,
        "outcome": "failure",
        "detail": {"a": 2},
        "prev_hash": "f" * 64,
    }
    assert set(changes) == stored_fields
    for name, value in changes.items():
        assert compute_hash({**values, name: value}) != event.hash, name
