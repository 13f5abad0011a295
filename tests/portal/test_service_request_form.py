"""The portal's service-request form: the customer's own installed products, urgency and a preferred visit
time, and knowledge articles suggested as the title is typed."""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse

from backend.audit.models import AuditEvent
from backend.crm.models import OrderLine, OrderStatus, Product, ServiceRecord
from tests.crm.factories import OrderFactory
from tests.fixtures.clients import portal_client


def _request(**fields):
    return {"type": "issue", "title": "主轴异响 Spindle noise", "description": "Loud above 3000 rpm.", **fields}


def _installed(world, customer, code):
    product = Product.objects.create(code=code, name=f"机床 {code}", name_en=f"Machine {code}",
                                     list_price=Decimal("1000.00"))
    order = OrderFactory(customer=customer)
    OrderLine.objects.create(order=order, product=product, quantity=Decimal("1"), unit_price=Decimal("1000.00"),
                             line_total=Decimal("1000.00"))
    return product, order


# --- installed products -------------------------------------------------------------------------


def test_the_form_offers_only_the_customers_installed_products(world):
    # given a product on one of A's orders, one only B bought, one on A's cancelled order, one nobody bought
    mine, _ = _installed(world, world.a, "VMC-850")
    theirs, _ = _installed(world, world.b, "LATHE-B")
    cancelled, order = _installed(world, world.a, "OLD-1")
    type(order).objects.filter(pk=order.pk).update(status=OrderStatus.CANCELLED)
    Product.objects.create(code="CAT-ONLY", name="目录 Catalogue only", list_price=Decimal("1"))
    # when Alice opens the form in English
    page = portal_client(world.alice, "en").get(reverse("portal:service_new")).content.decode()
    # then only A's installed products are offered, by code and English name
    assert "VMC-850 · Machine VMC-850" in page
    for code in ("LATHE-B", "OLD-1", "CAT-ONLY", "CNC-200"):
        assert code not in page, code
    # and in Chinese, by the Chinese name
    page_zh = portal_client(world.alice, "zh-hans").get(reverse("portal:service_new")).content.decode()
    assert "VMC-850 · 机床 VMC-850" in page_zh


def test_a_request_about_an_installed_product_is_saved_with_it(world):
    mine, _ = _installed(world, world.a, "VMC-850")
    response = portal_client(world.alice).post(reverse("portal:service_new"), _request(product=str(mine.pk)))
    assert response.status_code == 302
    record = ServiceRecord.objects.get(title="主轴异响 Spindle noise")
    assert record.product_id == mine.pk and record.customer_id == world.a.pk
    event = AuditEvent.objects.get(event_type="portal.service.submitted", target_id=str(record.pk))
    assert event.detail["product"] == "VMC-850"


def test_a_product_the_customer_did_not_buy_is_refused_and_nothing_is_saved(world):
    theirs, _ = _installed(world, world.b, "LATHE-B")
    before = ServiceRecord.objects.count()
    response = portal_client(world.alice).post(reverse("portal:service_new"), _request(product=str(theirs.pk)))
    assert response.status_code == 400
    assert ServiceRecord.objects.count() == before
