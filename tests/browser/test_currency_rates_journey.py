"""An administrator sets the dollar's rate on the currency rates page, and the reports' sales chart then
shows the quarter in yuan with the dollar order converted at the stated rate, in English and in Chinese, in
a real browser: no CSP violation or script error, axe passes, and both pages fit a phone's width."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from backend.audit.models import AuditEvent
from backend.crm.models import CurrencyRate, OrderLine
from backend.crm.services.order_balances import order_balances_refresh
from backend.crm.services.report_rollups import rollups_rebuild
from tests.browser.axe import axe_source, serious_violations
from tests.browser.problems import fits_phone, watch_problems
from tests.crm.factories import CustomerFactory, OrderFactory, ProductFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]

WORDS = {"en": {"saved": "Rate saved.", "converted": "converted at 1 USD = 7.1 CNY"},
         "zh-hans": {"saved": "汇率已保存。", "converted": "按以下汇率折算：1 USD = 7.1 CNY"}}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_an_administrator_sets_a_rate_and_the_sales_chart_converts_at_it(world, open_as, live_server, shots,
                                                                         settings, language):
    suffix = "en" if language == "en" else "zh"
    settings.REPORTING_CURRENCY = "CNY"
    # given 张伟 signed 1,000 yuan and 200 dollars this quarter
    product = ProductFactory(code="QH-CK6150", name="数控车床 CK6150")
    for name, currency, amount in (("苏州新达电子有限公司", "CNY", "1000.00"), ("Boston Precision", "USD", "200.00")):
        order = OrderFactory(customer=CustomerFactory(owner=world.outsider, name=name), owner=world.outsider,
                             currency=currency,
                             signed_date=timezone.localdate())
        OrderLine.objects.filter(order=order).delete()
        OrderLine.objects.create(order=order, product=product, quantity=Decimal(1), unit_price=Decimal(amount),
                                 line_total=Decimal(amount))
    # rows written directly: the balances and the reports' rollups are kept by the services they bypass
    order_balances_refresh()
    rollups_rebuild()

    # when the administrator opens the rates from the reports page and sets 1 USD = 7.1 CNY from the 1st
    page = open_as("wu.lei", language)
    problems: list[str] = []
    watch_problems(page, problems)
    page.goto(f"{live_server.url}/reports/")
    page.click("[data-testid=currency-rates]")
    page.wait_for_url(re.compile(r"/reports/rates/$"))
    page.select_option("#id_currency", "USD")
    page.fill("#id_rate", "7.1")
    page.fill("#id_valid_from", timezone.localdate().replace(day=1).isoformat())
    with page.expect_navigation():
        page.click("[data-testid=rate-form] button[type=submit]")

    # then the rate is in force, recorded in the trail
    expect(page.locator("body")).to_contain_text(WORDS[language]["saved"])
    expect(page.locator("[data-testid=rates-in-force]")).to_contain_text("1 USD = 7.1 CNY")
    assert CurrencyRate.objects.get().rate == Decimal("7.1")
    assert AuditEvent.objects.filter(event_type="crm.currency_rate.set", actor_id=world.admin.pk).exists()
    shots(page, f"reports-rates-{suffix}")
    assert serious_violations(page, axe_source()) == []
    assert fits_phone(page, "main")

    # and the reports' sales chart is in yuan: 1,000 + 200 × 7.1 = 2,420 for 张伟, the rate stated under it
    page.goto(f"{live_server.url}/reports/")
    chart = page.locator("[data-testid=figures] figure.hbars").first
    expect(chart).to_contain_text("¥2,420.00")
    expect(chart).to_contain_text(WORDS[language]["converted"])
    shots(page, f"reports-converted-{suffix}")
    assert serious_violations(page, axe_source()) == []
    assert fits_phone(page, "main")
    assert problems == []
