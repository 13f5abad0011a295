"""Compliance alerts computed from the audit trail: many downloads, repeated refusals, secret documents read
after hours, a failed chain verification, a missing checkpoint; each raised once, to compliance."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from backend.accounts.models import Role
from backend.audit import services as audit
from backend.audit.alerts import (
    RULE_AFTER_HOURS,
    RULE_CHAIN,
    RULE_CHECKPOINT,
    RULE_DENIALS,
    RULE_DOWNLOADS,
    burst_triggers,
    compliance_alerts_scan,
    outside_working_hours,
)
from backend.audit.checkpoints import checkpoint_write
from backend.audit.models import AuditEvent
from backend.documents.models import Document
from backend.notifications.models import Notification
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

MINUTE = dt.timedelta(minutes=1)


@pytest.fixture
def officer(db):
    return UserFactory(username="zhao.jing", role=Role.COMPLIANCE)


@pytest.fixture
def rep(db):
    return UserFactory(username="li.lei", role=Role.SALES)


def _downloads(user, n, document_id="7"):
    for _ in range(n):
        audit.record("document.version.downloaded", actor=user, target_type="documents.document",
                     target_id=document_id, target_label="Price list", detail={"version": 1})


def _alerts(rule=None):
    events = AuditEvent.objects.filter(event_type="audit.alert.raised").order_by("id")
    return [e for e in events if rule is None or e.detail["rule"] == rule]


# --- the burst rules -----------------------------------------------------------------------------------


def test_many_downloads_by_one_user_alert_compliance_once(settings, officer, rep):
    # given the rule is 5 downloads within 10 minutes, and a colleague downloads only 4
    settings.COMPLIANCE_ALERT_DOWNLOADS, settings.COMPLIANCE_ALERT_DOWNLOAD_MINUTES = 5, 10
    colleague = UserFactory(username="chen.jing", role=Role.SALES)
    _downloads(colleague, 4)

    # when the rep downloads 6 files and the scan runs twice
    _downloads(rep, 6)
    first = compliance_alerts_scan(checkpoints=False)
    second = compliance_alerts_scan(checkpoints=False)

    # then one alert about the rep is raised and recorded, naming the officers it went to; none again
    assert [(a.rule, a.subject_id, a.detail["count"]) for a in first] == [(RULE_DOWNLOADS, rep.pk, 5)]
    assert second == []
    [event] = _alerts(RULE_DOWNLOADS)
    assert (event.target_type, event.target_id, event.actor_id) == ("accounts.user", str(rep.pk), None)
    assert event.detail["to"] == [officer.username]
    # and the officer has one notification linking to the alert in the console
    [note] = Notification.objects.filter(kind="compliance.alert")
    assert note.recipient == officer and "li.lei" in note.title
    assert note.link == f"/compliance/events/{event.pk}/"


def test_repeated_refusals_alert(settings, officer, rep):
    settings.COMPLIANCE_ALERT_DENIALS, settings.COMPLIANCE_ALERT_DENIAL_MINUTES = 3, 10
    for _ in range(3):
        audit.record("document.access.denied", actor=rep, outcome="denied", target_type="documents.document",
                     target_id="9")

    [alert] = compliance_alerts_scan(checkpoints=False)

    assert (alert.rule, alert.subject_id, alert.detail["count"]) == (RULE_DENIALS, rep.pk, 3)


def test_a_burst_triggers_once_then_only_a_fresh_burst_a_window_later():
    # given a timeline of events one minute apart and a rule of 3 within 5 minutes
    t0 = timezone.now()
    timeline = [(i, t0 + i * MINUTE) for i in range(1, 13)]

    found = burst_triggers(timeline, count=3, window=5 * MINUTE, previous=None, start=t0)

    # then it triggers at the 3rd event, stays quiet for a window, and triggers again on a fresh burst
    assert [(event_id, count) for event_id, _, _, count in found] == [(3, 3), (10, 3)]
    # and a later run that knows the first alert finds only the second
    again = burst_triggers(timeline, count=3, window=5 * MINUTE, previous=(t0 + 3 * MINUTE, 3), start=t0)
    assert [event_id for event_id, *_ in again] == [10]


def test_slow_downloads_never_trigger():
    t0 = timezone.now()
    timeline = [(i, t0 + i * 6 * MINUTE) for i in range(1, 20)]
    assert burst_triggers(timeline, count=2, window=5 * MINUTE, previous=None, start=t0) == []


# --- secret documents after hours ----------------------------------------------------------------------------


def test_working_hours_are_read_in_the_display_time_zone(settings):
    settings.DISPLAY_TIME_ZONE = "Asia/Shanghai"
    settings.COMPLIANCE_WORKING_HOURS, settings.COMPLIANCE_WORKING_DAYS = "08:00-19:00", [1, 2, 3, 4, 5]
    monday_10_shanghai = dt.datetime(2026, 12, 7, 2, 0, tzinfo=dt.timezone.utc)
    monday_22_shanghai = dt.datetime(2026, 12, 7, 14, 0, tzinfo=dt.timezone.utc)
    saturday_10_shanghai = dt.datetime(2026, 12, 12, 2, 0, tzinfo=dt.timezone.utc)
    assert not outside_working_hours(monday_10_shanghai)
    assert outside_working_hours(monday_22_shanghai)
    assert outside_working_hours(saturday_10_shanghai)


def test_reading_a_secret_document_after_hours_alerts_once_a_day(settings, officer, rep):
    # given no working day at all (so now is after hours), a secret and an internal document
    settings.COMPLIANCE_WORKING_DAYS = []
    secret = Document.objects.create(title="并购条款 Merger terms", classification="secret", owner=rep)
    internal = Document.objects.create(title="Price list", classification="internal", owner=rep)

    # when the rep views the secret one twice and the internal one once
    for doc in (secret, secret, internal):
        audit.record("document.viewed", actor=rep, target=doc)
    raised = compliance_alerts_scan(checkpoints=False)
    audit.record("document.version.downloaded", actor=rep, target=secret)
    again = compliance_alerts_scan(checkpoints=False)

    # then one alert for the day names the secret document only, and a later read that day adds none
    [alert] = raised
    assert alert.rule == RULE_AFTER_HOURS and alert.detail["count"] == 2
    assert alert.detail["documents"] == [{"id": str(secret.pk), "title": secret.title}]
    assert again == []


def test_reading_a_secret_document_in_working_hours_is_quiet(settings, officer, rep):
    settings.COMPLIANCE_WORKING_DAYS = [1, 2, 3, 4, 5, 6, 7]
    settings.COMPLIANCE_WORKING_HOURS = "00:00-23:59"
    secret = Document.objects.create(title="Merger terms", classification="secret", owner=rep)
    audit.record("document.viewed", actor=rep, target=secret)
    now = timezone.now()
    if outside_working_hours(now):  # the last minute of the day; the rule itself is tested above
        return
    assert compliance_alerts_scan(now=now, checkpoints=False) == []


# --- the chain and its checkpoints ------------------------------------------------------------------------------


def test_a_failed_chain_verification_alerts_once(officer, rep):
    audit.record("audit.chain.verified", actor=None, outcome="failure",
                 detail={"reason": "event #3 was altered", "first_bad_id": 3})

    [alert] = compliance_alerts_scan(checkpoints=False)
    assert alert.rule == RULE_CHAIN and alert.detail["first_bad_id"] == 3
    assert [n.recipient for n in Notification.objects.filter(kind="compliance.alert")] == [officer]
    assert compliance_alerts_scan(checkpoints=False) == []


def test_a_missing_checkpoint_alerts_once_until_a_new_one_is_signed(settings, officer, rep):
    # given events and no checkpoint at all (and the checkpoints looked at by every scan)
    settings.COMPLIANCE_CHECKPOINT_MAX_AGE_SECONDS = 3600
    settings.COMPLIANCE_CHECKPOINT_CHECK_SECONDS = 0
    audit.record("document.viewed", actor=rep, target_type="documents.document", target_id="1")
    [missing] = compliance_alerts_scan()
    assert missing.rule == RULE_CHECKPOINT and missing.key.endswith(":none")
    assert compliance_alerts_scan() == []

    # when one is signed, the trail is fine; two hours later it is stale, and that alerts once
    checkpoint_write()
    assert compliance_alerts_scan() == []
    later = timezone.now() + dt.timedelta(hours=2)
    [stale] = compliance_alerts_scan(now=later)
    assert stale.rule == RULE_CHECKPOINT and stale.detail["newest_at"]
    assert compliance_alerts_scan(now=later + MINUTE) == []


def test_the_beat_runs_the_scan_and_the_verification_by_their_scheduled_names(settings, officer, rep):
    from celery import current_app

    import backend.audit.tasks  # noqa: F401 - registers the tasks, as the worker's autodiscovery does

    audit.record("document.viewed", actor=rep, target_type="documents.document", target_id="1")
    checkpoint_write()
    scan = current_app.tasks[settings.CELERY_BEAT_SCHEDULE["compliance-alerts-scan"]["task"]]
    assert scan.delay().get() == {"raised": []}
    verify = current_app.tasks[settings.CELERY_BEAT_SCHEDULE["audit-verify"]["task"]]
    assert verify.delay().get()["ok"] is True
    assert AuditEvent.objects.filter(event_type="audit.chain.verified", outcome="success").exists()


def test_the_checkpoints_are_read_once_per_check_period(settings, officer, rep):
    # given checkpoints looked at once an hour and stale after a minute, events and no checkpoint
    settings.COMPLIANCE_CHECKPOINT_CHECK_SECONDS = 3600
    settings.COMPLIANCE_CHECKPOINT_MAX_AGE_SECONDS = 60
    audit.record("document.viewed", actor=rep, target_type="documents.document", target_id="1")
    next_hour = dt.datetime.fromtimestamp((int(timezone.now().timestamp()) // 3600 + 1) * 3600, tz=dt.timezone.utc)

    # when the scan runs at the start of the next hour, then a checkpoint is signed
    first = compliance_alerts_scan(now=next_hour + dt.timedelta(seconds=1))
    checkpoint_write()

    # then the first run alerts; later in the same hour the checkpoints are not read (though stale by then)
    assert [a.rule for a in first] == [RULE_CHECKPOINT]
    assert compliance_alerts_scan(now=next_hour + 30 * MINUTE) == []
    # and in the hour after, they are, and the stale checkpoint alerts
    [stale] = compliance_alerts_scan(now=next_hour + 61 * MINUTE)
    assert stale.rule == RULE_CHECKPOINT and stale.detail["newest_at"]
