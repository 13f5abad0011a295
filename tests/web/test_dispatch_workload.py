"""Dispatching from a service record's page: each candidate engineer with their open workload and product
experience (records resolved per product), the most experienced with this product first; who may see it."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backend.accounts.models import Role
from backend.audit.models import AuditEvent
from backend.crm.models import DispatchState, Product
from backend.crm.services import service as service_services
from tests import factories
from tests.fixtures.clients import client_for

pytestmark = pytest.mark.django_db


def _resolved(world, engineer, product, title="Fixed"):
    """A record of `product` that `engineer` resolved."""
    admin = world.users["admin"]
    record = service_services.service_record_create(actor=admin, customer=world.customer, title=title,
                                                    product=product)
    record = service_services.service_record_dispatch(actor=admin, record=record, engineer=engineer)
    record = service_services.service_record_confirm(actor=engineer, record=record)
    return service_services.service_record_resolve(actor=engineer, record=record, resolution="Done.")


@pytest.fixture
def dispatch(world):
    """A record of the CNC lathe waiting for dispatch. Tom Becker (the world's engineer) carries one open record
    and resolved one lathe record; Li Ming resolved two lathe records and one spindle record and carries none."""
    li = factories.UserFactory(username="li.ming", display_name="李明", role=Role.SERVICE)
    spindle = Product.objects.create(code="QH-SP-10", name="主轴 Spindle", name_en="Spindle unit",
                                     list_price="8000.00")
    _resolved(world, li, world.product)
    _resolved(world, li, world.product)
    _resolved(world, li, spindle)
    _resolved(world, world.users["engineer"], world.product)
    waiting = service_services.service_record_create(actor=world.users["rep"], customer=world.customer,
                                                     title="刀塔卡死 Turret jammed", product=world.product)
    return {"record": waiting, "li": li, "tom": world.users["engineer"], "spindle": spindle}


def _candidates(html: str) -> list[str]:
    return re.findall(r'data-testid="candidate-(\d+)"', html)


def _candidate_block(html: str, user) -> str:
    match = re.search(rf'data-testid="candidate-{user.pk}">(.*?)</label>', html, re.S)
    assert match, f"no candidate {user}"
    return match.group(1)


def test_the_service_manager_sees_each_engineers_workload_and_experience_best_first(world, dispatch):
    # when the service manager opens the waiting record
    response = client_for(world.users["admin"]).get(f"/service/{dispatch['record'].pk}/")

    # then the dispatch form offers every active engineer, the one with most lathe records resolved first
    assert response.status_code == 200
    html = response.content.decode()
    assert _candidates(html) == [str(dispatch["li"].pk), str(dispatch["tom"].pk)]
    li = _candidate_block(html, dispatch["li"])
    assert "Open: 0" in li and "QH-CNC-200 resolved: 2" in li and "Resolved in all: 3" in li
    assert re.search(r'title="数控车床 CNC lathe 200">QH-CNC-200</abbr> ×2, <abbr title="Spindle unit">QH-SP-10</abbr> ×1',
                     li)
    # and Tom carries the world's record still waiting for his confirmation
    tom = _candidate_block(html, dispatch["tom"])
    assert "Open: 1" in tom and "QH-CNC-200 resolved: 1" in tom and "Resolved in all: 1" in tom


def test_fewest_open_records_come_first_among_equals_and_without_a_product(world, dispatch):
    # given a record that names no product, and a third engineer who carries two open records
    busy = factories.UserFactory(username="busy.bee", display_name="Busy Bee", role=Role.SERVICE)
    for title in ("One", "Two"):
        record = service_services.service_record_create(actor=world.users["admin"], customer=world.customer,
                                                        title=title)
        service_services.service_record_dispatch(actor=world.users["admin"], record=record, engineer=busy)
    plain = service_services.service_record_create(actor=world.users["admin"], customer=world.customer,
                                                   title="Noise somewhere")

    # when the service manager opens it
    html = client_for(world.users["admin"]).get(f"/service/{plain.pk}/").content.decode()

    # then no product count is shown, and the engineers come by fewest open records
    assert 'data-testid="resolved-of-product"' not in html
    assert _candidates(html) == [str(dispatch["li"].pk), str(dispatch["tom"].pk), str(busy.pk)]
    assert "Open: 2" in _candidate_block(html, busy)


def test_the_chosen_engineer_is_dispatched_and_audited(world, dispatch):
    # when the service manager chooses Li Ming in the form and dispatches
    record = dispatch["record"]
    response = client_for(world.users["admin"]).post(f"/service/{record.pk}/dispatch/", {
        "engineer": dispatch["li"].pk, "next": f"/service/{record.pk}/"})

    # then the record waits for Li Ming, the step is audited, and the page no longer offers dispatch
    assert response.status_code == 302 and response["Location"] == f"/service/{record.pk}/"
    record.refresh_from_db()
    assert (record.dispatch_state, record.engineer) == (DispatchState.DISPATCHED, dispatch["li"])
    assert AuditEvent.objects.filter(event_type="crm.service.dispatch_changed", target_id=str(record.pk),
                                     actor=world.users["admin"], detail__engineer="li.ming").exists()
    html = client_for(world.users["admin"]).get(f"/service/{record.pk}/").content.decode()
    assert 'data-testid="dispatch-form"' not in html


@pytest.mark.parametrize("who, status, offered", [
    ("admin", 200, True),       # the service manager
    ("engineer", 200, True),    # the service department dispatches too
    ("rep", 200, True),         # the customer's owner changes their customer's records
    ("compliance", 200, False),  # reads every record, changes none
    ("colleague", 200, False),  # sees the owner's customer, may not change it
    ("outsider", 404, False),   # may not see the customer: the record is not there
])
def test_who_is_offered_the_dispatch_form(world, dispatch, who, status, offered):
    response = client_for(world.users[who]).get(f"/service/{dispatch['record'].pk}/")
    assert response.status_code == status
    assert ('data-testid="dispatch-form"' in response.content.decode()) is offered


def test_someone_who_may_not_change_the_record_cannot_dispatch(world, dispatch):
    # when a colleague who only reads the customer posts a dispatch anyway
    record = dispatch["record"]
    response = client_for(world.users["colleague"]).post(f"/service/{record.pk}/dispatch/", {
        "engineer": dispatch["li"].pk})

    # then nothing moves and the refusal is on the trail
    record.refresh_from_db()
    assert response.status_code in (302, 404)
    assert record.dispatch_state == DispatchState.NOT_DISPATCHED
    assert AuditEvent.objects.filter(event_type="crm.access.denied", actor=world.users["colleague"],
                                     target_id=str(record.pk)).exists()


def test_the_page_in_chinese(world, dispatch):
    html = client_for(world.users["admin"], "zh-hans").get(f"/service/{dispatch['record'].pk}/").content.decode()
    li = _candidate_block(html, dispatch["li"])
    assert "未完成：0" in li and "QH-CNC-200 已解决：2" in li and "共解决：3" in li
    assert "派工给" in html


def test_the_query_count_does_not_grow_with_engineers_or_records(world, dispatch):
    # given the page's query count as it is
    client = client_for(world.users["admin"])
    url = f"/service/{dispatch['record'].pk}/"
    client.get(url)
    with CaptureQueriesContext(connection) as before:
        assert client.get(url).status_code == 200

    # when five more engineers resolve records of two products
    for n in range(5):
        engineer = factories.UserFactory(username=f"extra.{n}", role=Role.SERVICE)
        _resolved(world, engineer, world.product)
        _resolved(world, engineer, dispatch["spindle"])

    # then the page asks the database as many times as before
    with CaptureQueriesContext(connection) as after:
        assert client.get(url).status_code == 200
    assert len(after) == len(before), [q["sql"] for q in after.captured_queries]


def test_resolving_on_the_page_says_when_the_follow_up_visit_is_due(world, settings):
    # given follow-up visits a week after resolution, and the world's record confirmed by its engineer
    settings.SERVICE_FOLLOW_UP_DAYS = 7
    engineer = world.users["engineer"]
    record = service_services.service_record_confirm(actor=engineer, record=world.record)

    # when the engineer resolves it on its page
    response = client_for(engineer).post(f"/service/{record.pk}/resolve/", {
        "resolution": "Replaced the bearing.", "next": f"/service/{record.pk}/"}, follow=True)

    # then the page says a follow-up visit is due, and for whom: the customer's owner
    html = response.content.decode()
    assert "A follow-up visit is due on" in html and "a reminder for 王芳" in html
    assert world.customer.activities.filter(kind="reminder", owner=world.users["rep"],
                                            subject__startswith="Follow-up visit:").count() == 1


def test_a_rep_dispatching_counts_only_the_records_they_may_see(world, dispatch):
    # given a record of another rep's customer, open with Tom Becker
    admin = world.users["admin"]
    hidden = service_services.service_record_create(actor=admin, customer=world.other_customer, title="Elsewhere")
    service_services.service_record_dispatch(actor=admin, record=hidden, engineer=dispatch["tom"])
    url = f"/service/{dispatch['record'].pk}/"

    # when the customer's owner and the service manager open the waiting record
    rep_html = client_for(world.users["rep"]).get(url).content.decode()
    manager_html = client_for(admin).get(url).content.decode()

    # then the manager counts Tom's whole workload, the rep only what the rep may see (the policy's visible())
    assert "Open: 2" in _candidate_block(manager_html, dispatch["tom"])
    assert "Open: 1" in _candidate_block(rep_html, dispatch["tom"])
