"""The funnel, quotes with computed totals, the rep's warnings and the quote history."""

from __future__ import annotations

from decimal import Decimal

import pytest

from backend.audit.models import AuditEvent
from backend.crm.models import OpportunityStageChange, Product, Quote, QuoteLine
from backend.crm.services.customers import customer_create, customer_team_add
from backend.crm.services.opportunities import opportunity_create, opportunity_stage_change
from backend.crm.services.quotes import quote_attach_document, quote_create, quote_status_change
from tests import factories
from tests.fixtures.clients import api_client as client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():
    dept = factories.DepartmentFactory(code="sales")
    wang = factories.UserFactory(username="wang", display_name="Wang Fang", department=dept)
    sarah = factories.UserFactory(username="sarah", display_name="Sarah Chen", department=dept)
    stranger = factories.UserFactory(username="stranger", department=factories.DepartmentFactory(code="other"))
    customer = customer_create(actor=wang, name="上海华东精密机械有限公司", region="Shanghai")
    customer_team_add(actor=wang, customer=customer, user=sarah)
    vmc = Product.objects.create(code="VMC850", name="立式加工中心 VMC850", list_price=Decimal("268000.00"))
    lathe = Product.objects.create(code="CK6150", name="数控车床 CK6150", list_price=Decimal("98000.00"))
    return wang, sarah, stranger, customer, vmc, lathe


def test_the_funnel_records_history_sets_probability_and_guards_closed_deals(shop):
    wang, _, _, customer, _, _ = shop
    client = client_for(wang)
    created = client.post("/api/crm/opportunities/", {"customer": customer.pk, "title": "2026 capacity expansion",
                                                      "amount": "1500000.00", "stage": "lead"}, format="json")
    assert created.status_code == 201
    opp_id = created.json()["id"]
    url = f"/api/crm/opportunities/{opp_id}/stage/"

    # when it moves to negotiation, then is lost without a reason, then with one
    negotiation = client.post(url, {"stage": "negotiation"}, format="json")
    lost_without_reason = client.post(url, {"stage": "lost"}, format="json")
    lost = client.post(url, {"stage": "lost", "lost_reason": "Price: competitor 12% cheaper"}, format="json")

    # then probability follows the stage, the reason is required, and history has every step
    assert negotiation.json()["probability"] == 75
    assert negotiation.json()["weighted_amount"] == "1125000.00"
    assert lost_without_reason.status_code == 400 and "lost_reason" in lost_without_reason.json()["fields"]
    assert lost.json()["stage"] == "lost" and lost.json()["probability"] == 0
    assert [h["to_stage"] for h in lost.json()["stage_history"]] == ["lead", "negotiation", "lost"]

    # when someone jumps from lost straight back to negotiation, then only reopening works
    jump = client.post(url, {"stage": "negotiation"}, format="json")
    assert jump.status_code == 400
    assert "reopen" in jump.json()["detail"]
    reopened = client.post(url, {"stage": "negotiation", "reopen": True}, format="json")
    assert reopened.status_code == 200
    assert reopened.json()["lost_reason"] == "" and reopened.json()["closed_at"] is None
    assert OpportunityStageChange.objects.filter(opportunity_id=opp_id).count() == 4
    assert AuditEvent.objects.filter(event_type="crm.opportunity.stage_changed", customer_id=customer.pk).count() == 3


def test_negative_amounts_are_refused(shop):
    wang, _, _, customer, _, _ = shop
    response = client_for(wang).post("/api/crm/opportunities/", {"customer": customer.pk, "title": "x",
                                                                 "amount": "-5"}, format="json")
    assert response.status_code == 400
    assert "amount" in response.json()["fields"]


def test_quote_totals_are_computed_from_lines(shop):
    wang, _, _, customer, vmc, lathe = shop
    # when a quote is drafted with two lines (one discounted), and a total typed in is ignored
    response = client_for(wang).post("/api/crm/quotes/", {
        "customer": customer.pk, "currency": "CNY", "valid_until": "2026-12-31", "total": "1.00",
        "lines": [{"product": vmc.pk, "quantity": "2", "unit_price": "268000.00", "discount_percent": "5"},
                  {"product": lathe.pk, "quantity": "1"}],
    }, format="json")

    # then line totals and the quote total are computed, the list price fills a missing unit price
    assert response.status_code == 201, response.content
    quote = response.json()["quote"]
    assert [line["line_total"] for line in quote["lines"]] == ["509200.00", "98000.00"]
    assert quote["total"] == "607200.00"
    assert quote["number"].startswith("Q-")
    assert response.json()["warnings"] == []


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ({"quantity": "-1"}, "lines.0.quantity"),
        ({"quantity": "0"}, "lines.0.quantity"),
        ({"quantity": "1", "unit_price": "-3"}, "lines.0.unit_price"),
        ({"quantity": "1", "discount_percent": "101"}, "lines.0.discount_percent"),
        ({"quantity": "1", "discount_percent": "-1"}, "lines.0.discount_percent"),
    ],
)
def test_bad_lines_are_400_with_the_field_named_and_nothing_saved(shop, line, field):
    wang, _, _, customer, vmc, _ = shop
    response = client_for(wang).post("/api/crm/quotes/", {
        "customer": customer.pk, "lines": [{"product": vmc.pk, **line}]}, format="json")
    assert response.status_code == 400
    fields = response.json()["fields"]
    flat = set(fields) | {f"lines.0.{key}" for key in fields.get("lines", [{}])[0]} if "lines" in fields else set(fields)
    assert field in flat
    assert Quote.objects.count() == 0 and QuoteLine.objects.count() == 0


def _accepted_quote(rep, customer, product, price, discount="0"):
    quote, _ = quote_create(actor=rep, customer=customer, lines=[
        {"product": product, "quantity": "1", "unit_price": price, "discount_percent": discount}])
    quote_status_change(actor=rep, quote=quote, status="sent")
    return quote_status_change(actor=rep, quote=quote, status="accepted")


def test_warnings_for_another_reps_open_quote_and_a_price_far_from_the_last_accepted(shop, settings):
    wang, sarah, _, customer, vmc, lathe = shop
    settings.QUOTE_PRICE_DEVIATION_PERCENT = 10
    # given an accepted VMC quote at 250,000 and Sarah's open quote for the same customer
    _accepted_quote(wang, customer, vmc, "250000.00")
    quote_create(actor=sarah, customer=customer, lines=[{"product": lathe, "quantity": "1"}])

    # when Wang drafts a VMC quote at 200,000 (-20%)
    response = client_for(wang).post("/api/crm/quotes/", {
        "customer": customer.pk, "lines": [{"product": vmc.pk, "quantity": "1", "unit_price": "200000.00"}]},
        format="json")

    # then both warnings come back with the details a rep needs
    warnings = {w["code"]: w for w in response.json()["warnings"]}
    assert set(warnings) == {"other_rep_open_quote", "price_deviation"}
    assert "Sarah Chen" in warnings["other_rep_open_quote"]["message"]
    assert warnings["price_deviation"]["details"]["change_percent"] == "-20.0"
    assert warnings["price_deviation"]["details"]["last_net_unit_price"] == "250000.00"


def test_quote_status_moves_only_forward(shop):
    wang, _, _, customer, vmc, _ = shop
    quote, _ = quote_create(actor=wang, customer=customer, lines=[{"product": vmc, "quantity": "1"}])
    client = client_for(wang)
    accept_draft = client.post(f"/api/crm/quotes/{quote.pk}/status/", {"status": "accepted"}, format="json")
    sent = client.post(f"/api/crm/quotes/{quote.pk}/status/", {"status": "sent"}, format="json")
    accepted = client.post(f"/api/crm/quotes/{quote.pk}/status/", {"status": "accepted"}, format="json")
    back = client.post(f"/api/crm/quotes/{quote.pk}/status/", {"status": "draft"}, format="json")
    assert accept_draft.status_code == 400 and "sent" in accept_draft.json()["detail"]
    assert sent.json()["status"] == "sent" and accepted.json()["status"] == "accepted"
    assert back.status_code == 400


def test_quote_history_answers_what_did_we_quote_them_before(shop, django_assert_max_num_queries):
    wang, sarah, stranger, customer, vmc, lathe = shop
    # given three quotes over time by two reps, one accepted and rendered to a quote document
    old = _accepted_quote(wang, customer, vmc, "250000.00", discount="4")
    rendered = factories.document(wang, title="报价单 Q-VMC", kind="quote", classification="internal")
    quote_attach_document(actor=wang, quote=old, document=rendered)
    quote_create(actor=sarah, customer=customer, lines=[{"product": lathe, "quantity": "3", "unit_price": "95000"}])
    quote_create(actor=wang, customer=customer, lines=[{"product": vmc, "quantity": "2", "unit_price": "255000"}])
    client = client_for(wang)

    # when the rep asks for the history, all of it and for one product
    with django_assert_max_num_queries(8):
        everything = client.get(f"/api/crm/customers/{customer.pk}/quote-history/").json()
    only_vmc = client.get(f"/api/crm/customers/{customer.pk}/quote-history/?product={vmc.pk}").json()

    # then lines come newest first with rep, quantity, price, discount and status
    assert [(line["product"]["code"], line["rep"]["username"]) for line in everything["lines"]] == [
        ("VMC850", "wang"), ("CK6150", "sarah"), ("VMC850", "wang")]
    oldest = everything["lines"][-1]
    assert (oldest["status"], oldest["unit_price"], oldest["discount_percent"]) == ("accepted", "250000.00", "4.00")
    # and the accepted one links to its document's valid version, which the rep may download
    assert oldest["document"]["download_url"] == f"/api/documents/{rendered.pk}/download/"
    assert [p["net_unit_price"] for p in everything["last_accepted"]] == ["240000.00"]
    assert len(only_vmc["lines"]) == 2
    # someone unrelated to the customer gets 404
    assert client_for(stranger).get(f"/api/crm/customers/{customer.pk}/quote-history/").status_code == 404


def test_the_quote_history_query_count_does_not_grow_with_history(shop, django_assert_num_queries):
    wang, _, _, customer, vmc, lathe = shop
    client = client_for(wang)
    for count in (1, 6):
        while QuoteLine.objects.count() < count:
            quote_create(actor=wang, customer=customer, lines=[{"product": vmc, "quantity": "1"}])
        # session, user, customer, the lines (joined); the last accepted prices are found among the lines
        # (a query of their own only past HISTORY_LIMIT lines)
        with django_assert_num_queries(4):
            client.get(f"/api/crm/customers/{customer.pk}/quote-history/")
