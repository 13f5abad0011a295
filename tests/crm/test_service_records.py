"""Service records: opening, the strict dispatch order, rating, knowledge, access, audit, query counts."""

from __future__ import annotations

import pytest

from backend.audit.models import AuditEvent
from backend.crm.models import DispatchState, KnowledgeArticle, ServiceRecord
from backend.crm.services import service as services
from tests.crm.factories import CustomerFactory, OrderFactory, ProductFactory, ServiceRecordFactory, service_engineer
from tests.fixtures.clients import api_client

pytestmark = pytest.mark.django_db

S = DispatchState


def _open(people, **kwargs) -> ServiceRecord:
    return services.service_record_create(actor=people["owner"], customer=people["customer"],
                                          title="主轴异响 Spindle noise at 8000 rpm", **kwargs)


def _walk(people, record, to: str) -> ServiceRecord:
    """Move a record along the dispatch states up to `to`, as the people who would do it."""
    steps = [
        (S.DISPATCHED, lambda r: services.service_record_dispatch(actor=people["owner"], record=r,
                                                                  engineer=people["engineer"])),
        (S.CONFIRMED, lambda r: services.service_record_confirm(actor=people["engineer"], record=r)),
        (S.RESOLVED, lambda r: services.service_record_resolve(actor=people["engineer"], record=r,
                                                               resolution="Replaced the spindle bearing.")),
        (S.CLOSED, lambda r: services.service_record_close(actor=people["owner"], record=r)),
    ]
    for state, step in steps:
        record = step(record)
        if state == to:
            break
    return record


# --- opening -------------------------------------------------------------------------------------------


def test_the_owner_opens_a_record_and_it_is_audited(people):
    # given a product and an order of the customer
    product = ProductFactory()
    order = OrderFactory(customer=people["customer"])

    # when the owner opens a complaint about it
    response = api_client(people["owner"]).post("/api/crm/service-records/", {
        "customer": people["customer"].pk, "title": "设备精度不达标", "type": "complaint", "priority": "high",
        "description": "Positioning error 0.02 mm", "product": product.pk, "order": order.pk,
    }, format="json")

    # then it starts undispatched, with the next step named, and the event is recorded
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["dispatch_state"], body["next_state"], body["type"]) == ("not_dispatched", "dispatched", "complaint")
    assert body["product"]["id"] == product.pk and body["order"] == order.pk
    assert AuditEvent.objects.filter(event_type="crm.service.created", target_id=str(body["id"]),
                                     customer_id=people["customer"].pk).exists()


def test_service_staff_open_records_for_any_customer_they_can_see(people):
    response = api_client(people["engineer"]).post(
        "/api/crm/service-records/", {"customer": people["customer"].pk, "title": "Annual maintenance",
                                      "type": "maintenance"}, format="json")
    assert response.status_code == 201, response.content


@pytest.mark.parametrize("who", ["colleague", "outsider", "compliance"])
def test_people_who_may_not_change_the_customer_cannot_open_records(people, who):
    response = api_client(people[who]).post(
        "/api/crm/service-records/", {"customer": people["customer"].pk, "title": "x"}, format="json")
    assert response.status_code == 404
    assert not ServiceRecord.objects.exists()


@pytest.mark.parametrize("payload,field", [
    ({"title": " "}, "title"),
    ({"title": "ok", "type": "praise"}, "type"),
    ({"title": "ok", "priority": "whenever"}, "priority"),
    ({"title": "ok", "order": "other"}, "order"),
])
def test_bad_input_is_400_on_the_field(people, payload, field):
    if payload.get("order") == "other":
        payload = {**payload, "order": OrderFactory(customer=CustomerFactory(owner=people["owner"])).pk}
    response = api_client(people["owner"]).post(
        "/api/crm/service-records/", {"customer": people["customer"].pk, **payload}, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["fields"]
    assert not ServiceRecord.objects.exists()


# --- dispatch ------------------------------------------------------------------------------------------


def test_a_record_walks_every_state_in_order_with_a_timestamp_per_step(people):
    # given an open record
    record = _open(people)
    owner, engineer = api_client(people["owner"]), api_client(people["engineer"])
    base = f"/api/crm/service-records/{record.pk}"

    # when it is dispatched to the engineer, confirmed by them, resolved, and closed
    dispatched = owner.post(f"{base}/dispatch/", {"engineer": people["engineer"].pk}, format="json")
    confirmed = engineer.post(f"{base}/confirm/")
    resolved = engineer.post(f"{base}/resolve/", {"resolution": "更换主轴轴承 Replaced the bearing"}, format="json")
    closed = owner.post(f"{base}/close/")

    # then each step answers 200 with the new state, every step is stamped in order, and each is audited
    assert [r.status_code for r in (dispatched, confirmed, resolved, closed)] == [200] * 4
    assert [r.json()["dispatch_state"] for r in (dispatched, confirmed, resolved, closed)] == [
        "dispatched", "confirmed", "resolved", "closed"]
    body = closed.json()
    assert body["engineer"]["id"] == people["engineer"].pk and body["next_state"] is None
    assert body["created_at"] <= body["dispatched_at"] <= body["confirmed_at"] <= body["resolved_at"] \
        <= body["closed_at"]
    assert body["resolution"] == "更换主轴轴承 Replaced the bearing"
    changes = AuditEvent.objects.filter(event_type="crm.service.dispatch_changed", target_id=str(record.pk))
    assert [(e.detail["from"], e.detail["to"]) for e in changes.order_by("id")] == [
        ("not_dispatched", "dispatched"), ("dispatched", "confirmed"), ("confirmed", "resolved"),
        ("resolved", "closed")]


@pytest.mark.parametrize("state,action,payload,allowed", [
    (S.NOT_DISPATCHED, "confirm", {}, "dispatched"),
    (S.NOT_DISPATCHED, "resolve", {"resolution": "done"}, "dispatched"),
    (S.NOT_DISPATCHED, "close", {}, "dispatched"),
    (S.DISPATCHED, "dispatch", {"engineer": "engineer"}, "confirmed"),
    (S.DISPATCHED, "resolve", {"resolution": "done"}, "confirmed"),
    (S.CONFIRMED, "close", {}, "resolved"),
    (S.CONFIRMED, "confirm", {}, "resolved"),
    (S.RESOLVED, "dispatch", {"engineer": "engineer"}, "closed"),
    (S.CLOSED, "close", {}, None),
    (S.CLOSED, "resolve", {"resolution": "again"}, None),
])
def test_a_step_out_of_order_is_400_naming_the_current_state_and_the_allowed_one(people, state, action, payload,
                                                                                 allowed):
    # given a record in `state`
    record = _open(people)
    if state != S.NOT_DISPATCHED:
        record = _walk(people, record, state)
    if payload.get("engineer") == "engineer":
        payload = {"engineer": people["engineer"].pk}

    # when someone allowed to act tries a step that is not the next one
    response = api_client(people["engineer"]).post(f"/api/crm/service-records/{record.pk}/{action}/", payload,
                                                   format="json")

    # then 400 says where the record is and what may come next; the record is unchanged
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["current"] == state and body["allowed"] == ([allowed] if allowed else [])
    assert f"“{state}”" in body["detail"]
    assert (f"“{allowed}”" in body["detail"]) if allowed else ("closed" in body["detail"])
    assert ServiceRecord.objects.get(pk=record.pk).dispatch_state == state


def test_only_the_assigned_engineer_confirms_others_get_404_and_the_denial_is_audited(people):
    # given a record dispatched to one engineer, and a second service engineer
    record = _walk(people, _open(people), S.DISPATCHED)
    other_engineer = service_engineer(username="other.engineer", department=people["engineer"].department)

    # when the owner and the other engineer try to confirm
    by_owner = api_client(people["owner"]).post(f"/api/crm/service-records/{record.pk}/confirm/")
    by_other = api_client(other_engineer).post(f"/api/crm/service-records/{record.pk}/confirm/")

    # then both are 404, the denials are audited and the record still waits for its engineer
    assert by_owner.status_code == by_other.status_code == 404
    assert AuditEvent.objects.filter(event_type="crm.access.denied", target_id=str(record.pk),
                                     detail__action="confirm").count() == 2
    assert ServiceRecord.objects.get(pk=record.pk).dispatch_state == S.DISPATCHED


def test_only_service_engineers_are_dispatched(people):
    record = _open(people)
    response = api_client(people["owner"]).post(f"/api/crm/service-records/{record.pk}/dispatch/",
                                                {"engineer": people["colleague"].pk}, format="json")
    missing = api_client(people["owner"]).post(f"/api/crm/service-records/{record.pk}/dispatch/",
                                               {"engineer": 999999}, format="json")
    assert response.status_code == missing.status_code == 400
    assert "engineer" in response.json()["fields"] and "engineer" in missing.json()["fields"]


def test_resolving_needs_a_resolution(people):
    record = _walk(people, _open(people), S.CONFIRMED)
    response = api_client(people["engineer"]).post(f"/api/crm/service-records/{record.pk}/resolve/",
                                                   {"resolution": "  "}, format="json")
    assert response.status_code == 400 and "resolution" in response.json()["fields"]
    assert ServiceRecord.objects.get(pk=record.pk).dispatch_state == S.CONFIRMED


# --- rating ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("state", [S.NOT_DISPATCHED, S.DISPATCHED, S.CONFIRMED])
def test_a_record_is_rated_only_once_resolved_or_closed(people, state):
    record = _open(people)
    if state != S.NOT_DISPATCHED:
        record = _walk(people, record, state)
    response = api_client(people["owner"]).post(f"/api/crm/service-records/{record.pk}/rate/", {"satisfaction": 5})
    assert response.status_code == 400 and response.json()["current"] == state
    assert ServiceRecord.objects.get(pk=record.pk).satisfaction is None


@pytest.mark.parametrize("state", [S.RESOLVED, S.CLOSED])
def test_a_resolved_or_closed_record_takes_a_score_from_1_to_5(people, state):
    # given a resolved (or closed) record
    record = _walk(people, _open(people), state)
    client = api_client(people["owner"])

    # when scores 0, 6 and 4 are sent
    too_low = client.post(f"/api/crm/service-records/{record.pk}/rate/", {"satisfaction": 0})
    too_high = client.post(f"/api/crm/service-records/{record.pk}/rate/", {"satisfaction": 6})
    good = client.post(f"/api/crm/service-records/{record.pk}/rate/", {"satisfaction": 4})

    # then only 4 is kept, and it is audited
    assert too_low.status_code == too_high.status_code == 400
    assert good.status_code == 200 and good.json()["satisfaction"] == 4
    assert AuditEvent.objects.filter(event_type="crm.service.rated", target_id=str(record.pk),
                                     detail__satisfaction=4).exists()


# --- knowledge -------------------------------------------------------------------------------------------


def test_service_staff_turn_a_resolved_record_into_a_draft_article(people):
    # given a resolved record about a product
    product = ProductFactory(code="QH-VMC850")
    record = _walk(people, _open(people, product=product, description="Noise above 8000 rpm."), S.RESOLVED)

    # when the engineer turns it into an article
    response = api_client(people["engineer"]).post(f"/api/crm/service-records/{record.pk}/to-article/")

    # then a draft internal article carries the problem and the fix, points back at the record, and is audited
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["visibility"], body["source_service_record"]) == ("draft", "internal", record.pk)
    assert "Noise above 8000 rpm." in body["body"] and "Replaced the spindle bearing." in body["body"]
    assert body["product"]["id"] == product.pk and body["author"]["id"] == people["engineer"].pk
    assert AuditEvent.objects.filter(event_type="crm.article.created", target_id=str(body["id"])).exists()
    detail = api_client(people["engineer"]).get(f"/api/crm/service-records/{record.pk}/").json()
    assert [a["id"] for a in detail["articles"]] == [body["id"]]


def test_sales_cannot_turn_records_into_articles_and_open_records_cannot_become_one(people):
    resolved = _walk(people, _open(people), S.RESOLVED)
    confirmed = _walk(people, _open(people), S.CONFIRMED)
    by_owner = api_client(people["owner"]).post(f"/api/crm/service-records/{resolved.pk}/to-article/")
    too_early = api_client(people["engineer"]).post(f"/api/crm/service-records/{confirmed.pk}/to-article/")
    assert by_owner.status_code == 404
    assert AuditEvent.objects.filter(event_type="crm.access.denied", detail__action="to_article").exists()
    assert too_early.status_code == 400
    assert not KnowledgeArticle.objects.exists()


# --- lists ------------------------------------------------------------------------------------------------


@pytest.fixture
def service_book(people):
    other = CustomerFactory(owner=people["outsider"])
    records = [ServiceRecordFactory(customer=people["customer"], created_by=people["owner"]) for _ in range(6)]
    for record in records[:2]:
        services.service_record_dispatch(actor=people["owner"], record=record, engineer=people["engineer"])
    hidden = [ServiceRecordFactory(customer=other, created_by=people["outsider"]) for _ in range(3)]
    return records, hidden, other


def test_lists_show_what_is_visible_and_filter_by_state_customer_and_engineer(people, service_book):
    records, hidden, other = service_book
    owner = api_client(people["owner"])
    mine = owner.get("/api/crm/service-records/?page_size=100").json()["results"]
    dispatched = owner.get("/api/crm/service-records/?dispatch_state=dispatched").json()["results"]
    by_engineer = api_client(people["engineer"]).get(
        f"/api/crm/service-records/?engineer={people['engineer'].pk}").json()["results"]
    by_customer = api_client(people["engineer"]).get(
        f"/api/crm/service-records/?customer={other.pk}&page_size=100").json()["results"]
    bad = owner.get("/api/crm/service-records/?dispatch_state=lost")
    assert {r["id"] for r in mine} == {r.pk for r in records}
    assert {r["id"] for r in dispatched} == {r.pk for r in records[:2]} == {r["id"] for r in by_engineer}
    assert {r["id"] for r in by_customer} == {r.pk for r in hidden}
    assert bad.status_code == 400 and "dispatch_state" in bad.json()["fields"]


def test_compliance_sees_every_service_record(people, service_book):
    records, hidden, _ = service_book
    rows = api_client(people["compliance"]).get("/api/crm/service-records/?page_size=100").json()["results"]
    assert len(rows) == len(records) + len(hidden)


@pytest.mark.parametrize("page_size", [2, 5])
def test_the_list_costs_the_same_queries_whatever_the_page_size(people, service_book, page_size,
                                                                django_assert_num_queries):
    client = api_client(people["team"])
    # session, user, the page (visibility as subqueries; customer, product, engineer and author joined)
    with django_assert_num_queries(3):
        response = client.get(f"/api/crm/service-records/?page_size={page_size}")
    assert response.status_code == 200 and len(response.json()["results"]) == page_size


# --- permission matrix -------------------------------------------------------------------------------------

ACTIONS = [
    # name, the state the record must be in first, payload, audit event
    ("dispatch", S.NOT_DISPATCHED, {"engineer": "engineer"}, "crm.service.dispatch_changed"),
    ("resolve", S.CONFIRMED, {"resolution": "Adjusted the gib"}, "crm.service.dispatch_changed"),
    ("close", S.RESOLVED, {}, "crm.service.dispatch_changed"),
    ("rate", S.RESOLVED, {"satisfaction": 5}, "crm.service.rated"),
]


def _prepared(people, state):
    record = _open(people)
    return record if state == S.NOT_DISPATCHED else _walk(people, record, state)


def _post(client, record, action, payload, people):
    if payload.get("engineer") == "engineer":
        payload = {"engineer": people["engineer"].pk}
    return client.post(f"/api/crm/service-records/{record.pk}/{action}/", payload, format="json")


@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: a[0])
def test_no_relationship_means_404_like_a_missing_record(people, action):
    # given a record in the right state and a rep unrelated to the customer
    name, state, payload, _ = action
    record = _prepared(people, state)
    client = api_client(people["outsider"])

    # when they act on it and on a record id that does not exist
    response = _post(client, record, name, payload, people)
    missing = _post(client, ServiceRecord(pk=record.pk + 10_000), name, payload, people)
    detail = client.get(f"/api/crm/service-records/{record.pk}/")

    # then all are 404 alike and the record did not move
    assert response.status_code == missing.status_code == detail.status_code == 404
    assert response.json() == missing.json()
    assert ServiceRecord.objects.get(pk=record.pk).dispatch_state == state


@pytest.mark.parametrize("who", ["owner", "team", "engineer", "admin"])
@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: a[0])
def test_owner_team_service_staff_and_admin_act_and_are_audited(people, action, who):
    name, state, payload, event = action
    record = _prepared(people, state)
    response = _post(api_client(people[who]), record, name, payload, people)
    assert response.status_code == 200, response.content
    assert AuditEvent.objects.filter(event_type=event, actor=people[who], target_id=str(record.pk),
                                     customer_id=people["customer"].pk).exists()


@pytest.mark.parametrize("who", ["colleague", "compliance"])
@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: a[0])
def test_readers_see_records_but_cannot_change_them(people, action, who):
    name, state, payload, _ = action
    record = _prepared(people, state)
    client = api_client(people[who])
    assert client.get(f"/api/crm/service-records/{record.pk}/").status_code == 200
    assert _post(client, record, name, payload, people).status_code == 404
    assert AuditEvent.objects.filter(event_type="crm.access.denied", actor=people[who]).exists()
