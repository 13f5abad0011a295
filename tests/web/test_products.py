"""The product catalogue in the staff UI: the `product` picker (what the quote editor's lines use), the
catalogue page and the create / edit form (only for the roles the policy lets change the catalogue)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from backend.accounts.models import Role
from backend.audit.models import AuditEvent
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



# --- the catalogue page and the form ------------------------------------------------------------------


def _form(**changes) -> dict:
    values = {"code": "QH-GMC2016", "name": "龙门加工中心", "name_en": "Gantry machining centre",
              "list_price": "1280000", "floor_price": "1150000", "currency": "CNY", "description": "", "active": "on"}
    values.update(changes)
    return {key: value for key, value in values.items() if value is not None}


def test_every_member_of_staff_reads_the_catalogue_in_their_language(catalogue):
    rep = factories.UserFactory(role=Role.SALES)
    # when a rep opens the catalogue in English; then the English names, prices and floor, no edit buttons
    page = client_for(rep).get("/products/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Vertical machining centre" in html and "268,000.00" in html and "240,000.00" in html
    assert "QH-OLD-01" not in html  # retired products only when asked for
    assert 'data-testid="product-new"' not in html and "/edit/" not in html
    # in Chinese the Chinese name leads
    html = client_for(rep, "zh-hans").get("/products/", {"q": "machining"}).content.decode()
    assert "<strong>立式加工中心</strong>" in html and "QH-CK6150" not in html
    assert "QH-OLD-01" in client_for(rep).get("/products/", {"state": "retired"}).content.decode()


def test_a_sales_rep_gets_a_404_on_the_product_form(catalogue):
    rep = factories.UserFactory(role=Role.SALES)
    client = client_for(rep)
    assert client.get("/products/new/").status_code == 404
    assert client.post("/products/new/", _form()).status_code == 404
    lathe = catalogue["lathe"]
    assert client.get(f"/products/{lathe.pk}/edit/").status_code == 404
    assert client.post(f"/products/{lathe.pk}/edit/", _form(code=lathe.code)).status_code == 404
    assert not Product.objects.filter(code="QH-GMC2016").exists()
    lathe.refresh_from_db()
    assert lathe.name_en == "CNC lathe"


def test_an_administrator_adds_a_product_in_the_browser_and_it_is_audited(catalogue):
    admin = factories.UserFactory(role=Role.ADMIN)
    client = client_for(admin)
    assert 'data-testid="product-new"' in client.get("/products/").content.decode()
    assert client.get("/products/new/").status_code == 200
    # when the administrator submits the form
    response = client.post("/products/new/", _form())
    # then the product is in the catalogue, the page says so, and the addition is audited
    assert response.status_code == 302 and response["Location"] == "/products/?q=QH-GMC2016"
    product = Product.objects.get(code="QH-GMC2016")
    assert (product.name_en, product.floor_price, product.active) == ("Gantry machining centre", Decimal("1150000"),
                                                                      True)
    assert AuditEvent.objects.filter(event_type="crm.product.created", actor=admin, target_id=str(product.pk)).exists()
    assert "QH-GMC2016 is in the catalogue." in client.get(response["Location"]).content.decode()


def test_an_administrator_edits_and_retires_a_product(catalogue):
    admin = factories.UserFactory(role=Role.ADMIN)
    client = client_for(admin, "zh-hans")
    lathe = catalogue["lathe"]
    page = client.get(f"/products/{lathe.pk}/edit/")
    assert page.status_code == 200 and 'value="CNC lathe"' in page.content.decode()
    # when the floor is raised and the box "active" left unticked
    response = client.post(f"/products/{lathe.pk}/edit/", _form(code=lathe.code, name=lathe.name, name_en="CNC lathe",
                                                               list_price="168000", floor_price="160000", active=None))
    assert response.status_code == 302
    lathe.refresh_from_db()
    assert (lathe.floor_price, lathe.active) == (Decimal("160000.00"), False)
    event = AuditEvent.objects.get(event_type="crm.product.updated", target_id=str(lathe.pk))
    assert event.detail["changes"] == {"floor_price": [None, "160000.00"], "active": [True, False]}


def test_a_wrong_product_shows_the_reason_next_to_the_field_in_chinese_and_saves_nothing(catalogue):
    admin = factories.UserFactory(role=Role.ADMIN)
    response = client_for(admin, "zh-hans").post("/products/new/", _form(code="qh-ck6150", floor_price="2000000"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "该编码的产品已存在。" in html and "底价不能高于目录价。" in html
    assert not Product.objects.filter(name="龙门加工中心").exists()
    assert not AuditEvent.objects.filter(event_type="crm.product.created").exists()


def test_portal_users_and_strangers_never_see_the_catalogue_pages(catalogue):
    contact = portal_user(CustomerFactory(), name="客户联系人", email="buyer2@example.com")
    assert client_for(contact).get("/products/").status_code == 404
    from django.test import Client

    assert Client().get("/products/").status_code == 302


def test_the_catalogue_page_costs_the_same_few_queries_however_many_products_it_shows(catalogue,
                                                                                    django_assert_max_num_queries):
    admin = factories.UserFactory(role=Role.ADMIN)
    client = client_for(admin)
    client.get("/products/")  # warm the session
    Product.objects.bulk_create(Product(code=f"QH-SP-{n:03d}", name=f"备件 {n}", list_price=Decimal("10"))
                                for n in range(60))
    # session, user, messages-free page: the products in one query, whatever their number
    with django_assert_max_num_queries(4):
        page = client.get("/products/", {"state": "all"})
    assert page.status_code == 200 and page.content.decode().count('data-testid="product-QH-') == 63
