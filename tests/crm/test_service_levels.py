"""Service levels: targets set by administrators, each record's due times and clock, the desk's order and
breach filter, and the escalation beat (once each, to the service managers)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from backend.audit.models import AuditEvent
from backend.common.errors import InvalidInput, PermissionDenied
from backend.crm.models import DispatchState, ServiceLevelTarget, ServiceRecord
from backend.crm.selectors.service_levels import breached_q, service_clock, service_desk_ordered, service_managers
from backend.crm.services import service as service_services
from backend.crm.services.service_levels import TargetInput, service_levels_escalate, service_levels_set
from backend.crm.services.service_requests import service_request_submit
from backend.notifications.models import Notification
from tests.crm.factories import ServiceRecordFactory
from tests.factories import UserFactory
from tests.fixtures.smtp import smtp_server  # noqa: F401 - a real SMTP server for the e-mail test
from tests.portal_factories import portal_user

pytestmark = pytest.mark.django_db

HOUR = dt.timedelta(hours=1)


def _targets(people, **pairs):
    """service_levels_set as the admin; pairs like urgent_issue=(60, 480)."""
    targets = {}
    for name, minutes in pairs.items():
        priority, type_ = name.split("_", 1)
        targets[(priority, type_)] = TargetInput(*minutes) if minutes else None
    return service_levels_set(actor=people["admin"], targets=targets)


def _open(people, *, priority="urgent", type="issue"):
    return service_services.service_record_create(actor=people["owner"], customer=people["customer"],
                                                  title="主轴异响 Spindle noise", priority=priority, type=type)


# --- targets ----------------------------------------------------------------------------------------


def test_an_admin_sets_targets_and_it_is_audited(people):
    # when the admin sets a target for urgent issues
    result = _targets(people, urgent_issue=(60, 480))

    # then it is stored and the change is in the trail with before and after
    target = ServiceLevelTarget.objects.get(priority="urgent", type="issue")
    assert (target.response_minutes, target.resolution_minutes, target.updated_by) == (60, 480, people["admin"])
    assert result == {"changed": 1, "retimed": 0}
    event = AuditEvent.objects.get(event_type="crm.service_levels.changed")
    assert event.detail["changes"] == [{"priority": "urgent", "type": "issue", "before": None, "after": [60, 480]}]


@pytest.mark.parametrize("who", ["engineer", "owner", "compliance"])
def test_only_administrators_set_targets(people, who):
    # when someone else tries, then it is refused like a missing page and the denial is recorded
    with pytest.raises(PermissionDenied):
        service_levels_set(actor=people[who], targets={("urgent", "issue"): TargetInput(60, 480)})
    assert not ServiceLevelTarget.objects.exists()
    assert AuditEvent.objects.filter(event_type="crm.access.denied", actor=people[who], outcome="denied").exists()


def test_a_resolution_shorter_than_the_response_is_refused(people):
    with pytest.raises(InvalidInput) as refused:
        _targets(people, urgent_issue=(120, 60))
    assert "urgent.issue" in refused.value.extra["fields"]
    assert not ServiceLevelTarget.objects.exists()


def test_saving_the_same_targets_changes_nothing(people):
    _targets(people, urgent_issue=(60, 480))
    assert _targets(people, urgent_issue=(60, 480)) == {"changed": 0, "retimed": 0}
    assert AuditEvent.objects.filter(event_type="crm.service_levels.changed").count() == 1


# --- due times and the clock ------------------------------------------------------------------------------


def test_a_new_record_is_stamped_with_its_due_times(people):
    # given a target for urgent issues only
    _targets(people, urgent_issue=(60, 480))

    # when an urgent issue and a low one are opened
    urgent = _open(people)
    low = _open(people, priority="low")

    # then the urgent one is due in 1 and 8 hours; the low one has no clock
    urgent.refresh_from_db()
    assert urgent.response_due_at == urgent.created_at + HOUR
    assert urgent.resolution_due_at == urgent.created_at + 8 * HOUR
    low.refresh_from_db()
    assert (low.response_due_at, low.resolution_due_at) == (None, None)
    assert service_clock(low).response.state == "none"


def test_changing_a_target_retimes_open_records_only(people):
    # given an open and a resolved urgent issue under a 1 h / 8 h target
    _targets(people, urgent_issue=(60, 480))
    open_record = _open(people)
    done = ServiceRecordFactory(customer=people["customer"], priority="urgent", type="issue",
                                dispatch_state=DispatchState.RESOLVED, resolved_at=timezone.now())

    # when the target becomes 2 h / 24 h
    result = _targets(people, urgent_issue=(120, 1440))

    # then the open record follows it and the resolved one is left alone
    open_record.refresh_from_db()
    assert open_record.response_due_at == open_record.created_at + 2 * HOUR
    assert open_record.resolution_due_at == open_record.created_at + 24 * HOUR
    done.refresh_from_db()
    assert done.response_due_at is None
    assert result["retimed"] == 1


def test_the_clock_runs_turns_due_soon_overdue_and_remembers_a_late_dispatch(people):
    # given an urgent issue due for a response in 1 h
    _targets(people, urgent_issue=(60, 480))
    record = _open(people)
    opened = record.created_at

    # then its response hand runs, is due soon, then overdue
    assert service_clock(record, now=opened + dt.timedelta(minutes=10)).response.state == "running"
    assert service_clock(record, now=opened + dt.timedelta(minutes=50)).response.state == "due_soon"
    late = service_clock(record, now=opened + 2 * HOUR)
    assert late.response.state == "overdue" and late.breached and late.running.kind == "response"
    assert late.response.left == -HOUR

    # when it is dispatched 90 minutes in, then the response was missed by 30 minutes and the resolution runs
    record.dispatched_at = opened + dt.timedelta(minutes=90)
    clock = service_clock(record, now=opened + 2 * HOUR)
    assert (clock.response.state, clock.response.late) == ("missed", dt.timedelta(minutes=30))
    assert clock.running.kind == "resolution" and clock.resolution.state == "running"


def test_the_desk_sorts_most_urgent_first_and_filters_breaches(people):
    # given three undispatched records: one without a target, one due later, one already overdue
    now = timezone.now()
    none = ServiceRecordFactory(customer=people["customer"])
    later = ServiceRecordFactory(customer=people["customer"], response_due_at=now + 5 * HOUR)
    overdue = ServiceRecordFactory(customer=people["customer"], response_due_at=now - HOUR)

    # then the column lists the overdue first and the one without a target last
    ordered = service_desk_ordered(ServiceRecord.objects.all(), state=DispatchState.NOT_DISPATCHED)
    assert list(ordered) == [overdue, later, none]
    # and the breach filter finds only the overdue one
    assert list(ServiceRecord.objects.filter(breached_q(now))) == [overdue]


# --- escalation ---------------------------------------------------------------------------------------------


def test_a_breach_escalates_to_the_service_managers_once(people, settings):
    # given a named service manager and an urgent issue whose response is overdue
    manager = people["engineer"]
    settings.SERVICE_MANAGERS = [manager.username]
    _targets(people, urgent_issue=(60, 480))
    record = _open(people)
    later = record.created_at + 2 * HOUR

    # when the beat runs twice
    first = service_levels_escalate(now=later)
    second = service_levels_escalate(now=later + HOUR)

    # then the record is escalated once, stamped and audited, naming the manager
    assert first["response"] == 1 and second["response"] == 0
    record.refresh_from_db()
    assert record.response_escalated_at == later and record.resolution_escalated_at is None
    events = AuditEvent.objects.filter(event_type="crm.service.escalated", target_id=str(record.pk))
    assert [(e.detail["reason"], e.detail["to"]) for e in events] == [("response", [manager.username])]

    # and once the resolution is overdue too, that is escalated once as well
    assert service_levels_escalate(now=record.created_at + 9 * HOUR)["resolution"] == 1
    assert service_levels_escalate(now=record.created_at + 10 * HOUR)["resolution"] == 0


def test_a_record_dispatched_in_time_is_not_escalated(people):
    _targets(people, urgent_issue=(60, 480))
    record = _open(people)
    service_services.service_record_dispatch(actor=people["owner"], record=record, engineer=people["engineer"])
    service_services.service_record_confirm(actor=people["engineer"], record=record)

    assert service_levels_escalate(now=record.created_at + 2 * HOUR) == {
        "response": 0, "resolution": 0, "unconfirmed": 0}


def test_an_unconfirmed_dispatch_goes_to_the_managers_after_the_set_hours(people, settings):
    # given dispatches must be confirmed within 4 hours
    settings.SERVICE_DISPATCH_CONFIRM_HOURS = 4
    record = _open(people, priority="normal")
    record = service_services.service_record_dispatch(actor=people["owner"], record=record,
                                                      engineer=people["engineer"])

    # when the beat runs after 3 hours, nothing; after 5 hours, once
    assert service_levels_escalate(now=record.dispatched_at + 3 * HOUR)["unconfirmed"] == 0
    assert service_levels_escalate(now=record.dispatched_at + 5 * HOUR)["unconfirmed"] == 1
    assert service_levels_escalate(now=record.dispatched_at + 6 * HOUR)["unconfirmed"] == 0
    event = AuditEvent.objects.get(event_type="crm.service.escalated", target_id=str(record.pk))
    assert event.detail["reason"] == "unconfirmed" and event.detail["engineer"] == people["engineer"].username


def test_without_named_managers_the_administrators_are_told(people, settings):
    settings.SERVICE_MANAGERS = []
    assert service_managers() == [people["admin"]]
    settings.SERVICE_MANAGERS = ["nobody-here"]
    assert service_managers() == [people["admin"]]


# --- notifications ---------------------------------------------------------------------------------------------


def _notified(kind):
    return list(Notification.objects.filter(kind=kind).order_by("id"))


def test_a_breach_reaches_the_managers_inbox_and_mailbox_once(people, settings, smtp_server,
                                                               django_capture_on_commit_callbacks):
    # given a service manager with an e-mail address and an overdue urgent issue
    manager = UserFactory(username="liu.yang", role="service", email="liu.yang@example.com")
    settings.SERVICE_MANAGERS = [manager.username]
    _targets(people, urgent_issue=(60, 480))
    record = _open(people)

    # when the beat runs, and runs again (a retry)
    with django_capture_on_commit_callbacks(execute=True):
        service_levels_escalate(now=record.created_at + 2 * HOUR)
    with django_capture_on_commit_callbacks(execute=True):
        service_levels_escalate(now=record.created_at + 3 * HOUR)

    # then the manager has one notification linking to the record, and one e-mail arrived
    [note] = _notified("service.sla_breached")
    assert note.recipient == manager and note.link == f"/service/{record.pk}/"
    assert record.title in note.title
    [message] = smtp_server.to("liu.yang@example.com")
    assert record.title in message["Subject"]


def test_a_dispatch_notifies_the_engineer_in_their_language(people):
    # given an engineer who reads Chinese
    people["engineer"].preferred_language = "zh-hans"
    people["engineer"].save(update_fields=["preferred_language"])
    record = _open(people, priority="urgent")

    # when the record is dispatched to them
    service_services.service_record_dispatch(actor=people["owner"], record=record, engineer=people["engineer"])

    # then they are told, in Chinese, with the priority in Chinese too
    [note] = _notified("service.dispatched")
    assert note.recipient == people["engineer"] and note.link == f"/service/{record.pk}/"
    assert note.title == f"派给您的工单：{record.title}（{people['customer']}）"
    assert "紧急" in note.body


def test_an_unconfirmed_dispatch_notifies_the_managers(people, settings):
    settings.SERVICE_MANAGERS, settings.SERVICE_DISPATCH_CONFIRM_HOURS = [people["admin"].username], 2
    record = service_services.service_record_dispatch(actor=people["owner"], record=_open(people),
                                                      engineer=people["engineer"])
    service_levels_escalate(now=record.dispatched_at + 3 * HOUR)

    [note] = _notified("service.dispatch_unconfirmed")
    assert note.recipient == people["admin"] and "Tom Becker" in note.title


def test_a_customers_request_goes_to_the_service_desk(people):
    # given a portal user of the customer
    customer_user = portal_user(people["customer"])

    # when they raise a request from the portal
    record = service_request_submit(actor=customer_user, type="issue", title="Alarm E-17",
                                    description="The spindle stops with alarm E-17.")

    # then the service department hears about it (not the rep, not the customer)
    assert [n.recipient for n in _notified("service.request_received")] == [people["engineer"]]
    assert "Alarm E-17" in _notified("service.request_received")[0].title
    assert record.pk


def test_a_complaint_recorded_by_staff_goes_to_the_desk_but_an_issue_does_not(people):
    _open(people, type="issue")
    assert _notified("service.request_received") == []
    _open(people, type="complaint")
    assert [n.recipient for n in _notified("service.request_received")] == [people["engineer"]]


def test_the_beat_runs_the_escalation_task_by_its_scheduled_name(people, settings):
    # given the beat's schedule entry and the task it names
    from celery import current_app

    import backend.crm.tasks  # noqa: F401 - registers the task, as the worker's autodiscovery does

    entry = settings.CELERY_BEAT_SCHEDULE["service-levels-escalate"]
    assert entry["schedule"] == settings.SERVICE_LEVEL_SCAN_SECONDS

    # when the beat sends it (eager without a broker), then it runs the escalation
    result = current_app.tasks[entry["task"]].delay().get()
    assert result == {"response": 0, "resolution": 0, "unconfirmed": 0}


def test_a_quiet_beat_pass_costs_one_query_per_kind_of_escalation(people, django_assert_num_queries):
    # given open records with clocks that are not due yet, and records without targets
    _targets(people, urgent_issue=(60, 480))
    for _ in range(5):
        _open(people)
        _open(people, priority="low")

    # when the beat runs before anything is due, then it reads one indexed query per kind and writes nothing
    # (each kind in its own transaction: a savepoint and its release around the query in the test's transaction)
    with django_assert_num_queries(9):
        assert service_levels_escalate() == {"response": 0, "resolution": 0, "unconfirmed": 0}


def test_escalating_many_records_costs_the_same_queries_as_escalating_a_few(people, settings):
    # given a named manager and overdue urgent issues, first 2 then 8 more
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.SERVICE_MANAGERS = [people["engineer"].username]
    _targets(people, urgent_issue=(60, 480))

    def escalate(count):
        records = [_open(people) for _ in range(count)]
        later = max(r.created_at for r in records) + 2 * HOUR
        with CaptureQueriesContext(connection) as queries:
            assert service_levels_escalate(now=later)["response"] == count
        return len(queries)

    # when each batch is escalated, then the cost does not grow with the batch (notices and audit
    # events are written in bulk), and every record is told and recorded once
    assert escalate(2) == escalate(8)
    assert AuditEvent.objects.filter(event_type="crm.service.escalated").count() == 10
    assert len(_notified("service.sla_breached")) == 10


# --- bounded passes ---------------------------------------------------------------------------------------------


def _overdue(people, count):
    """`count` urgent issues whose response is overdue, the later opened due the earlier (so that the order
    of due times is not the order of ids)."""
    records = [_open(people) for _ in range(count)]
    base = min(r.created_at for r in records) - 2 * HOUR
    for n, record in enumerate(records):
        ServiceRecord.objects.filter(pk=record.pk).update(response_due_at=base + (count - n) * dt.timedelta(minutes=1))
    return [ServiceRecord.objects.get(pk=r.pk) for r in records]


def test_a_pass_escalates_at_most_its_limit_oldest_first_and_the_next_goes_on(people, settings):
    # given a named manager, passes of at most 3 escalations in transactions of 2, and 7 overdue records
    from backend.crm.services.service_levels import service_levels_escalate_pass

    settings.SERVICE_MANAGERS = [people["engineer"].username]
    settings.SERVICE_LEVEL_ESCALATIONS_PER_PASS, settings.SERVICE_LEVEL_ESCALATION_BATCH = 3, 2
    _targets(people, urgent_issue=(60, 480))
    records = _overdue(people, 7)
    later = max(r.response_due_at for r in records) + HOUR
    by_due = sorted(records, key=lambda r: (r.response_due_at, r.pk))

    # when the passes run one after the other
    passes = []
    while True:
        result = service_levels_escalate_pass(now=later)
        passes.append((result.counts["response"], result.more))
        if not result.more:
            break

    # then each escalates at most 3, says whether more are due, and the records went oldest due first
    assert passes == [(3, True), (3, True), (1, False)]
    assert by_due == list(reversed(records))
    events = AuditEvent.objects.filter(event_type="crm.service.escalated").order_by("id")
    assert [int(e.target_id) for e in events] == [r.pk for r in by_due]
    # and every record was told and recorded once, whatever the passes
    assert len(_notified("service.sla_breached")) == 7
    assert service_levels_escalate_pass(now=later + HOUR).counts["response"] == 0


def test_the_beat_task_queues_the_next_pass_while_more_are_due(people, settings,
                                                                django_capture_on_commit_callbacks):
    # given passes of at most 2 and 5 overdue records
    from backend.crm import tasks

    settings.SERVICE_MANAGERS = [people["engineer"].username]
    settings.SERVICE_LEVEL_ESCALATIONS_PER_PASS = 2
    _targets(people, urgent_issue=(60, 480))
    _overdue(people, 5)

    # when the beat task runs, then it escalates 2 and queues its continuation after commit
    def continuations(callbacks):
        return [c for c in callbacks if c.__qualname__.startswith("service_levels_escalate.")]

    with django_capture_on_commit_callbacks() as queued:
        assert tasks.service_levels_escalate() == {"response": 2, "resolution": 0, "unconfirmed": 0}
    assert len(continuations(queued)) == 1
    assert AuditEvent.objects.filter(event_type="crm.service.escalated").count() == 2

    # and when the continuation runs (eagerly here, as a worker would), it goes on until none is due
    with django_capture_on_commit_callbacks(execute=True):
        continuations(queued)[0]()
    assert AuditEvent.objects.filter(event_type="crm.service.escalated").count() == 5
    # and a pass that leaves nothing queues nothing
    with django_capture_on_commit_callbacks() as after:
        assert tasks.service_levels_escalate() == {"response": 0, "resolution": 0, "unconfirmed": 0}
    assert continuations(after) == []


def test_a_batch_tells_each_manager_in_their_own_language(people, settings):
    # given two managers, one reading Chinese and one English, and an overdue urgent issue
    from django.utils import translation

    chinese = UserFactory(username="liu.yang", role="service", preferred_language="zh-hans")
    english = UserFactory(username="amy.lee", role="service", preferred_language="en")
    settings.SERVICE_MANAGERS = [chinese.username, english.username]
    _targets(people, urgent_issue=(60, 480))
    record = _open(people)

    # when the beat escalates it
    service_levels_escalate(now=record.created_at + 2 * HOUR)

    # then each is told in their language, priority included
    notes = {note.recipient: note for note in _notified("service.sla_breached")}
    assert notes[chinese].title == f"未按时派工：{record.title}（{people['customer']}）"
    assert "紧急" in notes[chinese].body
    with translation.override("en"):
        assert notes[english].title == f"Not dispatched in time: {record.title} ({people['customer']})"
    assert "(Urgent)" in notes[english].body
    assert notes[chinese].link == notes[english].link == f"/service/{record.pk}/"


def test_the_api_gives_each_record_its_due_times_and_breach(people):
    from tests.fixtures.clients import api_client

    # given an urgent issue whose response is overdue
    _targets(people, urgent_issue=(60, 480))
    record = _open(people)
    ServiceRecord.objects.filter(pk=record.pk).update(response_due_at=timezone.now() - HOUR)

    # when the engineer reads it through the API
    body = api_client(people["engineer"]).get(f"/api/crm/service-records/{record.pk}/").json()

    # then it carries its due times and says it is breached
    assert body["breached"] is True
    assert body["response_due_at"] and body["resolution_due_at"]
