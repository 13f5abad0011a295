"""A customer's owner and account team are colleagues: a portal user can be neither (400 naming the field).

Through the rules that follow a customer's owner and team, a portal user on a team or owning a customer
would reach other customers' records and internal documents.
"""

from __future__ import annotations

import pytest

from backend.audit.models import AuditEvent
from backend.common.errors import InvalidInput
from backend.crm.models import AccountTeamMember, Customer
from backend.crm.services.customers import customer_create, customer_reassign, customer_team_add
from tests.crm.factories import CustomerFactory
from tests.fixtures.clients import api_client as client_for
from tests.portal_factories import portal_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def setting(people):
    customer = CustomerFactory(name="宁波精密 Ningbo Precision", owner=people["owner"])
    other = CustomerFactory(name="Other customer", owner=people["owner"])
    return {**people, "customer": customer, "contact": portal_user(other, name="Portal Pat")}


def test_a_portal_user_cannot_join_an_account_team(setting):
    # given the customer's owner and a portal user of another customer
    owner, contact, customer = setting["owner"], setting["contact"], setting["customer"]
    # when the owner adds the portal user to the account team through the API
    response = client_for(owner).post(f"/api/crm/customers/{customer.pk}/team/", {"user": contact.pk}, format="json")
    # then 400 names the field, and nobody joined
    assert response.status_code == 400
    assert "portal user" in response.json()["fields"]["user"][0]
    assert not AccountTeamMember.objects.filter(customer=customer).exists()
    assert not AuditEvent.objects.filter(event_type="crm.customer.team_changed").exists()


def test_a_portal_user_cannot_be_given_a_customer(setting):
    owner, contact, customer = setting["owner"], setting["contact"], setting["customer"]
    response = client_for(owner).post(f"/api/crm/customers/{customer.pk}/reassign/", {"owner": contact.pk},
                                      format="json")
    assert response.status_code == 400
    assert "portal user" in response.json()["fields"]["owner"][0]
    customer.refresh_from_db()
    assert customer.owner_id == owner.pk


def test_a_portal_user_cannot_own_a_new_customer(setting):
    # the service takes an explicit owner (the demo and imports use it)
    with pytest.raises(InvalidInput) as refused:
        customer_create(actor=setting["owner"], name="Harbin Gears", region="Harbin", owner=setting["contact"])
    assert "owner" in refused.value.extra["fields"]
    assert not Customer.objects.filter(name="Harbin Gears").exists()


def test_the_services_refuse_portal_users_whoever_calls_them(setting):
    owner, contact, customer = setting["owner"], setting["contact"], setting["customer"]
    with pytest.raises(InvalidInput) as team:
        customer_team_add(actor=owner, customer=customer, user=contact)
    with pytest.raises(InvalidInput) as reassign:
        customer_reassign(actor=owner, customer=customer, new_owner=contact)
    assert "user" in team.value.extra["fields"] and "owner" in reassign.value.extra["fields"]
    # colleagues are still welcome
    assert customer_team_add(actor=owner, customer=customer, user=setting["team"]).user_id == setting["team"].pk
