"""Service levels in the staff UI: the administrators' targets page (who may open it, saving, refusals), the
clock on the desk's cards (flagged when breached, most urgent first, breached only) and on a record's page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from backend.audit.models import AuditEvent
from backend.crm.models import ServiceLevelTarget, ServiceRecord
from backend.crm.services import service as service_services
from tests.fixtures.clients import client_for

pytestmark = pytest.mark.django_db

URL = "/service/levels/"


def _form(**pairs) -> dict:
    """The page's POST: pairs like urgent_issue=("1", "8") in hours; every other pair empty."""
    data = {}
    for priority in ("low", "normal", "high", "urgent"):
        for type_ in ("issue", "complaint", "maintenance", "follow_up"):
            response, resolution = pairs.get(f"{priority}_{type_}", ("", ""))
            data[f"{priority}-{type_}-response"] = response
            data[f"{priority}-{type_}-resolution"] = resolution
    return data


@pytest.mark.parametrize("who", ["rep", "engineer", "compliance"])
def test_only_administrators_open_or_post_the_page(world, who):
    client = client_for(world.users[who])
    assert client.get(URL).status_code == 404
    assert client.post(URL, _form(urgent_issue=("1", "8"))).status_code == 404
    assert not ServiceLevelTarget.objects.exists()


def test_an_administrator_sets_targets_in_hours(world):
    client = client_for(world.users["admin"])
    page = client.get(URL)
    assert page.status_code == 200
    assert b'name="urgent-issue-response"' in page.content

    # when the admin sets 0.5 h / 8 h for urgent issues
    response = client.post(URL, _form(urgent_issue=("0.5", "8")), follow=True)

    # then the target is stored in minutes, audited, and shown again on the page
    assert response.redirect_chain[-1][1] == 302
    target = ServiceLevelTarget.objects.get(priority="urgent", type="issue")
    assert (target.response_minutes, target.resolution_minutes) == (30, 480)
    assert AuditEvent.objects.filter(event_type="crm.service_levels.changed", actor=world.users["admin"]).exists()
    assert b'value="0.5"' in response.content and b"Service levels saved" in response.content


def test_half_a_target_or_a_short_resolution_is_refused_on_the_form(world):
    client = client_for(world.users["admin"])
    response = client.post(URL, _form(urgent_issue=("1", ""), high_issue=("4", "2")))
    assert response.status_code == 200
    assert b"Enter both times, or neither for no target." in response.content
    assert b"The resolution time cannot be shorter than the response time." in response.content
    assert not ServiceLevelTarget.objects.exists()


def test_the_page_reads_in_chinese(world):
    response = client_for(world.users["admin"], "zh-hans").get(URL)
    assert response.status_code == 200
    assert "服务级别" in response.content.decode()


# --- the desk and a record's page ---------------------------------------------------------------------------


def _overdue_and_fresh(world):
    """Two undispatched urgent issues under a 1 h / 8 h target: one opened three hours ago, one just now."""
    client_for(world.users["admin"]).post(URL, _form(urgent_issue=("1", "8")))
    admin = world.users["admin"]
    old = service_services.service_record_create(actor=admin, customer=world.customer, title="Alarm E-17",
                                                 priority="urgent")
    opened = timezone.now() - dt.timedelta(hours=3)
    ServiceRecord.objects.filter(pk=old.pk).update(created_at=opened, response_due_at=opened + dt.timedelta(hours=1),
                                                   resolution_due_at=opened + dt.timedelta(hours=8))
    fresh = service_services.service_record_create(actor=admin, customer=world.customer, title="Coolant leak",
                                                   priority="urgent")
    return old, fresh


def test_the_desk_flags_a_breach_sorts_it_first_and_filters_on_it(world):
    old, fresh = _overdue_and_fresh(world)
    client = client_for(world.users["engineer"])

    # the cards carry their clocks: the old one breached
    page = client.get("/service/").content.decode()
    assert "Breached · Dispatch overdue by 2 h" in page
    assert "Dispatch within 59 min" in page or "Dispatch within 1 h 00 min" in page
    # newest first by default; the most urgent first on request
    assert page.index("Coolant leak") < page.index("Alarm E-17")
    urgent = client.get("/service/?order=due").content.decode()
    assert urgent.index("Alarm E-17") < urgent.index("Coolant leak")
    # breached only
    breached = client.get("/service/?breached=1").content.decode()
    assert "Alarm E-17" in breached and "Coolant leak" not in breached


def test_a_record_page_shows_both_hands_of_its_clock(world):
    old, _ = _overdue_and_fresh(world)
    page = client_for(world.users["engineer"]).get(f"/service/{old.pk}/").content.decode()
    assert 'data-testid="service-level"' in page
    assert "Dispatch overdue by 2 h" in page and "Resolve within 4 h" in page


def test_the_desk_offers_the_targets_page_to_administrators_only(world):
    assert b'href="/service/levels/"' in client_for(world.users["admin"]).get("/service/").content
    assert b'href="/service/levels/"' not in client_for(world.users["engineer"]).get("/service/").content
