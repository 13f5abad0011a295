"""A customer raises a service request on a phone (issue 15): at 390 px, in English and in Chinese, the form
offers only her installed products, suggests the knowledge article that matches the title as she types it
(never another customer's), and takes an urgency and a preferred visit time, which her request then shows.
Under the Content-Security-Policy, with axe."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from backend.crm.models import OrderLine, Priority, Product, ServiceRecord
from tests.browser.axe import axe_source, serious_violations
from tests.portal.world import build_portal_world
from tests.browser.problems import REPORT_VIOLATIONS

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]


WORDS = {
    "en": {"title": "Spindle noise on machine 3", "urgent": "Urgent", "visit": "Preferred visit time"},
    "zh-hans": {"title": "3 号机 主轴 异响", "urgent": "紧急", "visit": "希望上门时间"},
}


@pytest.fixture
def portal_world(transactional_db, live_backends):
    from indexing.engine import article_search_backend

    world = build_portal_world()
    OrderLine.objects.create(order=world.orders["a"], product=Product.objects.get(code="CNC-200"),
                             quantity=Decimal("1"), unit_price=Decimal("100000.00"), line_total=Decimal("100000.00"))
    Product.objects.create(code="CAT-ONLY", name="目录产品 Catalogue only", list_price=Decimal("1.00"))
    yield world
    article_search_backend().close()


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_customer_raises_an_urgent_request_about_an_installed_product_with_a_suggested_article(
        portal_world, browser, live_server, shots, language):
    words, suffix = WORDS[language], "en" if language == "en" else "zh"
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  locale="zh-CN" if language == "zh-hans" else "en-US")
    context.set_default_timeout(15_000)
    problems: list[str] = []
    context.expose_binding("__cspViolation", lambda source, text: problems.append(f"CSP: {text}"))
    context.add_init_script(REPORT_VIOLATIONS)
    page = context.new_page()
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    try:
        # given Alice of 上海精工, who bought a CNC-200, signed in on her phone
        page.goto(f"{live_server.url}/portal/signin/")
        page.fill("#id_email", "alice@jinggong.example.com")
        page.fill("#id_password", portal_world.password)
        page.click("main form button[type=submit]")
        page.wait_for_url(f"{live_server.url}/portal/")
        context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])

        # when she opens the service-request form
        page.goto(f"{live_server.url}/portal/service/new/")
        # then the product list holds her installed products only (from her order's lines), not the catalogue
        options = page.locator("#id_product option")
        expect(options).to_have_count(3)  # "—", the order's first line (a factory product) and the CNC-200
        expect(page.locator("#id_product")).not_to_contain_text("CAT-ONLY")
        cnc = options.filter(has_text="CNC-200")
        expect(cnc).to_have_count(1)
        # when she types the title, the matching article she may read is suggested (not B's own notes)
        page.fill("#id_title", words["title"])
        suggestions = page.locator("#article-suggestions")
        expect(suggestions).to_be_visible()
        expect(suggestions.locator("a")).to_contain_text([portal_world.articles["public"].title])
        expect(suggestions).not_to_contain_text(portal_world.articles["b_only"].title)
        # and she sets the product, the urgency and when she would like the engineer to come
        page.select_option("#id_product", cnc.get_attribute("value"))
        page.select_option("#id_urgency", "urgent")
        visit = timezone.localtime() + dt.timedelta(days=2)
        page.fill("#id_preferred_visit_at", visit.strftime("%Y-%m-%dT10:00"))
        page.fill("#id_description", "8000 rpm 以上有异响。Noise above 8,000 rpm.")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert serious_violations(page, axe_source()) == []
        shots(page, f"portal-service-request-form-{suffix}")
        page.click("main form button[type=submit]")

        # then her request shows the urgency and the visit time, and the record carries them
        page.wait_for_url(f"{live_server.url}/portal/service/*/")
        expect(page.locator("main")).to_contain_text(words["urgent"])
        expect(page.locator("main")).to_contain_text(words["visit"])
        record = ServiceRecord.objects.get(title=words["title"])
        assert record.priority == Priority.URGENT and record.product.code == "CNC-200"
        assert timezone.localtime(record.preferred_visit_at).date() == visit.date()
        shots(page, f"portal-service-request-sent-{suffix}", full_page=False)
        assert problems == []
    finally:
        context.close()
