"""manage.py audit_verify."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from backend.audit.events import AUDIT_CHAIN_VERIFIED, DOCUMENT_VIEWED
from backend.audit.models import AuditEvent
from backend.audit.services import record

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_events(actor):
    return [record(DOCUMENT_VIEWED, actor=actor, detail={"n": n}) for n in range(3)]


def test_intact_chain_prints_ok_and_records_the_check(three_events):
    # given three untouched events
    out = StringIO()

    # when the command runs
    call_command("audit_verify", stdout=out)

    # then it reports them all intact (exit status 0: no exception)
    assert out.getvalue().strip() == "OK: 3 events, chain intact"
    # and the check itself is appended to the trail, by nobody, as a success
    check = AuditEvent.objects.order_by("-id").first()
    assert (check.event_type, check.actor_id, check.outcome) == (AUDIT_CHAIN_VERIFIED, None, "success")
    assert check.prev_hash == three_events[-1].hash
    assert check.detail["checked"] == 3
    # and a second run counts the recorded check too
    again = StringIO()
    call_command("audit_verify", stdout=again)
    # ... and compares the table with the checkpoint the first run signed (head #4: the first check)
    assert again.getvalue().startswith("OK: 4 events, chain intact; it matches the checkpoint of ")
    assert again.getvalue().strip().endswith(f"(#{check.id})")


def test_broken_chain_prints_the_first_bad_event_and_exits_non_zero(three_events, tamper):
    # given someone rewrote the second event
    tamper("UPDATE {table} SET outcome = 'failure' WHERE id = %s", (three_events[1].id,))
    out = StringIO()

    # when the command runs
    with pytest.raises(SystemExit) as exit_info:
        call_command("audit_verify", "--batch-size", "2", stdout=out)

    # then it exits with status 1 and names the event
    assert exit_info.value.code == 1
    assert out.getvalue().startswith(f"BROKEN at event #{three_events[1].id}: ")
    # and the failed check is on the record
    check = AuditEvent.objects.order_by("-id").first()
    assert (check.event_type, check.outcome) == (AUDIT_CHAIN_VERIFIED, "failure")
    assert check.detail["first_bad_id"] == three_events[1].id
