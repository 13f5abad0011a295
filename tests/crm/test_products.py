"""The product catalogue's writes: who may add and change products (the policy's rule, the roles in
PRODUCT_CATALOGUE_ROLES), validation naming the field, nothing half-saved, one audit event per write."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from backend.access.policy import Action, can
from backend.access.policy.crm import may_edit_product_catalogue
from backend.accounts.models import Role
from backend.audit.models import AuditEvent
from backend.common.errors import InvalidInput, NotFound
from backend.crm.models import Product
from backend.crm.services.products import product_create, product_update
from tests import factories

pytestmark = pytest.mark.django_db


def _events(event_type: str):
    return AuditEvent.objects.filter(event_type=event_type).order_by("id")


def _lathe(admin) -> Product:
    return product_create(actor=admin, code="QH-CK6150", name="数控车床", name_en="CNC lathe",
                          list_price="168000", floor_price="150000")


def test_an_administrator_adds_a_product_with_both_names_and_a_floor_price(people):
    # when the administrator adds a lathe
    product = _lathe(people["admin"])
    # then it is stored as typed, and the addition is audited with its prices
    product.refresh_from_db()
    assert (product.code, product.name, product.name_en) == ("QH-CK6150", "数控车床", "CNC lathe")
    assert (product.list_price, product.floor_price, product.currency, product.active) == (
        Decimal("168000.00"), Decimal("150000.00"), "CNY", True)
    event = _events("crm.product.created").get()
    assert event.actor_id == people["admin"].pk and event.target_id == str(product.pk)
    assert event.detail["floor_price"] == "150000.00" and event.detail["name_en"] == "CNC lathe"


def test_a_sales_rep_may_not_add_or_change_products_and_the_refusal_is_audited(people):
    product = _lathe(people["admin"])
    rep = people["owner"]
    # when a sales rep tries; then the catalogue is "not there" for writing, and nothing changed
    with pytest.raises(NotFound):
        product_create(actor=rep, code="QH-NEW", name="新品", list_price="1")
    with pytest.raises(NotFound):
        product_update(actor=rep, product=product, list_price="1")
    assert not Product.objects.filter(code="QH-NEW").exists()
    product.refresh_from_db()
    assert product.list_price == Decimal("168000.00")
    assert _events("crm.access.denied").filter(outcome="denied").count() == 2
    # but every member of staff reads the catalogue
    assert can(rep, Action.VIEW, product) and not can(rep, Action.CHANGE, product)


def test_the_roles_that_edit_the_catalogue_come_from_the_policy_setting(people, settings):
    rep = people["owner"]
    assert not may_edit_product_catalogue(rep)
    # given a deployment whose sales staff keep the catalogue
    settings.PRODUCT_CATALOGUE_ROLES = ["admin", Role.SALES]
    # then a sales rep may add and change products; service staff still may not
    product = product_create(actor=rep, code="QH-SP-01", name="主轴", list_price="9000")
    assert product_update(actor=rep, product=product, list_price="9500").list_price == Decimal("9500.00")
    assert not may_edit_product_catalogue(people["engineer"])
    # and a disabled account never may
    rep.is_active = False
    assert not may_edit_product_catalogue(rep)


def test_a_wrong_product_names_every_wrong_field_and_saves_nothing(people):
    _lathe(people["admin"])
    with pytest.raises(InvalidInput) as error:
        product_create(actor=people["admin"], code=" qh-ck6150 ", name=" ", list_price="-1", currency="GBP",
                       name_en="x" * 201)
    assert set(error.value.extra["fields"]) == {"code", "name", "list_price", "currency", "name_en"}
    assert error.value.extra["fields"]["code"] == ["A product with this code exists already."]
    assert Product.objects.count() == 1 and not _events("crm.product.created").exclude(
        target_id=str(Product.objects.get().pk)).exists()


def test_the_floor_price_may_not_be_above_the_list_price(people):
    with pytest.raises(InvalidInput) as error:
        product_create(actor=people["admin"], code="QH-X", name="X", list_price="100", floor_price="100.01")
    assert error.value.extra["fields"] == {"floor_price": ["The floor price must not be above the list price."]}
    product = product_create(actor=people["admin"], code="QH-X", name="X", list_price="100", floor_price="80")
    # lowering the list price under the floor is refused as well
    with pytest.raises(InvalidInput) as error:
        product_update(actor=people["admin"], product=product, list_price="70")
    assert "floor_price" in error.value.extra["fields"]
    # and the database holds the rule too
    with pytest.raises(IntegrityError), transaction.atomic():
        Product.objects.filter(pk=product.pk).update(floor_price=Decimal("101"))


def test_a_change_records_only_what_differs_as_old_and_new(people):
    admin = people["admin"]
    product = _lathe(admin)
    # when the administrator renames it in English, removes the floor and retires it
    product_update(actor=admin, product=product, name="数控车床", name_en="CNC turning lathe", floor_price=None,
                   active=False)
    # then one event lists the three changes (not the unchanged Chinese name)
    event = _events("crm.product.updated").get()
    assert event.detail["changes"] == {"name_en": ["CNC lathe", "CNC turning lathe"],
                                       "floor_price": ["150000.00", None], "active": [True, False]}
    product.refresh_from_db()
    assert (product.name_en, product.floor_price, product.active) == ("CNC turning lathe", None, False)
    # and saving the same values again is not an event
    product_update(actor=admin, product=product, name_en="CNC turning lathe")
    assert _events("crm.product.updated").count() == 1


def test_fields_a_product_does_not_have_are_refused(people):
    product = _lathe(people["admin"])
    with pytest.raises(InvalidInput):
        product_update(actor=people["admin"], product=product, id=99)


def test_the_name_follows_the_page_language(people):
    product = _lathe(people["admin"])
    assert product.name_in("en") == "CNC lathe" and product.name_in("zh-hans") == "数控车床"
    product.name_en = ""
    assert product.name_in("en") == "数控车床"
