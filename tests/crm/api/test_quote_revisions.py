"""The quote revision chain over the REST API: list it, revise an open quote, and the same refusals as the
staff page (404 for who may not change it, 409 for a closed quote, 400 for a bad line, nothing saved)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from backend.audit.models import AuditEvent
from backend.crm.models import Quote, QuoteStatus
from backend.crm.services.customers import customer_create
from backend.crm.services.quotes import quote_create, quote_status_change
from tests import factories
from tests.crm.factories import ProductFactory
from tests.fixtures.clients import api_client as client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():
    dept = factories.DepartmentFactory(code="sales")
    wang = factories.UserFactory(username="wang", department=dept)
    stranger = factories.UserFactory(username="stranger", department=factories.DepartmentFactory(code="other"))
    customer = customer_create(actor=wang, name="上海华东精密机械有限公司", region="Shanghai")
    lathe = ProductFactory(code="CK6150", name="数控车床", list_price=Decimal("98000.00"))
    quote, _ = quote_create(actor=wang, customer=customer, number="Q-2026-0200",
                            lines=[{"product": lathe.pk, "quantity": "1"}])
    return wang, stranger, customer, lathe, quote


def test_revising_over_the_api_keeps_the_old_quote_and_lists_the_chain(shop):
    wang, _, _, lathe, quote = shop
    client = client_for(wang)
    # when the owner revises the draft with a lower price
    revised = client.post(f"/api/crm/quotes/{quote.pk}/revisions/",
                          {"lines": [{"product": lathe.pk, "quantity": "2", "unit_price": "95000.00"}],
                           "notes": "volume price"}, format="json")
    # then a new quote comes back, numbered after the first, and the old one is superseded
    assert revised.status_code == 201, revised.content
    body = revised.json()["quote"]
    assert body["number"] == "Q-2026-0200-R2" and body["revision"] == 2 and body["original"] == quote.pk
    assert body["total"] == "190000.00" and body["notes"] == "volume price"
    assert Quote.objects.get(pk=quote.pk).status == QuoteStatus.SUPERSEDED
    assert AuditEvent.objects.filter(event_type="crm.quote.revised", actor=wang).count() == 1
    # and the chain lists both, oldest first, from either end
    for end in (quote.pk, body["id"]):
        chain = client.get(f"/api/crm/quotes/{end}/revisions/")
        assert chain.status_code == 200
        assert [(q["revision"], q["status"]) for q in chain.json()] == [(1, "superseded"), (2, "draft")]


def test_who_may_not_change_it_gets_404_and_nothing_moves(people):
    # given a draft of the owner's; a department colleague sees it, an outsider does not
    lathe = ProductFactory(code="CK6150", name="数控车床", list_price=Decimal("98000.00"))
    quote, _ = quote_create(actor=people["owner"], customer=people["customer"], number="Q-2026-0300",
                            lines=[{"product": lathe.pk, "quantity": "1"}])
    for who in ("colleague", "outsider", "compliance"):
        answer = client_for(people[who]).post(f"/api/crm/quotes/{quote.pk}/revisions/",
                                              {"lines": [{"product": lathe.pk, "quantity": "1"}]}, format="json")
        assert answer.status_code == 404, (who, answer.status_code)
    assert client_for(people["colleague"]).get(f"/api/crm/quotes/{quote.pk}/revisions/").status_code == 200
    assert client_for(people["outsider"]).get(f"/api/crm/quotes/{quote.pk}/revisions/").status_code == 404
    assert Quote.objects.count() == 1 and Quote.objects.get().status == QuoteStatus.DRAFT


def test_a_closed_quote_is_409_and_a_bad_line_is_400_saving_nothing(shop):
    wang, _, _, lathe, quote = shop
    client = client_for(wang)
    bad = client.post(f"/api/crm/quotes/{quote.pk}/revisions/",
                      {"lines": [{"product": lathe.pk, "quantity": "-1"}]}, format="json")
    assert bad.status_code == 400
    assert Quote.objects.count() == 1 and Quote.objects.get().status == QuoteStatus.DRAFT
    quote_status_change(actor=wang, quote=quote, status="sent")
    quote_status_change(actor=wang, quote=Quote.objects.get(pk=quote.pk), status="accepted")
    closed = client.post(f"/api/crm/quotes/{quote.pk}/revisions/",
                         {"lines": [{"product": lathe.pk, "quantity": "1"}]}, format="json")
    assert closed.status_code == 409 and "Q-2026-0200" in closed.json()["detail"]
    assert Quote.objects.count() == 1
