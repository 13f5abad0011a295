"""An order's lines name their product by id or by its exact code (what the order form posts without
JavaScript), in one query for all the lines."""

from __future__ import annotations

from decimal import Decimal

import pytest

from backend.common.errors import InvalidInput
from backend.crm.models import Order
from backend.crm.services import orders as services
from tests.crm.factories import ProductFactory

pytestmark = pytest.mark.django_db


def test_a_line_may_name_its_product_by_code_and_takes_its_list_price(people):
    # given two catalogue products
    lathe = ProductFactory(code="QH-CK6150", name="数控车床", list_price=Decimal("186000"))
    kit = ProductFactory(code="QH-KIT-1", name="刀具套装", list_price=Decimal("800"))

    # when an order names one by id and the other by its code (with stray spaces), without a unit price
    order = services.order_create(actor=people["owner"], customer=people["customer"], lines=[
        {"product": lathe.pk, "quantity": "1", "unit_price": "180000"},
        {"product": " QH-KIT-1 ", "quantity": "3"}])

    # then both lines are there, the second at the kit's list price
    lines = list(order.lines.all())
    assert [(line.product_id, line.line_total) for line in lines] == [
        (lathe.pk, Decimal("180000.00")), (kit.pk, Decimal("2400.00"))]


def test_an_unknown_code_is_no_such_product_on_its_line_and_nothing_is_saved(people):
    ProductFactory(code="QH-KIT-1", list_price=Decimal("800"))
    with pytest.raises(InvalidInput) as caught:
        services.order_create(actor=people["owner"], customer=people["customer"], lines=[
            {"product": "QH-KIT-1", "quantity": "1"}, {"product": "NO-SUCH", "quantity": "1", "unit_price": "5"}])
    assert caught.value.extra["fields"] == {"lines.1.product": ["No such product."]}
    assert not Order.objects.exists()
