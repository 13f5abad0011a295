"""A manager hands a leaving rep's book to two colleagues, in English and in Chinese, in a real browser:
pick the rep and the colleagues, everything to one of them, one customer (and its quote) to the other,
preview, confirm; then the new owners hold it all. No serious accessibility violation, nothing scrolls
sideways at a phone's width."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from backend.crm.models import Activity, ActivityKind, Customer, Opportunity, Quote, QuoteStatus
from tests.browser.axe import axe_source, serious_violations
from tests.crm.factories import CustomerFactory, QuoteFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]

WORDS = {
    "en": {"done": "book is handed over", "nothing": "holds nothing to hand over"},
    "zh-hans": {"done": "名下的业务已移交", "nothing": "名下没有需要移交的业务"},
}


def _pick(page, text: str, expected: str) -> None:
    """Type into the colleague picker and choose the row with the keyboard (which adds the colleague)."""
    page.fill("#handover-to", text)
    option = page.locator("#handover-to ~ .picker-list [role=option]", has_text=expected)
    expect(option.first).to_be_visible()
    page.keyboard.press("ArrowDown")
    with page.expect_navigation():
        page.keyboard.press("Enter")


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_manager_hands_a_leaving_reps_book_to_two_colleagues(world, open_as, live_server, shots, language):
    words = WORDS[language]
    suffix = "en" if language == "en" else "zh"
    rep, zhang, chen = world.rep, world.outsider, world.colleague
    # given 王芳 (leaving) owns a second customer with a draft quote, besides 上海精工, its deal and a reminder
    second = CustomerFactory(name="苏州新达电子", region="苏州", owner=rep)
    quote = QuoteFactory(customer=second, owner=rep, number="Q-2026-0107", status=QuoteStatus.DRAFT)

    # when the administrator opens the handover page from the menu, picks 王芳 and adds 张伟 and 陈静
    page = open_as("wu.lei", language)
    page.click("[data-testid=nav-handover]")
    page.wait_for_url(re.compile(r"/handover/$"))
    page.select_option("#handover-rep", str(rep.pk))
    _pick(page, "张", "张伟")
    _pick(page, "陈", "陈静")
    expect(page.locator("[data-testid=recipient-zhang\\.wei]")).to_be_visible()
    expect(page.locator("[data-testid=recipient-chen\\.jing]")).to_be_visible()
    book = page.locator("[data-testid=handover-book]")
    expect(book).to_contain_text("上海精工机械有限公司")
    expect(book).to_contain_text("Q-2026-0107")

    # and sends everything to 张伟, then 苏州新达 to 陈静 (its quote follows its customer)
    page.click("[data-testid=all-to-zhang\\.wei]")
    expect(page.locator(f"#to-quote-{quote.pk}")).to_have_value(str(zhang.pk))
    page.select_option(f"#to-customer-{second.pk}", str(chen.pk))
    expect(page.locator(f"#to-quote-{quote.pk}")).to_have_value(str(chen.pk))
    expect(page.locator(f"#to-customer-{world.customer.pk}")).to_have_value(str(zhang.pk))
    page.fill("#handover-note", "王芳 12 月离职")
    shots(page, f"handover-book-{suffix}")
    assert serious_violations(page, axe_source()) == []

    # then the preview shows what moves to whom, and nothing has moved yet
    page.click("[data-testid=handover-preview]")
    page.wait_for_url(re.compile(r"/handover/preview/$"))
    to_chen = page.locator("[data-testid=preview-chen\\.jing]")
    expect(to_chen).to_contain_text("苏州新达电子")
    expect(to_chen).to_contain_text("Q-2026-0107")
    expect(page.locator("[data-testid=preview-zhang\\.wei]")).to_contain_text("上海精工机械有限公司")
    expect(page.locator("#handover-note")).to_have_value("王芳 12 月离职")
    assert Customer.objects.get(pk=second.pk).owner == rep
    shots(page, f"handover-preview-{suffix}")
    assert serious_violations(page, axe_source()) == []

    # when they hand it over
    page.click("[data-testid=handover-confirm]")
    page.wait_for_url(re.compile(r"/handover/\?rep="))
    expect(page.locator(".alert-success")).to_contain_text(words["done"])
    expect(page.locator("[data-testid=handover-empty]")).to_contain_text(words["nothing"])
    shots(page, f"handover-done-{suffix}")

    # then 张伟 and 陈静 hold the book, and 王芳 nothing open
    assert Customer.objects.get(pk=world.customer.pk).owner == zhang
    assert Opportunity.objects.get(pk=world.opportunity.pk).owner == zhang
    assert Customer.objects.get(pk=second.pk).owner == chen and Quote.objects.get(pk=quote.pk).owner == chen
    assert not Activity.objects.filter(owner=rep, kind=ActivityKind.REMINDER, done=False).exists()

    # and at a phone's width the book page does not scroll sideways
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/handover/?rep={world.team.pk}&to={zhang.pk}&to={chen.pk}")
    expect(page.locator("[data-testid=handover-book]")).to_be_visible()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    shots(page, f"handover-phone-{suffix}")
