"""The opportunity page, its create/edit form and the pipeline board's links and in-place edits.

World (tests/web/world.py): 王芳 (rep) owns the customer and its deal "CNC 车床 10 台" (proposal); 李雷 (team)
is on the account team (changes it); 陈静 (colleague) is in the rep's department (sees it, changes nothing);
张伟 (outsider) has nothing to do with it.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from backend.audit.models import AuditEvent
from backend.crm.models import Competitor, Opportunity, OpportunityStageChange
from backend.crm.services.opportunities import opportunity_stage_change, opportunity_update
from tests.fixtures.clients import client_for
from tests.portal_factories import portal_user

pytestmark = pytest.mark.django_db

MISSING = 999_999


def _page(user, url: str, language: str = "en"):
    return client_for(user, language).get(url)


# --- who may open what -----------------------------------------------------------------------------


def test_the_opportunity_pages_need_a_signed_in_user(world):
    deal = world.opportunity.pk
    anonymous = Client()
    for url in (f"/opportunities/{deal}/", f"/opportunities/{deal}/edit/", "/opportunities/new/"):
        response = anonymous.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/signin/?next="), url
    for url in (f"/opportunities/{deal}/edit/", f"/opportunities/{deal}/stage/", "/opportunities/new/",
                f"/pipeline/{deal}/details/"):
        assert anonymous.post(url).status_code == 302, url


def test_the_page_matrix_see_change_or_404(world):
    deal = world.opportunity.pk
    # the owner and the account team see it and may edit it
    for user in (world.rep, world.team):
        page = _page(user, f"/opportunities/{deal}/")
        assert page.status_code == 200 and 'data-testid="opportunity-edit"' in page.content.decode()
        assert _page(user, f"/opportunities/{deal}/edit/").status_code == 200
    # a department colleague and compliance see it but are offered no edit, and the form is a 404
    for user in (world.colleague, world.compliance):
        page = _page(user, f"/opportunities/{deal}/")
        assert page.status_code == 200 and 'data-testid="opportunity-edit"' not in page.content.decode()
        assert _page(user, f"/opportunities/{deal}/edit/").status_code == 404
    # someone with no relationship, a portal user and a missing id: the same 404
    customer_user = portal_user(world.customer)
    for user in (world.outsider, customer_user):
        assert _page(user, f"/opportunities/{deal}/").status_code == 404
        assert _page(user, f"/opportunities/{deal}/edit/").status_code == 404
    assert _page(world.rep, f"/opportunities/{MISSING}/").status_code == 404
    # and a refused edit is in the trail
    assert AuditEvent.objects.filter(event_type="crm.access.denied", actor_id=world.colleague.pk).exists()


def test_the_page_shows_the_deal_its_competitors_quotes_and_stage_history(world):
    opportunity_update(actor=world.rep, opportunity=world.opportunity, competitors=["DMG Mori", "海天精工"],
                       expected_close=dt.date(2026, 12, 30), probability=60)
    page = _page(world.rep, f"/opportunities/{world.opportunity.pk}/").content.decode()
    assert "CNC 车床 10 台" in page and "上海精工机械有限公司" in page
    assert "DMG Mori" in page and "海天精工" in page
    assert "60%" in page
    assert "Q-2026-0001" in page  # the quote drafted for this deal
    assert 'data-testid="stage-history"' in page and "Proposal / quote" in page


def test_the_page_in_chinese(world):
    page = _page(world.rep, f"/opportunities/{world.opportunity.pk}/", "zh-hans").content.decode()
    assert "竞争对手" in page and "阶段历史" in page
    board = _page(world.rep, "/pipeline/", "zh-hans").content.decode()
    assert "赢单概率（%）" in board and "概率和成交日期" in board


# --- create ----------------------------------------------------------------------------------------


def test_new_from_the_customer_page_creates_an_audited_deal_with_competitors(world):
    Competitor.objects.create(name="Haas")
    client = client_for(world.rep)
    # given the customer page offers "New opportunity" to its owner
    customer_page = client.get(f"/customers/{world.customer.pk}/").content.decode()
    assert f"/opportunities/new/?customer={world.customer.pk}" in customer_page
    assert f'href="/opportunities/{world.opportunity.pk}/"' in customer_page
    form = client.get(f"/opportunities/new/?customer={world.customer.pk}")
    assert form.status_code == 200 and "上海精工机械有限公司" in form.content.decode()
    haas = str(Competitor.objects.get(name="Haas").pk)
    # when the rep saves a deal, ticking a known competitor and typing two new ones
    response = client.post("/opportunities/new/", {
        "customer": world.customer.pk, "title": "五轴加工中心 2 台", "amount": "860000", "currency": "CNY",
        "expected_close": "2026-11-30", "stage": "qualification", "probability": "", "competitors": [haas],
        "new_competitors": "DMG Mori、海天精工"})
    # then it is opened with the stage's probability and the three competitors, and audited
    deal = Opportunity.objects.get(title="五轴加工中心 2 台")
    assert response.status_code == 302 and response["Location"] == f"/opportunities/{deal.pk}/"
    assert (deal.stage, deal.probability, str(deal.amount), deal.expected_close) == (
        "qualification", 25, "860000.00", dt.date(2026, 11, 30))
    assert sorted(deal.competitors.values_list("name", flat=True)) == ["DMG Mori", "Haas", "海天精工"]
    assert AuditEvent.objects.filter(event_type="crm.opportunity.created", target_id=str(deal.pk),
                                     actor_id=world.rep.pk).exists()
    assert AuditEvent.objects.filter(event_type="crm.competitor.created").count() == 2


def test_new_is_refused_for_a_customer_the_user_may_not_change(world):
    # a colleague sees the customer but may not change it; an outsider does not see it
    for user in (world.colleague, world.outsider):
        assert _page(user, f"/opportunities/new/?customer={world.customer.pk}").status_code == 404
        response = client_for(user).post("/opportunities/new/", {
            "customer": world.customer.pk, "title": "x", "amount": "1", "currency": "CNY", "stage": "lead"})
        assert response.status_code == 404
    assert not Opportunity.objects.filter(title="x").exists()
    # and the customer page does not offer the button to the colleague
    page = _page(world.colleague, f"/customers/{world.customer.pk}/").content.decode()
    assert 'data-testid="customer-opportunity-new"' not in page


def test_invalid_input_shows_by_its_field_and_saves_nothing(world):
    client = client_for(world.rep)
    before = Opportunity.objects.count()
    # no customer, no title, a probability out of range
    response = client.post("/opportunities/new/", {"title": "", "amount": "10", "currency": "CNY",
                                                   "stage": "lead", "probability": "150"})
    page = response.content.decode()
    assert response.status_code == 400
    assert "Choose a customer." in page and "A title is required." in page
    assert "Enter a whole number from 0 to 100." in page
    # a competitor's name that is too long: the service's refusal, next to the field
    response = client.post("/opportunities/new/", {"customer": world.customer.pk, "title": "ok", "amount": "10",
                                                   "currency": "CNY", "stage": "lead", "new_competitors": "x" * 101})
    assert response.status_code == 400 and "Keep each competitor" in response.content.decode()
    assert Opportunity.objects.count() == before and not Competitor.objects.exists()


# --- edit ------------------------------------------------------------------------------------------


def test_edit_changes_the_details_in_one_audited_change(world):
    client = client_for(world.team)
    deal = world.opportunity
    response = client.post(f"/opportunities/{deal.pk}/edit/", {
        "title": "CNC 车床 12 台", "amount": "1416000", "currency": "CNY", "expected_close": "2027-01-15",
        "probability": "65", "new_competitors": "Okuma"})
    assert response.status_code == 302 and response["Location"] == f"/opportunities/{deal.pk}/"
    deal.refresh_from_db()
    assert (deal.title, str(deal.amount), deal.probability, deal.expected_close) == (
        "CNC 车床 12 台", "1416000.00", 65, dt.date(2027, 1, 15))
    assert list(deal.competitors.values_list("name", flat=True)) == ["Okuma"]
    event = AuditEvent.objects.get(event_type="crm.opportunity.updated", actor_id=world.team.pk)
    assert set(event.detail["changes"]) == {"title", "amount", "probability", "expected_close", "competitors"}
    # the form shows the deal's competitors ticked
    form = client.get(f"/opportunities/{deal.pk}/edit/").content.decode()
    okuma = Competitor.objects.get(name="Okuma").pk
    assert f'value="{okuma}"' in form and "checked" in form


def test_a_closed_deals_probability_is_not_offered(world):
    deal = opportunity_stage_change(actor=world.rep, opportunity=world.opportunity, stage="won")
    client = client_for(world.rep)
    form = client.get(f"/opportunities/{deal.pk}/edit/").content.decode()
    assert "probability follows its outcome" in form
    response = client.post(f"/opportunities/{deal.pk}/edit/", {
        "title": deal.title, "amount": "1180000", "currency": "CNY", "probability": "5"})
    assert response.status_code == 302
    assert Opportunity.objects.get(pk=deal.pk).probability == 100


# --- the funnel from the page ----------------------------------------------------------------------


def test_moving_the_stage_from_the_page_records_history_with_a_note(world):
    client = client_for(world.rep)
    url = f"/opportunities/{world.opportunity.pk}/stage/"
    response = client.post(url, {"stage": "negotiation", "note": "价格谈判 price talks"}, follow=True)
    assert "moved to Negotiation" in response.content.decode()
    change = OpportunityStageChange.objects.filter(opportunity=world.opportunity).last()
    assert (change.to_stage, change.note) == ("negotiation", "价格谈判 price talks")
    # lost without a reason: the reason is asked for, nothing moves
    response = client.post(url, {"stage": "lost"}, follow=True)
    assert "Say why the deal was lost." in response.content.decode()
    assert Opportunity.objects.get(pk=world.opportunity.pk).stage == "negotiation"
    # someone who only sees it: 404
    assert client_for(world.colleague).post(url, {"stage": "lead"}).status_code == 404
    assert client_for(world.outsider).post(url, {"stage": "lead"}).status_code == 404


# --- the pipeline board ----------------------------------------------------------------------------


def test_every_card_opens_its_opportunity_and_every_stage_is_a_column(world):
    page = _page(world.rep, "/pipeline/").content.decode()
    assert f'href="/opportunities/{world.opportunity.pk}/"' in page
    assert page.count('class="column"') == 6 and "board-stages" in page
    assert f'data-testid="card-edit-{world.opportunity.pk}"' in page
    # a colleague who may only look is offered neither the move nor the edit
    page = _page(world.colleague, "/pipeline/").content.decode()
    assert f'href="/opportunities/{world.opportunity.pk}/"' in page
    assert f'data-testid="card-edit-{world.opportunity.pk}"' not in page


def test_probability_and_close_date_are_edited_on_the_board(world):
    client = client_for(world.rep)
    url = f"/pipeline/{world.opportunity.pk}/details/"
    # when the rep saves the card's small form (htmx): the board comes back with the new values
    response = client.post(url, {"probability": "70", "expected_close": "2026-12-31"},
                           headers={"HX-Request": "true"})
    page = response.content.decode()
    assert response.status_code == 200 and 'id="board-wrap"' in page
    deal = Opportunity.objects.get(pk=world.opportunity.pk)
    assert (deal.probability, deal.expected_close) == (70, dt.date(2026, 12, 31))
    assert f'data-testid="card-probability-{deal.pk}">70%' in page
    event = AuditEvent.objects.get(event_type="crm.opportunity.updated", actor_id=world.rep.pk)
    assert set(event.detail["changes"]) == {"probability", "expected_close"}
    # without JavaScript: a redirect to the board; bad input is said and nothing changes
    response = client.post(url, {"probability": "101", "expected_close": ""}, follow=True)
    assert "Enter a whole number from 0 to 100." in response.content.decode()
    assert Opportunity.objects.get(pk=deal.pk).probability == 70
    # no change for those who may not change it
    assert client_for(world.colleague).post(url, {"probability": "1"}).status_code == 404
    assert client_for(world.outsider).post(url, {"probability": "1"}).status_code == 404
    assert Opportunity.objects.get(pk=deal.pk).probability == 70


def test_the_page_costs_a_pinned_number_of_queries_that_does_not_grow(world, django_assert_num_queries):
    from backend.crm.services import quotes as quote_services
    from backend.crm.services.links import document_link_create

    client = client_for(world.rep)
    url = f"/opportunities/{world.opportunity.pk}/"
    client.get(url)  # warm the session
    # session, user; the deal with its stage history and competitors; may change; quotes; documents; the header's
    # unread count
    with django_assert_num_queries(9):
        assert client.get(url).status_code == 200
    # when the deal has more of everything it shows
    opportunity_update(actor=world.rep, opportunity=world.opportunity, competitors=["A", "B", "C", "D"])
    opportunity_stage_change(actor=world.rep, opportunity=world.opportunity, stage="negotiation")
    for n in range(3):
        quote_services.quote_create(actor=world.rep, customer=world.customer, opportunity=world.opportunity,
                                    lines=[{"product": world.product.pk, "quantity": "1", "unit_price": "1"}])
    document_link_create(actor=world.rep, document=world.quote_doc, target=world.opportunity)
    document_link_create(actor=world.rep, document=world.contract, target=world.opportunity)
    # then the page still costs the same
    with django_assert_num_queries(9):
        page = client.get(url).content.decode()
    assert page.count('class="chip"') == 4 and world.contract.title in page
