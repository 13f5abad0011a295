"""/api/crm/products/: every member of staff lists and reads the catalogue; its editors add and change
products (201/200 and an audit row); everyone else is answered 404 and nothing changes; portal users and
anonymous callers get nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from backend.audit.models import AuditEvent
from backend.crm.models import Product
from tests.crm.factories import CustomerFactory
from tests.fixtures.clients import api_client
from tests.portal_factories import portal_user

pytestmark = pytest.mark.django_db

NEW = {"code": "QH-VMC850", "name": "立式加工中心", "name_en": "Vertical machining centre", "list_price": "268000",
       "floor_price": "240000", "currency": "CNY"}


@pytest.fixture
def lathe():
    return Product.objects.create(code="QH-CK6150", name="数控车床", name_en="CNC lathe", list_price=Decimal("168000"),
                                  floor_price=Decimal("150000"))


def test_staff_list_the_active_catalogue_and_find_a_product_by_either_name(people, lathe, django_assert_num_queries):
    Product.objects.create(code="QH-OLD", name="旧车床", list_price=Decimal("1"), active=False)
    client = api_client(people["owner"])
    # when a rep lists the catalogue; then only active products, in code order, in one query
    # (besides the session and the user)
    with django_assert_num_queries(3):
        body = client.get("/api/crm/products/").json()
    assert [row["code"] for row in body] == ["QH-CK6150"]
    assert body[0] == {"id": lathe.pk, "code": "QH-CK6150", "name": "数控车床", "name_en": "CNC lathe", "description": "",
                       "list_price": "168000.00", "floor_price": "150000.00", "currency": "CNY", "active": True,
                       "updated_at": body[0]["updated_at"]}
    assert [row["code"] for row in client.get("/api/crm/products/", {"q": "lathe"}).json()] == ["QH-CK6150"]
    assert [row["code"] for row in client.get("/api/crm/products/", {"q": "车床", "state": "all"}).json()] == [
        "QH-CK6150", "QH-OLD"]
    assert [row["code"] for row in client.get("/api/crm/products/", {"state": "retired"}).json()] == ["QH-OLD"]
    assert client.get("/api/crm/products/", {"state": "gone"}).status_code == 400
    assert client.get(f"/api/crm/products/{lathe.pk}/").json()["code"] == "QH-CK6150"


def test_an_administrator_adds_and_changes_a_product_and_each_write_is_audited(people, lathe):
    client = api_client(people["admin"])
    # when the administrator adds a product
    response = client.post("/api/crm/products/", NEW, format="json")
    assert response.status_code == 201, response.content
    created = response.json()
    assert (created["name_en"], created["floor_price"], created["active"]) == (
        "Vertical machining centre", "240000.00", True)
    assert AuditEvent.objects.filter(event_type="crm.product.created", target_id=str(created["id"])).exists()
    # and changes the lathe's floor price and retires it
    response = client.patch(f"/api/crm/products/{lathe.pk}/", {"floor_price": None, "active": False}, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["floor_price"], response.json()["active"]) == (None, False)
    event = AuditEvent.objects.get(event_type="crm.product.updated", target_id=str(lathe.pk))
    assert event.detail["changes"]["active"] == [True, False]


def test_a_wrong_product_is_a_400_naming_the_field(people, lathe):
    client = api_client(people["admin"])
    response = client.post("/api/crm/products/", {**NEW, "code": "qh-ck6150", "floor_price": "300000"}, format="json")
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"code", "floor_price"}
    response = client.patch(f"/api/crm/products/{lathe.pk}/", {"list_price": "abc"}, format="json")
    assert response.status_code == 400 and "list_price" in response.json()["fields"]
    assert not AuditEvent.objects.filter(event_type__startswith="crm.product.").exists()


@pytest.mark.parametrize("who", ["owner", "engineer", "compliance"])
def test_staff_who_do_not_keep_the_catalogue_get_a_404_and_nothing_changes(people, lathe, who):
    client = api_client(people[who])
    assert client.post("/api/crm/products/", NEW, format="json").status_code == 404
    assert client.patch(f"/api/crm/products/{lathe.pk}/", {"list_price": "1"}, format="json").status_code == 404
    lathe.refresh_from_db()
    assert lathe.list_price == Decimal("168000.00") and not Product.objects.filter(code="QH-VMC850").exists()
    assert AuditEvent.objects.filter(event_type="crm.access.denied", outcome="denied").count() == 2


def test_a_missing_product_is_a_404_like_a_forbidden_one(people):
    assert api_client(people["admin"]).patch("/api/crm/products/999999/", {"active": False},
                                             format="json").status_code == 404
    assert api_client(people["admin"]).get("/api/crm/products/999999/").status_code == 404


def test_portal_users_and_anonymous_callers_get_no_catalogue(people, lathe):
    contact = portal_user(CustomerFactory(owner=people["owner"]), name="采购 Buyer", email="buyer@example.com")
    assert api_client(contact).get("/api/crm/products/").status_code == 404
    assert api_client(contact).post("/api/crm/products/", NEW, format="json").status_code == 404
    from rest_framework.test import APIClient

    assert APIClient().get("/api/crm/products/").status_code in (401, 403)
