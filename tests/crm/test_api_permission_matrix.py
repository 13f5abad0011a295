"""Customer, deal, quote and link endpoints: unrelated rep -> 404, owner/team -> success, audit row written."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Callable

import pytest

from backend.audit.models import AuditEvent
from backend.crm.models import Product
from backend.crm.services.customers import customer_create, customer_team_add
from backend.crm.services.opportunities import opportunity_create
from backend.crm.services.quotes import quote_create
from tests import factories
from tests.fixtures.clients import api_client as client_for

pytestmark = pytest.mark.django_db


@dataclass
class Case:
    name: str
    method: str
    path: str
    status: int
    event: str | None = None
    payload: Callable[[dict], dict] = lambda world: {}
    as_owner_only: bool = False  # team members may not (manage actions)


CASES = [
    Case("customer", "get", "/api/crm/customers/{customer}/", 200),
    Case("customer-update", "patch", "/api/crm/customers/{customer}/", 200, "crm.customer.updated",
         lambda w: {"industry": "Machine tools"}),
    Case("reassign", "post", "/api/crm/customers/{customer}/reassign/", 200, "crm.customer.reassigned",
         lambda w: {"owner": w["team"].pk}, as_owner_only=True),
    Case("team-add", "post", "/api/crm/customers/{customer}/team/", 201, "crm.customer.team_changed",
         lambda w: {"user": w["outsider"].pk, "role": "engineer"}, as_owner_only=True),
    Case("contacts", "get", "/api/crm/customers/{customer}/contacts/", 200),
    Case("contact-add", "post", "/api/crm/customers/{customer}/contacts/", 201, "crm.contact.created",
         lambda w: {"name": "陈经理", "email": "chen@example.cn"}),
    Case("customer-documents", "get", "/api/crm/customers/{customer}/documents/", 200),
    Case("quote-history", "get", "/api/crm/customers/{customer}/quote-history/", 200),
    Case("opportunity", "get", "/api/crm/opportunities/{opportunity}/", 200),
    Case("opportunity-update", "patch", "/api/crm/opportunities/{opportunity}/", 200, "crm.opportunity.updated",
         lambda w: {"amount": "990000.00"}),
    Case("opportunity-stage", "post", "/api/crm/opportunities/{opportunity}/stage/", 200,
         "crm.opportunity.stage_changed", lambda w: {"stage": "proposal"}),
    Case("opportunity-create", "post", "/api/crm/opportunities/", 201, "crm.opportunity.created",
         lambda w: {"customer": w["customer"].pk, "title": "Spare parts 2027"}),
    Case("quote", "get", "/api/crm/quotes/{quote}/", 200),
    Case("quote-status", "post", "/api/crm/quotes/{quote}/status/", 200, "crm.quote.status_changed",
         lambda w: {"status": "sent"}),
    Case("quote-create", "post", "/api/crm/quotes/", 201, "crm.quote.created",
         lambda w: {"customer": w["customer"].pk, "lines": [{"product": w["product"].pk, "quantity": "1"}]}),
]


@pytest.fixture
def world():
    sales = factories.DepartmentFactory(code="sales")
    owner = factories.UserFactory(username="owner", department=sales)
    team = factories.UserFactory(username="team", department=factories.DepartmentFactory(code="service"))
    outsider = factories.UserFactory(username="outsider", department=factories.DepartmentFactory(code="legal"))
    customer = customer_create(actor=owner, name="Ningbo Precision", region="Ningbo")
    customer_team_add(actor=owner, customer=customer, user=team)
    product = Product.objects.create(code="P1", name="Spindle", list_price=Decimal("1000"))
    opportunity = opportunity_create(actor=owner, customer=customer, title="Retrofit", amount="500000")
    quote, _ = quote_create(actor=owner, customer=customer, lines=[{"product": product, "quantity": "2"}])
    return {"owner": owner, "team": team, "outsider": outsider, "customer": customer, "product": product,
            "opportunity": opportunity, "quote": quote}


def _call(client, case: Case, world):
    url = case.path.format(customer=world["customer"].pk, opportunity=world["opportunity"].pk,
                           quote=world["quote"].pk)
    if case.method == "get":
        return client.get(url)
    return getattr(client, case.method)(url, case.payload(world), format="json")


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_an_unrelated_rep_gets_404(world, case):
    response = _call(client_for(world["outsider"]), case, world)
    assert response.status_code == 404, response.content


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_the_relationship_allows_it_and_it_is_audited(world, case):
    actor = world["owner"] if case.as_owner_only else world["team"]
    response = _call(client_for(actor), case, world)
    assert response.status_code == case.status, response.content
    if case.event:
        assert AuditEvent.objects.filter(event_type=case.event, actor=actor,
                                         customer_id=world["customer"].pk).exists()


@pytest.mark.parametrize("case", [c for c in CASES if c.as_owner_only], ids=lambda c: c.name)
def test_team_members_cannot_do_what_only_the_owner_may(world, case):
    response = _call(client_for(world["team"]), case, world)
    assert response.status_code == 404
