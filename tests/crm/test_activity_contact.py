"""The activities API names the contact an activity was with: logged with a contact of the customer,
shown on the timeline, refused (400 on `contact`) for another customer's contact or one that does not exist."""

from __future__ import annotations

import pytest

from backend.crm.models import Activity, Contact
from tests.crm.factories import CustomerFactory
from tests.fixtures.clients import api_client

pytestmark = pytest.mark.django_db


def test_a_call_is_logged_with_the_contact_and_the_timeline_shows_it(people):
    buyer = Contact.objects.create(customer=people["customer"], name="刘洋")
    client = api_client(people["owner"])
    url = f"/api/crm/customers/{people['customer'].pk}/activities/"

    response = client.post(url, {"kind": "call", "subject": "Price call", "contact": buyer.pk}, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["contact"] == {"id": buyer.pk, "name": "刘洋"}
    timeline = client.get(url).json()["results"]
    assert [row["contact"] for row in timeline] == [{"id": buyer.pk, "name": "刘洋"}]


@pytest.mark.parametrize("whose", ["other", "missing"])
def test_another_customers_contact_or_none_is_a_400_on_contact(people, whose):
    theirs = Contact.objects.create(customer=CustomerFactory(owner=people["outsider"]), name="马丽")
    contact_id = theirs.pk if whose == "other" else theirs.pk + 1000
    response = api_client(people["owner"]).post(
        f"/api/crm/customers/{people['customer'].pk}/activities/",
        {"kind": "call", "subject": "Wrong person", "contact": contact_id}, format="json")
    assert response.status_code == 400
    assert "contact" in str(response.json())
    assert not Activity.objects.filter(subject="Wrong person").exists()
