"""The currency rates page and the reports' charts in the reporting currency: staff read the rates, an
administrator sets them through the form (audited), others are refused with 404; a chart converts the
currencies that have a rate and states it, and a currency without one keeps its own chart and says so."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from backend.accounts.models import Role
from backend.audit.models import AuditEvent
from backend.crm.models import CurrencyRate, OrderLine
from backend.crm.reports import Period
from backend.crm.selectors.reports import current_quarter
from backend.crm.services.report_rollups import rollups_rebuild
from tests import factories
from tests.crm.factories import CustomerFactory, OrderFactory, ProductFactory
from tests.fixtures.clients import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(settings):
    settings.REPORTING_CURRENCY = "CNY"
    admin = factories.UserFactory(username="wu.lei", role=Role.ADMIN)
    rep = factories.UserFactory(username="wang.fang", display_name="王芳")
    product = ProductFactory(code="P1")
    quarter = current_quarter()
    for name, currency, amount in (("上海机床", "CNY", "1000.00"), ("Boston Tools", "USD", "200.00"),
                                   ("Berlin Werk", "EUR", "50.00")):
        order = OrderFactory(customer=CustomerFactory(owner=rep, name=name), owner=rep, currency=currency,
                             signed_date=quarter.date_from)
        OrderLine.objects.filter(order=order).delete()
        OrderLine.objects.create(order=order, product=product, quantity=Decimal(1), unit_price=Decimal(amount),
                                 line_total=Decimal(amount))
    rollups_rebuild()  # rows written directly: the reports' rollup is kept by the services they bypass
    return {"admin": admin, "rep": rep, "quarter": quarter}


def _period(quarter: Period) -> str:
    return f"date_from={quarter.date_from}&date_to={quarter.date_to}"


def test_an_administrator_sets_a_rate_through_the_form_and_staff_read_it(world):
    admin = client_for(world["admin"])
    response = admin.post("/reports/rates/", {"currency": "USD", "rate": "7.1", "valid_from": "2026-01-01"})
    assert response.status_code == 302
    assert CurrencyRate.objects.get().rate == Decimal("7.1")
    assert AuditEvent.objects.filter(event_type="crm.currency_rate.set", actor_id=world["admin"].pk).exists()

    page = client_for(world["rep"]).get("/reports/rates/")
    body = page.content.decode()
    assert page.status_code == 200 and "1 USD = 7.1 CNY" in body
    assert 'data-testid="rate-form"' not in body  # a rep reads, does not set


def test_a_rep_cannot_set_or_remove_a_rate(world):
    rate = CurrencyRate.objects.create(currency="USD", in_currency="CNY", rate=Decimal("7"),
                                       valid_from=dt.date(2026, 1, 1), set_by=world["admin"])
    rep = client_for(world["rep"])
    assert rep.post("/reports/rates/", {"currency": "USD", "rate": "1", "valid_from": "2026-01-01"}).status_code == 404
    assert rep.post(f"/reports/rates/{rate.pk}/remove/").status_code == 404
    assert CurrencyRate.objects.get().rate == Decimal("7")


def test_the_rates_page_in_chinese(world):
    page = client_for(world["admin"], language="zh-hans").get("/reports/rates/")
    assert page.status_code == 200
    assert "汇率" in page.content.decode()


def test_the_sales_chart_converts_what_has_a_rate_and_keeps_the_rest_on_its_own_scale(world):
    # given 1 USD = 7.1 CNY from before the quarter, and no rate for EUR
    CurrencyRate.objects.create(currency="USD", in_currency="CNY", rate=Decimal("7.1"),
                                valid_from=world["quarter"].date_from - dt.timedelta(days=1), set_by=world["admin"])

    # when the rep reads the quarter
    body = client_for(world["rep"]).get(f"/reports/?{_period(world['quarter'])}").content.decode()

    # then one CNY chart holds the rep's sales: 1000 + 200 × 7.1 = 2420, the rate stated under it
    assert "¥2,420.00" in body
    assert "converted at 1 USD = 7.1 CNY" in body
    # and EUR, without a rate, has its own chart that says so; the table keeps every currency apart
    assert "EUR on its own scale" in body and "no rate into CNY" in body
    assert "$200.00" in body and "€50.00" in body
    assert timezone.localdate() >= world["quarter"].date_from
