"""Compliance alerts: rules computed from the audit trail by a beat task (`compliance_alerts_scan`, every
COMPLIANCE_ALERT_SCAN_SECONDS), each alert recorded in the trail (audit.alert.raised) and told to the
compliance officers once.

The rules (thresholds in settings):

* many downloads: one user downloads COMPLIANCE_ALERT_DOWNLOADS files (staff downloads and portal share
  downloads) within COMPLIANCE_ALERT_DOWNLOAD_MINUTES;
* repeated refusals: COMPLIANCE_ALERT_DENIALS refused actions of one user within COMPLIANCE_ALERT_DENIAL_MINUTES;
* secret documents after hours: a user reads (views, previews, downloads or gets a download link of) a document
  now classified secret outside COMPLIANCE_WORKING_HOURS on COMPLIANCE_WORKING_DAYS (display time zone):
  one alert per user and day;
* a failed chain verification (an audit.chain.verified event whose outcome is a failure), one alert each;
* a missing checkpoint: no signed checkpoint newer than COMPLIANCE_CHECKPOINT_MAX_AGE_SECONDS while the trail
  has events, or the checkpoints cannot be read: one alert per newest checkpoint (looked at once per
  COMPLIANCE_CHECKPOINT_CHECK_SECONDS: it reads every checkpoint record).

Once: every alert has a key (the rule, the user and the event that crossed the threshold, or the day, or
the checkpoint); an alert whose key the trail already holds is not raised again, so retries and overlapping
runs repeat nothing. After a burst alert, the same user and rule alert again only for a fresh burst that
starts after the last one and at least its window later. The scan reads the trail's recent events (the
longest window plus two scan intervals; a day for chain failures), so a beat stopped longer than that
misses what happened meanwhile.

Also here: `audit_verify_scheduled`, the daily chain verification of the beat (COMPLIANCE_VERIFY_SECONDS),
whose failure the next scan reports.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import CharField, Count
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext_noop

from backend.audit import services as audit
from backend.audit.events import (
    AUDIT_ALERT_RAISED,
    AUDIT_CHAIN_VERIFIED,
    DOCUMENT_VERSION_DOWNLOAD_URL_ISSUED,
    DOCUMENT_VERSION_DOWNLOADED,
    DOCUMENT_VERSION_PREVIEWED,
    DOCUMENT_VIEWED,
)
from backend.audit.models import AuditEvent, Outcome

RULE_DOWNLOADS = "many_downloads"
RULE_DENIALS = "repeated_denials"
RULE_AFTER_HOURS = "secret_after_hours"
RULE_CHAIN = "chain_verification_failed"
RULE_CHECKPOINT = "checkpoint_missing"
RULES = (RULE_DOWNLOADS, RULE_DENIALS, RULE_AFTER_HOURS, RULE_CHAIN, RULE_CHECKPOINT)

# the notification kind of each rule (backend/audit/notification_kinds.py registers them)
NOTIFICATION_KIND = "compliance.alert"

SECRET_READ_TYPES = (DOCUMENT_VIEWED, DOCUMENT_VERSION_PREVIEWED, DOCUMENT_VERSION_DOWNLOADED,
                     DOCUMENT_VERSION_DOWNLOAD_URL_ISSUED)
DOCUMENT_TARGET = "documents.document"
CHAIN_LOOKBACK = dt.timedelta(days=1)


def _download_types() -> tuple[str, ...]:
    from backend.sharing.audit_events import PORTAL_SHARE_DOWNLOADED

    return (DOCUMENT_VERSION_DOWNLOADED, PORTAL_SHARE_DOWNLOADED)


@dataclass
class Alert:
    rule: str
    key: str
    subject_id: int | None = None  # the user it is about
    subject_label: str = ""
    detail: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Burst:
    """A rate rule: `count` events of `types` (or any denied event) by one user within `minutes`."""

    rule: str
    count: int
    minutes: int


def _bursts() -> tuple[Burst, ...]:
    return (Burst(RULE_DOWNLOADS, settings.COMPLIANCE_ALERT_DOWNLOADS, settings.COMPLIANCE_ALERT_DOWNLOAD_MINUTES),
            Burst(RULE_DENIALS, settings.COMPLIANCE_ALERT_DENIALS, settings.COMPLIANCE_ALERT_DENIAL_MINUTES))


def _lookback() -> dt.timedelta:
    longest = max(settings.COMPLIANCE_ALERT_DOWNLOAD_MINUTES, settings.COMPLIANCE_ALERT_DENIAL_MINUTES)
    return dt.timedelta(minutes=longest, seconds=2 * settings.COMPLIANCE_ALERT_SCAN_SECONDS)


def _burst_events(burst: Burst):
    events = AuditEvent.objects.filter(actor_id__isnull=False)
    if burst.rule == RULE_DOWNLOADS:
        return events.filter(event_type__in=_download_types(), outcome=Outcome.SUCCESS)
    return events.filter(outcome=Outcome.DENIED)


def _raised_alerts(since: dt.datetime) -> list[dict]:
    """The alerts the trail holds since `since` (their details: rule, key, subject, trigger)."""
    return list(AuditEvent.objects.filter(event_type=AUDIT_ALERT_RAISED, occurred_at__gte=since)
                .values_list("detail", flat=True))


def _burst_alerts(burst: Burst, *, start: dt.datetime, now: dt.datetime, raised: list[dict]) -> list[Alert]:
    """Users with `burst.count` events within `burst.minutes`, the event that crossed the line being after
    `start`; none again for a user until a fresh burst after the previous alert's trigger."""
    window = dt.timedelta(minutes=burst.minutes)
    events = _burst_events(burst).filter(occurred_at__gt=start - window, occurred_at__lte=now)
    # only users with enough events at all in the period are looked at one by one
    busy = [row["actor_id"] for row in events.values("actor_id").annotate(n=Count("id")).order_by()
            if row["n"] >= burst.count]
    if not busy:
        return []
    last_trigger: dict[int, tuple[dt.datetime, int]] = {}
    for detail in raised:
        if detail.get("rule") == burst.rule and detail.get("subject_id") is not None:
            at = dt.datetime.fromisoformat(detail["trigger_at"])
            mine = last_trigger.get(detail["subject_id"])
            if mine is None or at > mine[0]:
                last_trigger[detail["subject_id"]] = (at, detail["trigger_id"])
    rows = defaultdict(list)
    for row in (events.filter(actor_id__in=busy).order_by("actor_id", "occurred_at", "id")
                .values_list("actor_id", "id", "occurred_at", "actor_label")):
        rows[row[0]].append(row[1:])
    alerts = []
    for actor_id, timeline in rows.items():
        label = timeline[-1][2]
        for event_id, at, first_at, count in burst_triggers(
                [(event_id, at) for event_id, at, _ in timeline], count=burst.count, window=window,
                previous=last_trigger.get(actor_id), start=start):
            alerts.append(Alert(burst.rule, f"{burst.rule}:{actor_id}:{event_id}", actor_id, label, {
                "trigger_id": event_id, "trigger_at": at.isoformat(), "count": count,
                "first_at": first_at.isoformat(), "minutes": burst.minutes}))
    return alerts


def burst_triggers(timeline: list[tuple[int, dt.datetime]], *, count: int, window: dt.timedelta,
                   previous: tuple[dt.datetime, int] | None, start: dt.datetime) -> list[tuple]:
    """The events of one user's `timeline` (id, time; in order) at which `count` events within `window` are
    reached, after `start`: (id, time, time of the burst's first event, events in the burst). After a
    trigger (`previous`, or one found here) a fresh burst counts only events after it, and triggers at least
    a window later."""
    found = []
    first = 0
    for index, (event_id, at) in enumerate(timeline):
        if previous is not None and (event_id <= previous[1] or at - previous[0] < window):
            first = index + 1
            continue
        while at - timeline[first][1] >= window:
            first += 1
        if index - first + 1 >= count and at > start:
            found.append((event_id, at, timeline[first][1], index - first + 1))
            previous = (at, event_id)
            first = index + 1
    return found


def _working_hours() -> tuple[dt.time, dt.time]:
    start, _, end = settings.COMPLIANCE_WORKING_HOURS.partition("-")
    return dt.time.fromisoformat(start.strip()), dt.time.fromisoformat(end.strip())


def outside_working_hours(moment: dt.datetime) -> bool:
    """Is `moment` outside the working hours and days, in the display time zone?"""
    from backend.common.display_time import in_display_zone

    local = in_display_zone(moment)
    start, end = _working_hours()
    return local.isoweekday() not in settings.COMPLIANCE_WORKING_DAYS or not (start <= local.time() < end)


def _after_hours_alerts(*, start: dt.datetime, now: dt.datetime) -> list[Alert]:
    """Reads of documents classified secret outside working hours, one alert per user and local day."""
    from backend.common.display_time import in_display_zone
    from backend.documents.models import Classification, Document

    secret_ids = (Document.objects.filter(classification=Classification.SECRET)
                  .annotate(key=Cast("pk", CharField())).values("key"))
    rows = (AuditEvent.objects.filter(event_type__in=SECRET_READ_TYPES, outcome=Outcome.SUCCESS,
                                      actor_id__isnull=False, target_type=DOCUMENT_TARGET,
                                      occurred_at__gt=start, occurred_at__lte=now, target_id__in=secret_ids)
            .order_by("id").values_list("id", "actor_id", "actor_label", "occurred_at", "target_id", "target_label"))
    grouped: dict[tuple[int, dt.date], Alert] = {}
    for event_id, actor_id, label, at, target_id, target_label in rows:
        if not outside_working_hours(at):
            continue
        day = in_display_zone(at).date()
        alert = grouped.get((actor_id, day))
        if alert is None:
            alert = grouped[(actor_id, day)] = Alert(
                RULE_AFTER_HOURS, f"{RULE_AFTER_HOURS}:{actor_id}:{day.isoformat()}", actor_id, label,
                {"day": day.isoformat(), "trigger_id": event_id, "trigger_at": at.isoformat(), "count": 0,
                 "documents": []})
        alert.detail["count"] += 1
        if target_id not in [d["id"] for d in alert.detail["documents"]] and len(alert.detail["documents"]) < 20:
            alert.detail["documents"].append({"id": target_id, "title": target_label})
    return list(grouped.values())


def _chain_alerts(*, now: dt.datetime) -> list[Alert]:
    failures = (AuditEvent.objects.filter(event_type=AUDIT_CHAIN_VERIFIED, outcome=Outcome.FAILURE,
                                          occurred_at__gt=now - CHAIN_LOOKBACK, occurred_at__lte=now)
                .order_by("id").values_list("id", "occurred_at", "detail"))
    return [Alert(RULE_CHAIN, f"{RULE_CHAIN}:{event_id}", None, "", {
        "trigger_id": event_id, "trigger_at": at.isoformat(), "reason": (detail or {}).get("reason", ""),
        "first_bad_id": (detail or {}).get("first_bad_id")}) for event_id, at, detail in failures]


def _checkpoint_check_due(now: dt.datetime) -> bool:
    """Reading the checkpoints reads every record of the write-once bucket: once per
    COMPLIANCE_CHECKPOINT_CHECK_SECONDS (the first scan of each such period, across processes through the
    cache), every scan when it is 0 or the cache is down."""
    from django.core.cache import cache

    every = settings.COMPLIANCE_CHECKPOINT_CHECK_SECONDS
    if every <= 0:
        return True
    try:
        return cache.add(f"compliance-alerts:checkpoints:{int(now.timestamp()) // every}", 1, timeout=2 * every)
    except Exception:  # noqa: BLE001 - a cache that is down must not silence the rule
        return True


def _checkpoint_alerts(*, now: dt.datetime) -> list[Alert]:
    from backend.audit.checkpoints import checkpoints_read
    from storage.errors import StoreError

    if not AuditEvent.objects.exists():
        return []
    try:
        newest = checkpoints_read().newest
    except StoreError as exc:
        return [Alert(RULE_CHECKPOINT, f"{RULE_CHECKPOINT}:unreadable:{now.date().isoformat()}", None, "",
                      {"reason": f"the checkpoints cannot be read ({exc})"})]
    max_age = dt.timedelta(seconds=settings.COMPLIANCE_CHECKPOINT_MAX_AGE_SECONDS)
    if newest is None:
        return [Alert(RULE_CHECKPOINT, f"{RULE_CHECKPOINT}:none", None, "",
                      {"reason": "no signed checkpoint exists", "newest_at": None})]
    written = dt.datetime.fromisoformat(newest.written_at)
    if now - written <= max_age:
        return []
    return [Alert(RULE_CHECKPOINT, f"{RULE_CHECKPOINT}:{newest.head_id}:{newest.written_at}", None, "", {
        "reason": "no signed checkpoint since the newest one", "newest_at": newest.written_at,
        "head_id": newest.head_id, "max_age_seconds": settings.COMPLIANCE_CHECKPOINT_MAX_AGE_SECONDS})]


def compliance_alerts_scan(*, now: dt.datetime | None = None, checkpoints: bool = True) -> list[Alert]:
    """Run every rule over the trail's recent events and raise the alerts not raised before (the beat task).
    Returns the alerts raised by this run."""
    now = now or timezone.now()
    start = now - _lookback()
    raised = _raised_alerts(min(start, now - CHAIN_LOOKBACK) - dt.timedelta(days=1))
    known = {detail.get("key") for detail in raised}
    found: list[Alert] = []
    for burst in _bursts():
        found += _burst_alerts(burst, start=start, now=now, raised=raised)
    found += _after_hours_alerts(start=min(start, now - dt.timedelta(days=1)), now=now)
    found += _chain_alerts(now=now)
    if checkpoints and _checkpoint_check_due(now):
        found += _checkpoint_alerts(now=now)
    new = [alert for alert in found if alert.key not in known]
    if not new:
        return []
    officers = compliance_officers()
    with transaction.atomic():
        _serialise_scans()
        return [alert for alert in new if _raise(alert, officers)]


ALERT_LOCK = 0x0A1E27  # the advisory lock two overlapping scans queue on (PostgreSQL)


def _serialise_scans() -> None:
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ALERT_LOCK])


def compliance_officers():
    """Who hears about alerts: every active member of staff with the compliance role."""
    from backend.accounts.models import Role, User

    return list(User.objects.filter(role=Role.COMPLIANCE, is_active=True))


def _raise(alert: Alert, officers) -> bool:
    """Record and tell one alert, unless the trail holds its key (checked again under the scans' lock)."""
    with transaction.atomic():
        if AuditEvent.objects.filter(event_type=AUDIT_ALERT_RAISED, detail__key=alert.key).exists():
            return False
        event = audit.record(AUDIT_ALERT_RAISED, actor=None, outcome=Outcome.SUCCESS,
                     target_type="accounts.user" if alert.subject_id else "audit.auditevent",
                     target_id=str(alert.subject_id or ""), target_label=alert.subject_label,
                     detail={"rule": alert.rule, "key": alert.key, "subject_id": alert.subject_id,
                             "to": [officer.username for officer in officers], **alert.detail})
        _tell_officers(alert, officers, event)
    return True


ALERT_TITLES = {
    RULE_DOWNLOADS: gettext_noop("%(user)s downloaded %(count)s files within %(minutes)s minutes"),
    RULE_DENIALS: gettext_noop("%(user)s was refused %(count)s times within %(minutes)s minutes"),
    RULE_AFTER_HOURS: gettext_noop("%(user)s read secret documents outside working hours on %(day)s"),
    RULE_CHAIN: gettext_noop("The audit trail failed its chain verification"),
    RULE_CHECKPOINT: gettext_noop("The audit trail has no recent signed checkpoint"),
}
ALERT_BODIES = {
    RULE_DOWNLOADS: gettext_noop("From %(first_at)s to %(trigger_at)s. Open the alert for the user's access "
                                 "report."),
    RULE_DENIALS: gettext_noop("From %(first_at)s to %(trigger_at)s. Open the alert for the user's access "
                               "report."),
    RULE_AFTER_HOURS: gettext_noop("%(count)s reads, first at %(trigger_at)s: %(documents)s"),
    RULE_CHAIN: gettext_noop("Verified at %(trigger_at)s: %(reason)s"),
    RULE_CHECKPOINT: gettext_noop("Newest checkpoint: %(newest_at)s. %(reason)s"),
}


def _tell_officers(alert: Alert, officers, event) -> None:
    """Tell the compliance officers, once per alert; the link opens the alert's event in the console."""
    from django.urls import reverse

    from backend.notifications.services import notify

    detail = alert.detail
    params = {
        "user": alert.subject_label or "—", "count": detail.get("count", ""), "minutes": detail.get("minutes", ""),
        "day": detail.get("day", ""), "first_at": _when(detail.get("first_at")),
        "trigger_at": _when(detail.get("trigger_at")), "reason": detail.get("reason", ""),
        "newest_at": _when(detail.get("newest_at")) or "—",
        "documents": "; ".join(d["title"] or f"#{d['id']}" for d in detail.get("documents", [])),
    }
    link = reverse("web:audit_event", args=[event.id]) if event is not None else ""
    notify(kind=NOTIFICATION_KIND, recipients=officers, title=(ALERT_TITLES[alert.rule], params),
           body=(ALERT_BODIES[alert.rule], params), link=link, once_key=alert.key)


def _when(iso: str | None) -> str:
    from backend.common.display_time import in_display_zone, offset_text

    if not iso:
        return ""
    moment = dt.datetime.fromisoformat(iso)
    return f"{in_display_zone(moment).strftime('%Y-%m-%d %H:%M')} {offset_text(moment)}"


def audit_verify_scheduled():
    """The beat's chain verification (recorded as audit.chain.verified; a failure alerts at the next scan)."""
    from backend.audit.services import audit_trail_verify_and_record

    return audit_trail_verify_and_record(actor=None)
