"""Campaigns and leads: who may start and change a campaign, its materials and invitees, leads recorded
with the duplicate guard and assigned under the one-owner rule, results attributed through leads (over
the rows the reader may see), and who engaged with the materials (from the audit trail)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from backend.access.policy import Action, can
from backend.accounts.models import Role
from backend.audit import services as audit
from backend.audit.models import AuditEvent
from backend.common.errors import Conflict, InvalidInput, NotFound
from backend.crm.models import (
    CampaignStatus, CampaignType, ExpenseCategory, LeadSource, LeadStatus, OrderStatus, ParticipantStatus, Stage,
)
from backend.crm.selectors.campaigns import (
    campaign_engagement, campaign_list_visible, campaign_results, leads_for_rep,
)
from backend.crm.services.campaigns import (
    campaign_attendance_set, campaign_create, campaign_invite, campaign_material_add, campaign_update, lead_assign,
    lead_record, lead_status_set,
)
from backend.crm.services.customers import contact_create
from backend.crm.services.expenses import expense_decide, expense_submit
from backend.sharing.audit_events import PORTAL_SHARE_DOWNLOADED, PORTAL_SHARE_VIEWED
from tests import factories
from tests.crm.factories import CustomerFactory, OpportunityFactory, OrderFactory

pytestmark = pytest.mark.django_db

START = dt.date(2026, 3, 1)


def _events(event_type: str):
    return AuditEvent.objects.filter(event_type=event_type).order_by("id")


def _expo(actor, **extra):
    fields = {"theme": "2026 上海机床展 Machine tool expo", "type": CampaignType.EXHIBITION, "starts_on": START,
              "ends_on": dt.date(2026, 3, 4), "region": "上海", "budget": "50000", "currency": "CNY"}
    return campaign_create(actor=actor, **{**fields, **extra})


def test_a_marketer_starts_a_campaign_and_it_is_audited(people):
    # when a sales rep (marketing roles: admin, sales) starts an exhibition campaign
    campaign = _expo(people["owner"])
    # then it is stored as typed, owned by them, planned, and audited
    campaign.refresh_from_db()
    assert (campaign.type, campaign.region, campaign.budget, campaign.owner, campaign.status) == (
        "exhibition", "上海", Decimal("50000.00"), people["owner"], CampaignStatus.PLANNED)
    assert _events("crm.campaign.created").get().detail["budget"] == "50000.00"


def test_compliance_and_service_cannot_start_campaigns_and_dates_must_make_sense(people):
    for actor in (people["compliance"], people["engineer"]):
        with pytest.raises(NotFound):
            _expo(actor)
    with pytest.raises(InvalidInput) as error:
        _expo(people["owner"], ends_on=dt.date(2026, 2, 1))
    assert "ends_on" in error.value.extra["fields"]
    with pytest.raises(InvalidInput) as error:
        _expo(people["owner"], budget="-1", theme=" ")
    assert set(error.value.extra["fields"]) == {"budget", "theme"}


def test_every_member_of_staff_sees_a_campaign_but_only_its_owner_and_admins_change_it(people):
    # given a campaign of the owner
    campaign = _expo(people["owner"])
    # then everyone on the staff reads it; the owner and the administrator change it, a colleague does not
    for name in ("colleague", "outsider", "engineer", "compliance"):
        assert can(people[name], Action.VIEW, campaign)
        assert not can(people[name], Action.CHANGE, campaign)
    assert can(people["admin"], Action.CHANGE, campaign)
    with pytest.raises(NotFound):
        campaign_update(actor=people["colleague"], campaign=campaign, status=CampaignStatus.RUNNING)
    assert _events("crm.access.denied").filter(target_type="crm.campaign").exists()
    # when the owner starts it, the change is audited with old and new
    campaign_update(actor=people["owner"], campaign=campaign, status=CampaignStatus.RUNNING, budget="60000")
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.RUNNING and campaign.budget == Decimal("60000.00")
    assert _events("crm.campaign.updated").get().detail["changes"]["status"] == ["planned", "running"]


def test_materials_are_documents_the_marketer_may_see_added_once(people):
    campaign = _expo(people["owner"])
    brochure = factories.document(people["owner"], title="CK6150 brochure", kind="other")
    # when the owner adds the brochure
    material = campaign_material_add(actor=people["owner"], campaign=campaign, document=brochure)
    # then it is a material, audited; adding it again is a conflict
    assert material.document == brochure
    assert _events("crm.campaign.material_added").get().detail["document"] == brochure.pk
    with pytest.raises(Conflict):
        campaign_material_add(actor=people["owner"], campaign=campaign, document=brochure)
    # and a document the marketer may not see cannot be added (404, as if missing)
    secret = factories.document(people["outsider"], title="Secret", classification="secret")
    with pytest.raises(NotFound):
        campaign_material_add(actor=people["owner"], campaign=campaign, document=secret)


def test_invitees_are_customers_and_their_contacts_who_did_not_opt_out(people):
    campaign = _expo(people["owner"])
    customer = people["customer"]
    buyer = contact_create(actor=people["owner"], customer=customer, name="刘洋")
    opted_out = contact_create(actor=people["owner"], customer=customer, name="孙丽", marketing_opt_out=True)
    # when the owner invites the buyer, then marks them attending
    participant = campaign_invite(actor=people["owner"], campaign=campaign, customer=customer, contact=buyer)
    campaign_attendance_set(actor=people["owner"], participant=participant, attended=True)
    participant.refresh_from_db()
    assert participant.status == ParticipantStatus.ATTENDED
    assert _events("crm.campaign.invited").get().customer_id == customer.pk
    assert _events("crm.campaign.attendance").get().detail["status"] == "attended"
    # then inviting the buyer twice is a conflict, and the contact who opted out is not invited
    with pytest.raises(Conflict):
        campaign_invite(actor=people["owner"], campaign=campaign, customer=customer, contact=buyer)
    with pytest.raises(InvalidInput) as error:
        campaign_invite(actor=people["owner"], campaign=campaign, customer=customer, contact=opted_out)
    assert "contact" in error.value.extra["fields"]


def test_a_lead_is_a_prospect_customer_with_its_source_assigned_to_a_rep_who_sees_it(people):
    campaign = _expo(people["owner"])
    marketer, rep = people["owner"], people["colleague"]
    # when marketing records a lead from the expo, with its contact, and assigns it to the rep
    lead = lead_record(actor=marketer, name="苏州新锐精工", region="苏州", source=LeadSource.CAMPAIGN,
                       campaign=campaign, grade="hot", contact_name="周敏", contact_phone="13800000000",
                       assign_to=rep)
    # then the customer is a prospect owned by the rep (the one owner), with its primary contact
    customer = lead.customer
    customer.refresh_from_db()
    assert (customer.status, customer.tier, customer.owner) == ("prospect", "prospect", rep)
    assert customer.contacts.get().name == "周敏"
    assert (lead.source, lead.campaign, lead.assigned_to, lead.status) == ("campaign", campaign, rep, "new")
    # and recorded, reassigned and assigned are audited
    assert _events("crm.lead.recorded").get().customer_id == customer.pk
    assert _events("crm.customer.reassigned").get().detail["to"] == rep.username
    assert _events("crm.lead.assigned").get().detail["to"] == rep.username
    # and the rep sees it on their home list, until they qualify it
    assert leads_for_rep(user=rep) == [lead]
    lead_status_set(actor=rep, lead=lead, status=LeadStatus.QUALIFIED)
    assert leads_for_rep(user=rep) == []
    assert _events("crm.lead.status_changed").get().detail == {"from": "new", "to": "qualified"}


def test_the_duplicate_guard_and_the_one_owner_rule_apply_to_leads(people):
    marketer = people["colleague"]
    # when marketing records a lead for a customer that exists (another rep owns it)
    with pytest.raises(Conflict) as error:
        lead_record(actor=marketer, name=people["customer"].name, region=people["customer"].region)
    # then it is refused naming the owner, and nothing is half-saved
    assert error.value.extra["owner"]["id"] == people["owner"].pk
    assert not _events("crm.lead.recorded").exists()
    # and once a lead is assigned, marketing cannot hand it to somebody else: the rep owns it now
    lead = lead_record(actor=marketer, name="无锡恒达", region="无锡", assign_to=people["owner"])
    with pytest.raises(NotFound):
        lead_assign(actor=marketer, lead=lead, rep=people["outsider"])
    lead.customer.refresh_from_db()
    assert lead.customer.owner == people["owner"]
    # a campaign lead must name its campaign; a lead cannot go to compliance
    with pytest.raises(InvalidInput):
        lead_record(actor=marketer, name="A", source=LeadSource.CAMPAIGN)
    with pytest.raises(InvalidInput):
        lead_record(actor=marketer, name="B", assign_to=people["compliance"])
    # and only the marketing roles record leads
    with pytest.raises(NotFound):
        lead_record(actor=people["engineer"], name="C")


def test_results_are_attributed_through_leads_and_narrowed_to_what_the_reader_may_see(people):
    admin = people["admin"]
    campaign = _expo(admin)
    east_rep, north_rep = people["owner"], people["outsider"]
    east = lead_record(actor=admin, name="East lead", region="上海", source=LeadSource.CAMPAIGN, campaign=campaign,
                       assign_to=east_rep)
    north = lead_record(actor=admin, name="North lead", region="北京", source=LeadSource.CAMPAIGN,
                        campaign=campaign, assign_to=north_rep)
    lead_record(actor=admin, name="Unassigned", source=LeadSource.CAMPAIGN, campaign=campaign)
    OpportunityFactory(customer=east.customer, stage=Stage.WON, amount=Decimal("120000"))
    OpportunityFactory(customer=east.customer, stage=Stage.PROPOSAL, amount=Decimal("5000"))
    OpportunityFactory(customer=north.customer, stage=Stage.WON, amount=Decimal("900"), currency="USD")
    OrderFactory(customer=east.customer, total="118000.50")
    OrderFactory(customer=east.customer, total="999", status=OrderStatus.CANCELLED)
    OrderFactory(customer=north.customer, total="880")
    OpportunityFactory(customer=people["customer"], stage=Stage.WON)  # not a lead: not the campaign's
    # costs: one approved, one pending, one rejected
    spend = {"spent_on": START, "category": ExpenseCategory.VENUE, "campaign": campaign}
    approved = expense_submit(actor=east_rep, amount="8000", **spend)
    expense_decide(actor=admin, expense=approved, approve=True)
    expense_submit(actor=east_rep, amount="1500.25", **spend)
    rejected = expense_submit(actor=east_rep, amount="99", **spend)
    expense_decide(actor=admin, expense=rejected, approve=False, note="Duplicate")

    # when the administrator reads the results: everything
    results = campaign_results(user=admin, campaign=campaign)
    assert (results.leads, results.leads_assigned) == (3, 2)
    assert (results.opportunities, results.opportunities_open, results.opportunities_won) == (3, 1, 2)
    assert results.won_amounts == {"CNY": Decimal("120000.00"), "USD": Decimal("900.00")}
    assert results.orders == 2
    assert results.order_amounts == {"CNY": Decimal("118880.50")}
    assert results.cost == {"CNY": Decimal("8000.00")}
    assert results.cost_pending == {"CNY": Decimal("1500.25")}
    # when the east rep reads them: only their own part (the north rep's deals are not revealed)
    mine = campaign_results(user=east_rep, campaign=campaign)
    assert (mine.leads, mine.opportunities, mine.orders) == (1, 2, 1)
    assert mine.won_amounts == {"CNY": Decimal("120000.00")}
    assert mine.order_amounts == {"CNY": Decimal("118000.50")}
    # and the list counts the leads the reader may see
    assert campaign_list_visible(user=admin).get().lead_count == 3
    assert campaign_list_visible(user=east_rep).get().lead_count == 1


def test_engagement_is_read_from_the_audit_trail_per_customer(people, django_assert_max_num_queries):
    owner = people["owner"]
    campaign = _expo(owner)
    brochure = factories.document(owner, title="Brochure", kind="other")
    slides = factories.document(owner, title="Slides", kind="other")
    other = factories.document(owner, title="Not a material", kind="other")
    for document in (brochure, slides):
        campaign_material_add(actor=owner, campaign=campaign, document=document)
    customer, hidden = people["customer"], CustomerFactory(name="Hidden Co", owner=people["outsider"])
    portal_user = factories.UserFactory(role=Role.PORTAL, department=None)
    # given portal opens recorded in the trail: two views and a download of two materials by the customer,
    # an open of another document, and opens by a customer the owner may not see
    for event, document, who in ((PORTAL_SHARE_VIEWED, brochure, customer), (PORTAL_SHARE_VIEWED, slides, customer),
                                 (PORTAL_SHARE_DOWNLOADED, brochure, customer),
                                 (PORTAL_SHARE_VIEWED, other, customer), (PORTAL_SHARE_VIEWED, brochure, hidden)):
        audit.record(event, actor=portal_user, target=document, customer_id=who.pk)
    # when the owner reads the engagement
    with django_assert_max_num_queries(8):
        rows = campaign_engagement(user=owner, campaign=campaign)
    # then one row: the customer, two materials opened, two views, one download
    assert [(r.customer_name, r.materials_opened, r.views, r.downloads) for r in rows] == [
        (customer.name, 2, 2, 1)]
    # and the administrator also sees the other customer
    assert {r.customer_id for r in campaign_engagement(user=people["admin"], campaign=campaign)} == {
        customer.pk, hidden.pk}


def test_the_rep_is_notified_once_in_their_language_when_a_lead_is_assigned(people, django_capture_on_commit_callbacks):
    from backend.notifications.models import Notification

    rep = people["colleague"]
    rep.preferred_language = "zh-hans"
    rep.save(update_fields=["preferred_language"])
    # when marketing records a hot lead and assigns it to the rep
    with django_capture_on_commit_callbacks(execute=True):
        lead = lead_record(actor=people["owner"], name="苏州新锐精工", region="苏州", grade="hot", assign_to=rep)
    # then the rep has one notification, in Chinese, linking to the customer
    note = Notification.objects.get(kind="sales.lead_assigned")
    assert (note.recipient, note.link) == (rep, f"/customers/{lead.customer_id}/")
    assert note.title == "新线索：苏州新锐精工"
    assert "热" in note.body
    # and assigning it to the same rep again notifies nobody twice
    lead_assign(actor=rep, lead=lead, rep=rep)
    assert Notification.objects.filter(kind="sales.lead_assigned").count() == 1
