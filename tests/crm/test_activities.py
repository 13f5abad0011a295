"""Activities: logging on a customer, reminders and marking them done, the timeline, "my open reminders"."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from backend.audit.models import AuditEvent
from backend.crm.models import Activity
from backend.crm.services import activities as services
from tests.crm.factories import ActivityFactory, CustomerFactory, OpportunityFactory
from tests.fixtures.clients import api_client

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def _reminder(people, who="owner", days=1, customer=None, **kwargs):
    return services.activity_log(actor=people[who], customer=customer or people["customer"], kind="reminder",
                                 subject=f"Follow up in {days} days", due_at=NOW + dt.timedelta(days=days), **kwargs)


def test_a_visit_is_logged_on_a_customer_and_its_deal_and_audited(people):
    # given an opportunity of the customer
    opportunity = OpportunityFactory(customer=people["customer"], title="VMC850 × 3")

    # when the owner logs a visit about it
    response = api_client(people["owner"]).post(f"/api/crm/customers/{people['customer'].pk}/activities/", {
        "kind": "visit", "subject": "现场拜访 On-site visit", "body": "Met the plant manager.",
        "opportunity": opportunity.pk, "occurred_at": "2026-03-02T10:00:00+08:00",
    }, format="json")

    # then it is on the customer, tied to the deal, and audited with the customer
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind"], body["opportunity"]["id"], body["customer"]["id"]) == (
        "visit", opportunity.pk, people["customer"].pk)
    assert body["occurred_at"].startswith("2026-03-02") and body["due_at"] is None and body["overdue"] is False
    assert AuditEvent.objects.filter(event_type="crm.activity.logged", target_id=str(body["id"]),
                                     customer_id=people["customer"].pk).exists()


@pytest.mark.parametrize("payload,field", [
    ({"kind": "reminder", "subject": "Call back"}, "due_at"),
    ({"kind": "call", "subject": "Called", "due_at": "2026-04-01T09:00:00Z"}, "due_at"),
    ({"kind": "fax", "subject": "Sent"}, "kind"),
    ({"kind": "note", "subject": ""}, "subject"),
    ({"kind": "note", "subject": "x", "opportunity": "other"}, "opportunity"),
    ({"kind": "note", "subject": "x", "opportunity": 999999}, "opportunity"),
])
def test_bad_activities_are_400_on_the_field(people, payload, field):
    if payload.get("opportunity") == "other":
        payload = {**payload, "opportunity": OpportunityFactory(customer=CustomerFactory(owner=people["owner"])).pk}
    response = api_client(people["owner"]).post(f"/api/crm/customers/{people['customer'].pk}/activities/", payload,
                                                format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["fields"]
    assert not Activity.objects.exists()


def test_the_timeline_is_newest_first_and_filters_by_kind(people):
    # given a call last week, a note yesterday and a reminder logged now
    customer = people["customer"]
    call = ActivityFactory(customer=customer, kind="call", occurred_at=NOW - dt.timedelta(days=7))
    note = ActivityFactory(customer=customer, kind="note", occurred_at=NOW - dt.timedelta(days=1))
    reminder = _reminder(people)
    ActivityFactory(customer=CustomerFactory(owner=people["owner"]))  # another customer's

    # when the team member reads the timeline, all of it and only calls
    client = api_client(people["team"])
    everything = client.get(f"/api/crm/customers/{customer.pk}/activities/").json()["results"]
    calls = client.get(f"/api/crm/customers/{customer.pk}/activities/?kind=call").json()["results"]

    # then it is newest first, and the filter works
    assert [row["id"] for row in everything] == [reminder.pk, note.pk, call.pk]
    assert [row["id"] for row in calls] == [call.pk]


def test_a_reminder_is_marked_done_once(people):
    # given an open reminder
    reminder = _reminder(people)
    client = api_client(people["owner"])

    # when it is marked done twice
    first = client.post(f"/api/crm/activities/{reminder.pk}/done/")
    second = client.post(f"/api/crm/activities/{reminder.pk}/done/")

    # then it is done, and only the first call wrote an audit event
    assert first.status_code == second.status_code == 200 and second.json()["done"] is True
    assert AuditEvent.objects.filter(event_type="crm.activity.completed", target_id=str(reminder.pk)).count() == 1


def test_only_reminders_are_marked_done(people):
    call = ActivityFactory(customer=people["customer"], kind="call")
    response = api_client(people["owner"]).post(f"/api/crm/activities/{call.pk}/done/")
    assert response.status_code == 400 and "kind" in response.json()["fields"]


def test_my_open_reminders_are_mine_open_and_by_due_date(people):
    # given my reminders due in 3 days, overdue by 1 day, and done; and a colleague's
    later = _reminder(people, days=3)
    overdue = services.activity_log(actor=people["owner"], customer=people["customer"], kind="reminder",
                                    subject="Send the revised quote", due_at=NOW - dt.timedelta(days=1))
    done = _reminder(people, days=2)
    services.activity_complete(actor=people["owner"], activity=done)
    _reminder(people, who="team", days=1)

    # when I list my reminders
    rows = api_client(people["owner"]).get("/api/crm/reminders/").json()["results"]

    # then the overdue one leads, then the later one; done and other people's reminders are not there
    assert [row["id"] for row in rows] == [overdue.pk, later.pk]
    assert [row["overdue"] for row in rows] == [True, False]


@pytest.mark.parametrize("page_size", [2, 6])
def test_lists_cost_the_same_queries_whatever_the_page_size(people, page_size, django_assert_num_queries):
    for days in range(8):
        _reminder(people, days=days + 1)
    client = api_client(people["owner"])
    # session, user, the page (owner, customer, opportunity joined)
    with django_assert_num_queries(3):
        reminders = client.get(f"/api/crm/reminders/?page_size={page_size}")
    # session, user, the customer, the page
    with django_assert_num_queries(4):
        timeline = client.get(f"/api/crm/customers/{people['customer'].pk}/activities/?page_size={page_size}")
    assert len(reminders.json()["results"]) == len(timeline.json()["results"]) == page_size


# --- permission matrix ---------------------------------------------------------------------------------

ENDPOINTS = [
    # name, method, path, payload, success, audit event, readers allowed
    ("timeline", "get", "/api/crm/customers/{customer}/activities/", None, 200, None),
    ("log", "post", "/api/crm/customers/{customer}/activities/", {"kind": "call", "subject": "Called"}, 201,
     "crm.activity.logged"),
    ("done", "post", "/api/crm/activities/{reminder}/done/", {}, 200, "crm.activity.completed"),
]


def _call(client, endpoint, world):
    _, method, path, payload, _, _ = endpoint
    url = path.format(customer=world["customer"].pk, reminder=world["reminder"].pk)
    return client.get(url) if method == "get" else client.post(url, payload, format="json")


@pytest.fixture
def world(people):
    return {**people, "reminder": _reminder(people)}


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e[0])
def test_no_relationship_means_404_like_a_missing_id(world, endpoint):
    client = api_client(world["outsider"])
    response = _call(client, endpoint, world)
    missing_world = {**world, "customer": CustomerFactory.build(pk=world["customer"].pk + 10_000),
                     "reminder": Activity(pk=world["reminder"].pk + 10_000)}
    missing = _call(client, endpoint, missing_world)
    assert response.status_code == missing.status_code == 404
    assert response.json() == missing.json()
    assert Activity.objects.count() == 1 and not Activity.objects.get().done


@pytest.mark.parametrize("who", ["owner", "team", "admin"])
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e[0])
def test_owner_team_and_admin_succeed_and_are_audited(world, endpoint, who):
    name, _, _, _, success, event = endpoint
    response = _call(api_client(world[who]), endpoint, world)
    assert response.status_code == success, response.content
    if event:
        assert AuditEvent.objects.filter(event_type=event, actor=world[who],
                                         customer_id=world["customer"].pk).exists()


@pytest.mark.parametrize("who", ["colleague", "compliance", "engineer"])
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e[0])
def test_readers_see_the_timeline_but_cannot_write(world, endpoint, who):
    name = endpoint[0]
    response = _call(api_client(world[who]), endpoint, world)
    if name == "timeline":
        assert response.status_code == 200
    else:
        assert response.status_code == 404
        assert AuditEvent.objects.filter(event_type="crm.access.denied", actor=world[who]).exists()
