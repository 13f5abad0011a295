"""The customer's side on a phone (issue 15): at 390 px, in English and in Chinese, a portal user sees
who their account manager is, reads an order whose amounts stay reachable (the tables scroll in their
own box, never the page) and whose 5% discount reads 5.0%, finds an expired share marked as no longer
available, and previews a downloadable brochure beside its Download button, then asks the account manager to call
(received, and who will answer). Under the Content-Security-Policy, with axe."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from backend.crm.models import Activity, OrderLine, Product
from tests.browser.axe import axe_source, serious_violations
from tests.portal.world import build_portal_world
from tests.browser.problems import REPORT_VIOLATIONS

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]


WORDS = {
    "en": {"manager": "Your account manager", "gone": "No longer available", "download": "Download",
           "subject": "Please call me", "received": "your question was received. 王芳 will answer you"},
    "zh-hans": {"manager": "您的客户经理", "gone": "已不可用", "download": "下载",
                "subject": "请来电", "received": "您的问题已收到。王芳 将答复您"},
}


@pytest.fixture
def portal_world(transactional_db, live_backends):
    from indexing.engine import article_search_backend

    world = build_portal_world()
    rep = world.staff["rep"]
    rep.email = "wang.fang@dossier.example.com"
    rep.save(update_fields=["email"])
    OrderLine.objects.create(order=world.orders["a"], product=Product.objects.get(code="CNC-200"),
                             description="数控车床 CNC-200 含安装调试 with installation", quantity=Decimal("2"),
                             unit_price=Decimal("52631.58"), discount_percent=Decimal("5"),
                             line_total=Decimal("100000.00"))
    yield world
    article_search_backend().close()


def _no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_customer_on_a_phone_reads_an_order_and_previews_a_shared_brochure(portal_world, browser, live_server,
                                                                            shots, language):
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
        # given Alice of 上海精工 signs in on her phone
        page.goto(f"{live_server.url}/portal/signin/")
        page.fill("#id_email", "alice@jinggong.example.com")
        page.fill("#id_password", portal_world.password)
        page.click("main form button[type=submit]")
        page.wait_for_url(f"{live_server.url}/portal/")
        context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
        page.reload()

        # then the home page names her account manager and how to reach them
        manager = page.locator("[data-testid=account-manager]")
        expect(manager).to_contain_text(words["manager"])
        expect(manager.locator("[data-manager-name]")).to_have_text("王芳")
        expect(manager.locator("a[href='mailto:wang.fang@dossier.example.com']")).to_be_visible()
        _no_sideways_scroll(page)
        assert serious_violations(page, axe_source()) == []
        shots(page, f"portal-phone-home-{suffix}")

        # when she opens her order
        page.goto(f"{live_server.url}/portal/orders/{portal_world.orders['a'].pk}/")
        # then the discount reads 5.0%, and the lines table scrolls in its own box: the page does not
        expect(page.locator("[data-discount]").last).to_have_text("5.0%")  # our line, added last
        _no_sideways_scroll(page)
        lines = page.locator("main table").first
        box = lines.evaluate("t => ({scroll: t.scrollWidth, client: t.clientWidth, overflow: getComputedStyle(t).overflowX})")
        assert box["overflow"] == "auto" and box["client"] <= 390
        # and the amount column is reached by scrolling the table, fully visible, its figures on one line
        amount = page.locator("main table").first.locator("tbody tr td.num").last
        amount.scroll_into_view_if_needed()
        expect(amount).to_be_in_viewport(ratio=0.95)
        assert amount.evaluate("td => td.getClientRects().length === 1 && getComputedStyle(td).whiteSpace") == "nowrap"
        header = page.locator("main table").first.locator("th").first
        assert header.evaluate("th => getComputedStyle(th).fontWeight") in ("600", "bold")
        lines.evaluate("t => t.scrollLeft = 0")
        assert serious_violations(page, axe_source()) == []
        shots(page, f"portal-phone-order-{suffix}")

        # when she lists her shared documents
        page.goto(f"{live_server.url}/portal/shared/")
        expired = page.locator(f"[data-share='{portal_world.shares['expired'].pk}']")
        # then the expired manual is said to be no longer available, not offered for download
        expect(expired.locator("[data-access]")).to_have_text(words["gone"])
        _no_sideways_scroll(page)
        shots(page, f"portal-phone-shares-{suffix}")

        # when she opens the downloadable brochure
        page.click(f"a[href='/portal/shared/{portal_world.shares['brochure'].pk}/']")
        # then she sees its pages inline, and the Download button beside them
        expect(page.locator("[data-download]")).to_have_text(words["download"])
        previews = page.locator("[data-preview] .share-pages img")
        expect(previews).to_have_count(2)
        previews.first.scroll_into_view_if_needed()
        page.wait_for_function("() => { const i = document.querySelector('[data-preview] img');"
                               " return i && i.complete && i.naturalWidth > 0; }")
        _no_sideways_scroll(page)
        assert serious_violations(page, axe_source()) == []
        shots(page, f"portal-phone-share-preview-{suffix}", full_page=False)

        # when she asks her account manager to call her, from the home page
        page.goto(f"{live_server.url}/portal/")
        page.click("[data-testid=ask-manager]")
        expect(page.locator("[data-testid=ask-who]")).to_contain_text("王芳")
        page.fill("#id_subject", words["subject"])
        page.fill("#id_message", "我们想增购两台 CNC-200，请来电。We would like two more CNC-200; please call.")
        _no_sideways_scroll(page)
        assert serious_violations(page, axe_source()) == []
        shots(page, f"portal-phone-ask-{suffix}")
        page.click("[data-testid=ask-form] button[type=submit]")
        # then the home page says it was received and who will answer, and 王芳 holds it as a reminder
        page.wait_for_url(f"{live_server.url}/portal/")
        expect(page.locator("main .alert").first).to_contain_text(words["received"])
        assert Activity.objects.filter(owner=portal_world.staff["rep"], customer=portal_world.a,
                                       subject__contains=words["subject"], done=False).count() == 1
        shots(page, f"portal-phone-asked-{suffix}", full_page=False)
        assert problems == []
    finally:
        context.close()
