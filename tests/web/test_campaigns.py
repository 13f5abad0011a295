"""The campaign and lead pages: who may open and post each (no right: 404; the right: 200/302 with the
audit row), the rep's leads on the home page (loaded by htmx), and the pages in Chinese."""

from __future__ import annotations

import datetime as dt

import pytest

from backend.audit.models import AuditEvent
from backend.crm.models import Campaign, CampaignMaterial, CampaignParticipant, Lead
from backend.crm.services.campaigns import campaign_create, lead_record
from tests.fixtures.clients import client_for

pytestmark = pytest.mark.django_db


def _expo(world):
    return campaign_create(actor=world.rep, theme="2026 机床展 Machine tool expo", type="exhibition",
                           starts_on=dt.date(2026, 3, 1), ends_on=dt.date(2026, 3, 4), region="上海", budget="50000")


def test_campaign_list_and_page_open_for_staff_and_the_form_only_for_marketing_roles(world):
    campaign = _expo(world)
    for name in ("outsider", "engineer", "compliance"):
        client = client_for(world.users[name])
        assert client.get("/campaigns/").status_code == 200
        page = client.get(f"/campaigns/{campaign.pk}/")
        assert page.status_code == 200 and campaign.theme in page.content.decode()
    # the engineer and compliance may not start one; nobody but the owner and admins edits it
    assert client_for(world.engineer).get("/campaigns/new/").status_code == 404
    assert client_for(world.compliance).post("/campaigns/new/", {"theme": "x"}).status_code == 404
    assert client_for(world.colleague).get(f"/campaigns/{campaign.pk}/edit/").status_code == 404
    assert client_for(world.admin).get(f"/campaigns/{campaign.pk}/edit/").status_code == 200
    assert client_for(world.rep).get(f"/campaigns/{campaign.pk}/edit/").status_code == 200
    assert client_for(world.rep).get("/campaigns/999999/").status_code == 404


def test_a_rep_starts_a_campaign_through_the_form(world):
    client = client_for(world.rep)
    response = client.post("/campaigns/new/", {
        "theme": "新品发布会 Launch", "type": "launch", "starts_on": "2026-04-01", "ends_on": "2026-04-01",
        "region": "上海", "budget": "12000.50", "currency": "CNY", "status": "planned", "description": ""})
    campaign = Campaign.objects.get(theme="新品发布会 Launch")
    assert response.status_code == 302 and response["Location"] == f"/campaigns/{campaign.pk}/"
    assert AuditEvent.objects.filter(event_type="crm.campaign.created", target_id=str(campaign.pk)).exists()
    # an end before the start is shown on the form, nothing saved
    bad = client.post("/campaigns/new/", {"theme": "Bad", "type": "other", "starts_on": "2026-04-02",
                                          "ends_on": "2026-04-01", "currency": "CNY", "status": "planned"})
    assert bad.status_code == 400 and not Campaign.objects.filter(theme="Bad").exists()


def test_materials_and_invitees_are_added_by_the_owner_only(world):
    campaign = _expo(world)
    url = f"/campaigns/{campaign.pk}"
    # a colleague who may not change the campaign: 404, nothing added
    assert client_for(world.colleague).post(f"{url}/materials/", {"document": world.quote_doc.pk}).status_code == 404
    assert client_for(world.colleague).post(f"{url}/invitees/", {"customer": world.customer.pk}).status_code == 404
    assert not CampaignMaterial.objects.exists() and not CampaignParticipant.objects.exists()
    # the owner adds the quote document and invites the customer
    client = client_for(world.rep)
    assert client.post(f"{url}/materials/", {"document": world.quote_doc.pk}).status_code == 302
    assert client.post(f"{url}/invitees/", {"customer": world.customer.pk}).status_code == 302
    assert CampaignMaterial.objects.get().document == world.quote_doc
    participant = CampaignParticipant.objects.get()
    assert participant.customer == world.customer
    assert AuditEvent.objects.filter(event_type="crm.campaign.material_added").count() == 1
    assert AuditEvent.objects.filter(event_type="crm.campaign.invited").count() == 1
    # a document the owner may not see is refused on the page (a message, nothing added)
    response = client.post(f"{url}/materials/", {"document": world.secret_doc.pk}, follow=True)
    assert "No such document." in response.content.decode()
    assert CampaignMaterial.objects.count() == 1
    # marking attendance
    assert client.post(f"{url}/invitees/{participant.pk}/attendance/", {"attended": "1"}).status_code == 302
    participant.refresh_from_db()
    assert participant.status == "attended"
    page = client.get(f"{url}/").content.decode()
    assert world.quote_doc.title in page and world.customer.name in page


def test_marketing_records_a_lead_assigned_to_a_rep_who_sees_it_at_home(world):
    campaign = _expo(world)
    client = client_for(world.admin)
    response = client.post(f"/leads/new/?campaign={campaign.pk}", {
        "name": "苏州新锐精工", "region": "苏州", "source": "campaign", "campaign": campaign.pk, "grade": "hot",
        "contact_name": "周敏", "contact_phone": "13800000000", "assign_to": world.colleague.pk})
    assert response.status_code == 302 and response["Location"] == f"/campaigns/{campaign.pk}/#leads"
    lead = Lead.objects.get()
    assert (lead.assigned_to, lead.customer.owner) == (world.colleague, world.colleague)
    assert AuditEvent.objects.filter(event_type="crm.lead.assigned", target_id=str(lead.pk)).exists()
    # the rep's home page loads their leads with htmx; the panel lists it with its campaign
    rep = client_for(world.colleague)
    assert 'hx-get="/leads/mine/"' in rep.get("/").content.decode()
    panel = rep.get("/leads/mine/", HTTP_HX_REQUEST="true")
    assert panel.status_code == 200
    assert "苏州新锐精工" in panel.content.decode() and campaign.theme in panel.content.decode()
    # the rep marks it contacted; another rep may not (404)
    assert client_for(world.outsider).post(f"/leads/{lead.pk}/status/", {"status": "contacted"}).status_code == 404
    assert rep.post(f"/leads/{lead.pk}/status/", {"status": "contacted", "next": "/"})["Location"] == "/"
    lead.refresh_from_db()
    assert lead.status == "contacted"


def test_a_duplicate_lead_is_refused_on_the_form_and_assigning_someone_elses_lead_is_a_404(world):
    client = client_for(world.colleague)
    response = client.post("/leads/new/", {"name": world.customer.name, "region": world.customer.region,
                                           "source": "other", "grade": "warm"})
    assert response.status_code == 409
    assert "王芳" in response.content.decode()
    # a lead the colleague recorded and handed to the rep cannot be taken back by the colleague
    lead = lead_record(actor=world.colleague, name="无锡恒达", region="无锡", assign_to=world.rep)
    response = client.post(f"/leads/{lead.pk}/assign/", {"assign_to": world.outsider.pk})
    assert response.status_code == 404
    lead.customer.refresh_from_db()
    assert lead.customer.owner == world.rep
    # the engineer may not record leads at all
    assert client_for(world.engineer).get("/leads/new/").status_code == 404


def test_the_campaign_pages_read_in_chinese(world):
    campaign = _expo(world)
    client = client_for(world.rep, "zh-hans")
    for url, chinese in (("/campaigns/", "市场活动"), (f"/campaigns/{campaign.pk}/", "宣传资料"),
                         ("/leads/", "销售线索"), ("/leads/new/", "记录线索")):
        body = client.get(url).content.decode()
        assert chinese in body, url
