"""record_many's faster hashing (services._BatchHasher) hashes exactly the bytes of models.canonical_bytes, for
every kind of value an event holds, so old events, single events and batch events verify alike."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from backend.audit.events import DOCUMENT_ACCESS_DENIED, DOCUMENT_VIEWED
from backend.audit.models import GENESIS_HASH, AuditEvent, canonical_bytes, canonical_json_value, compute_hash
from backend.audit.services import Entry, _BatchHasher, record, record_many

pytestmark = pytest.mark.django_db

AWKWARD_TEXTS = ["", "plain", 'quote " and \\ backslash', "合同 № 7 — «ok»", "tab\tnew\nline\r\x01\x1f",
                 "emoji 😀 and \u2028\u2029 separators", "/slash/", "\x7f del"]
AWKWARD_DETAILS = [
    {},
    {"n": 1, "f": 1.5, "whole": 2.0, "big": 10**30, "neg": -0.25, "tiny": 1e-300, "huge": 1e300},
    {"名": "合同", "nested": {"b": [1, "二", None, True, False], "a": {"z": {}, "y": []}}},
    {"amount": Decimal("1.50"), "when": dt.datetime(2026, 1, 2, 3, 4, 5, 600000, tzinfo=dt.timezone.utc),
     "day": dt.date(2026, 2, 3), 7: "seven", "none": None},
    {"b": 1, "a": 2, "B": 3, "_": 4, "é": 5, "aa": 6},
]


def _events(occurred_at) -> list[AuditEvent]:
    events = []
    prev = GENESIS_HASH
    n = 0
    for text in AWKWARD_TEXTS:
        for detail in AWKWARD_DETAILS:
            for ip in (None, "192.0.2.1", "2001:db8::1", "::ffff:192.0.2.1"):
                n += 1
                event = AuditEvent(
                    id=n, occurred_at=occurred_at, event_type=DOCUMENT_VIEWED if n % 2 else DOCUMENT_ACCESS_DENIED,
                    actor_id=None if n % 3 == 0 else n % 5, actor_label=text if n % 4 else "alice", ip=ip,
                    user_agent=text, request_id=text[:64], target_type="crm.customer" if n % 2 else "",
                    target_id=str(n) if n % 3 else text, target_label=text,
                    customer_id=None if n % 2 else n * 1000, outcome="success" if n % 2 else "denied",
                    detail=canonical_json_value(detail), prev_hash=prev)
                prev = event.hash = compute_hash(event.hashed_values())
                events.append(event)
    return events


@pytest.mark.parametrize("occurred_at", [
    dt.datetime(2026, 12, 7, 15, 0, 0, 0, tzinfo=dt.timezone.utc),
    dt.datetime(2026, 12, 7, 23, 59, 59, 999999, tzinfo=dt.timezone(dt.timedelta(hours=8))),
])
def test_the_batch_hasher_hashes_the_bytes_canonical_bytes_gives(occurred_at):
    # given events with every awkward value a field can hold, hashed one by one as record() hashes
    events = _events(occurred_at)
    hasher = _BatchHasher(occurred_at)

    # when the batch hasher hashes them
    # then it hashes the very same bytes, to the very same hash
    for event in events:
        assert hasher.canonical_bytes(event) == canonical_bytes(event.hashed_values())
        assert hasher.hash(event) == event.hash


def test_the_batch_hasher_refuses_an_event_of_another_time():
    # given a hasher for one batch's time
    hasher = _BatchHasher(timezone.now())
    event = _events(timezone.now() - dt.timedelta(seconds=1))[0]

    # when it is asked to hash an event of another time, then it refuses rather than hashing a wrong time
    with pytest.raises(ValueError):
        hasher.hash(event)


def test_events_of_record_and_record_many_verify_together(actor):
    # given a trail of single events and batches interleaved, with awkward details
    record(DOCUMENT_VIEWED, actor=actor, detail=AWKWARD_DETAILS[3])
    record_many([Entry(DOCUMENT_VIEWED, actor=actor, target=actor, detail=detail, customer_id=9)
                 for detail in AWKWARD_DETAILS])
    record(DOCUMENT_ACCESS_DENIED, actor=None, outcome="denied", detail={"text": AWKWARD_TEXTS[5]})
    record_many([Entry(DOCUMENT_ACCESS_DENIED, actor=None, outcome="denied", target_label=text, target_type="x",
                       target_id=text[:10]) for text in AWKWARD_TEXTS])
    out = StringIO()

    # when audit_verify checks the chain
    call_command("audit_verify", stdout=out)

    # then it is intact, and every stored event's hash is what the model computes from its stored values
    total = 2 + len(AWKWARD_DETAILS) + len(AWKWARD_TEXTS)
    assert out.getvalue().strip() == f"OK: {total} events, chain intact"
    for stored in AuditEvent.objects.all():
        assert stored.compute_hash() == stored.hash
