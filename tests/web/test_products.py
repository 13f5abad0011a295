"""The product catalogue in the staff UI: the `product` picker (what the quote editor's lines use), the
catalogue page and the create / edit form (only for the roles the policy lets change the catalogue)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from backend.accounts.models import Role
from backend.crm.models import Product
from tests import factories
from tests.crm.factories import CustomerFactory
from tests.fixtures.clients import client_for
from tests.portal_factories import portal_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue():
    lathe = Product.objects.create(code="QH-CK6150", name="数控车床", name_en="CNC lathe", list_price=Decimal("168000"))
    centre = Product.objects.create(code="QH-VMC850", name="立式加工中心", name_en="Vertical machining centre",
                                    list_price=Decimal("268000"), floor_price=Decimal("240000"))
    retired = Product.objects.create(code="QH-OLD-01", name="旧型数控车床", name_en="Old CNC lathe",
                                     list_price=Decimal("1"), active=False)
    return {"lathe": lathe, "centre": centre, "retired": retired}


def _pick(user, q: str, language: str = "en") -> list[dict]:
    response = client_for(user, language).get("/pick/product/", {"q": q})
    assert response.status_code == 200
    return response.json()["results"]


def test_the_product_picker_finds_by_code_or_either_name_and_never_offers_retired_products(catalogue):
    rep = factories.UserFactory(role=Role.SALES)
    # when a rep types part of the code, the Chinese name or the English name
    assert {row["id"] for row in _pick(rep, "ck61")} == {catalogue["lathe"].pk}
    assert {row["id"] for row in _pick(rep, "车床")} == {catalogue["lathe"].pk}
    assert {row["id"] for row in _pick(rep, "machining")} == {catalogue["centre"].pk}
    # then a retired product is never offered for a new quote line
    assert {row["id"] for row in _pick(rep, "old")} == set()
    assert _pick(rep, "") == []


def test_a_picked_product_reads_in_the_page_language_with_the_other_name_and_list_price(catalogue):
    rep = factories.UserFactory(role=Role.SALES)
    assert _pick(rep, "QH-VMC", "en") == [{"id": catalogue["centre"].pk, "label": "QH-VMC850 Vertical machining centre",
                                           "detail": "立式加工中心 · 268000.00 CNY"}]
    assert _pick(rep, "QH-VMC", "zh-hans")[0]["label"] == "QH-VMC850 立式加工中心"
    assert _pick(rep, "QH-VMC", "zh-hans")[0]["detail"] == "Vertical machining centre · 268000.00 CNY"


def test_portal_users_cannot_pick_products(catalogue):
    contact = portal_user(CustomerFactory(), name="客户联系人", email="buyer@example.com")
    assert client_for(contact).get("/pick/product/", {"q": "车床"}).status_code == 404

