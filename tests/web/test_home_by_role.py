"""Home pages by role: compliance sees recent refusals, the chain's verification and checkpoints, and recent
exports; administrators see the readiness of each dependency; sales and service keep their own panels."""

from __future__ import annotations

import pytest

from backend.audit.events import DOCUMENT_ACCESS_DENIED
from backend.audit.services import record
from tests.fixtures.clients import client_for

pytestmark = pytest.mark.django_db


def test_compliance_sees_refusals_verification_checkpoints_and_exports(world):
    # given a refused access and an export of the trail
    record(DOCUMENT_ACCESS_DENIED, actor=world.outsider, target=world.contract, outcome="denied",
           detail={"action": "view"})
    client = client_for(world.compliance)
    b"".join(client.get("/compliance/export.csv").streaming_content)

    # when compliance opens the home page
    response = client.get("/")

    # then the refusal names the person and the document, with links, and the export is listed
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="compliance-home"' in html
    denials = response.context["compliance"]["denials"]
    assert [e.actor_id for e in denials] == [world.outsider.pk]
    assert f'href="/compliance/user-access/?user={world.outsider.pk}"' in html
    assert f'href="/documents/{world.contract.pk}/"' in html
    assert [e.event_type for e in response.context["compliance"]["exports"]] == ["audit.log.exported"]
    assert "Never verified" in html and 'data-testid="home-checkpoints"' in html
    # and not the sales panels, nor the system's health
    assert "My open quotes" not in html and 'data-testid="system-health"' not in html


def test_the_compliance_home_asks_as_many_queries_whatever_its_events_name(world):
    # given a compliance home with no refusal and no export
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(world.compliance)
    client.get("/")
    with CaptureQueriesContext(connection) as empty:
        assert client.get("/").status_code == 200

    # when refusals by two people, one naming a customer, and an export of the trail are recorded
    record(DOCUMENT_ACCESS_DENIED, actor=world.outsider, target=world.contract, outcome="denied",
           detail={"action": "view"}, customer_id=world.customer.pk)
    record(DOCUMENT_ACCESS_DENIED, actor=world.rep, target=world.contract, outcome="denied",
           detail={"action": "download"})
    b"".join(client.get("/compliance/export.csv").streaming_content)
    with CaptureQueriesContext(connection) as full:
        response = client.get("/")

    # then the page names them all with one query for the people and one for the customers, both lists at once
    html = response.content.decode()
    assert f'href="/compliance/user-access/?user={world.rep.pk}"' in html
    assert len(full) <= len(empty) + 2, [q["sql"][:120] for q in full.captured_queries]


def test_compliance_verifies_the_chain_from_home(world):
    client = client_for(world.compliance)
    response = client.post("/compliance/verify/", {"next": "/"}, follow=True)
    assert response.redirect_chain[-1][0] == "/"
    assert "Chain verified" in response.content.decode()


def test_administrators_see_each_dependency_ready_or_not(world):
    response = client_for(world.admin).get("/")
    assert response.status_code == 200
    probes = {probe.name: probe for probe in response.context["health"]["probes"]}
    assert probes["database"].up and probes["storage"].up and probes["search"].up
    html = response.content.decode()
    assert 'data-testid="probe-database"' in html and 'data-testid="probe-storage"' in html
    # their own work stays on the page too
    assert "My recent documents" in html
    zh = client_for(world.admin, "zh-hans").get("/").content.decode()
    assert "系统状态" in zh and "数据库" in zh and "文档存储" in zh


def test_sales_and_service_keep_their_home(world):
    rep = client_for(world.rep, "en").get("/")
    html = rep.content.decode()
    assert "My open quotes" in html
    assert 'data-testid="system-health"' not in html and 'data-testid="compliance-home"' not in html
    assert list(rep.context["recent"])
    engineer = client_for(world.engineer).get("/")
    assert [s.pk for s in engineer.context["dispatches"]] == [world.record.pk]
    assert 'data-testid="system-health"' not in engineer.content.decode()
