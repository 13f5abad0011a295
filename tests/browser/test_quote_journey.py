"""A rep makes a quote with three lines from the customer page: each product picked by code or name, the list
price filled in, the totals and warnings shown as she types (her colleague's open quote for the customer, a
price far from the last accepted one, below a product's floor); she saves it, reads it under its number,
and drafts a second revision, which keeps the first. In English and in Chinese, under the
Content-Security-Policy, with axe, and the editor at phone width."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from backend.audit.models import AuditEvent
from backend.crm.models import Product, Quote
from tests.browser.axe import axe_source, serious_violations
from tests.browser.problems import REPORT_VIOLATIONS

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(240)]


WORDS = {
    "en": {"drafted": "is drafted.", "other": "李雷 already has an open quote Q-2026-0002",
           "floor": "is below the floor price", "deviation": "differs by", "kept": "Superseded", "revised": "Revised a quote",
           "spindle": "主轴", "spindle_typed": "Spindle"},
    "zh-hans": {"drafted": "已起草", "other": "李雷 已有该客户的未结报价 Q-2026-0002",
                "floor": "低于底价", "deviation": "相差", "kept": "已被取代", "revised": "修订了报价",
                "spindle": "主轴", "spindle_typed": "主轴"},
}


def _no_axe_violations(page):
    found = serious_violations(page, axe_source())
    assert not found, "\n".join(found)


def _pick(page, row: int, text: str, option: str):
    box = page.locator("[data-quote-row]").nth(row).locator("[data-quote-product-q]")
    box.fill(text)
    page.locator(".picker-list [role=option]", has_text=option).first.click()


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_rep_makes_a_quote_with_three_lines_and_sees_the_warnings(world, open_as, live_server, shots, language):
    words = WORDS[language]
    suffix = "en" if language == "en" else "zh"
    Product.objects.create(code="QH-SP-10", name="主轴", name_en="Spindle", list_price=Decimal("5000"),
                           floor_price=Decimal("4500"))
    Product.objects.create(code="QH-KIT-1", name="刀具套装", name_en="Tool kit", list_price=Decimal("800"))
    page = open_as("wang.fang", language)
    problems: list[str] = []
    page.context.expose_binding("__cspViolation", lambda source, text: problems.append(f"CSP: {text}"))
    page.context.add_init_script(REPORT_VIOLATIONS)
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))

    # given the customer page, where the rep clicks "New quote"
    page.goto(f"{live_server.url}/customers/{world.customer.pk}/")
    page.click("[data-testid=customer-new-quote]")
    page.wait_for_url(re.compile(rf"/quotes/new/\?customer={world.customer.pk}$"))
    warnings = page.locator("[data-testid=quote-warnings]")
    # her colleague's open quote is named before she types anything
    expect(warnings).to_contain_text(words["other"])

    # when she picks the lathe by code: the quantity becomes 1 and the list price is filled in
    _pick(page, 0, "QH-CNC", "QH-CNC-200")
    rows = page.locator("[data-quote-row]")
    expect(rows.nth(0).locator("[data-quote-unit-price]")).to_have_value("120000.00")
    rows.nth(0).locator("[data-quote-quantity]").fill("2")
    expect(page.locator("[data-testid=quote-editor-total]")).to_have_text("¥240,000.00")
    # and lowers its price far below the last accepted one: warned as she types
    rows.nth(0).locator("[data-quote-unit-price]").fill("90000")
    expect(warnings).to_contain_text(words["deviation"])
    # when she picks the spindle by its name and offers it below its floor
    _pick(page, 1, words["spindle_typed"], "QH-SP-10")
    expect(rows.nth(1).locator("[data-quote-unit-price]")).to_have_value("5000.00")
    rows.nth(1).locator("[data-quote-unit-price]").fill("4000")
    expect(warnings).to_contain_text(words["floor"])
    # and the tool kit, 3 at 10% off
    _pick(page, 2, "KIT", "QH-KIT-1")
    rows.nth(2).locator("[data-quote-quantity]").fill("3")
    rows.nth(2).locator("[data-quote-discount]").fill("10")
    expect(page.locator("[data-testid=quote-editor-total]")).to_have_text("¥186,160.00")  # 180,000 + 4,000 + 2,160
    expect(rows.nth(2).locator("[data-quote-line-total]")).to_have_text("¥2,160.00")
    expect(page.locator("[data-quote-discounts]")).to_have_text("¥240.00")
    _no_axe_violations(page)
    shots(page, f"quote-editor-{suffix}")
    # the editor is one column that fits a phone
    page.set_viewport_size({"width": 390, "height": 844})
    fits = page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert fits
    shots(page, f"quote-editor-phone-{suffix}", full_page=False)
    page.set_viewport_size({"width": 1366, "height": 900})

    # when she saves it
    page.click("[data-testid=quote-save]")
    page.wait_for_url(re.compile(r"/quotes/\d+/$"))
    quote = Quote.objects.exclude(pk__in=[world.accepted_quote.pk, world.open_quote.pk]).get()
    # then the quote page shows it under its number with three lines, its total and the warnings
    expect(page.locator("[data-testid=quote-number]")).to_have_text(quote.number)
    expect(page.locator(".alert-success")).to_contain_text(words["drafted"])
    expect(page.locator("[data-testid=quote-lines] tbody tr")).to_have_count(3)
    expect(page.locator("[data-testid=quote-total]")).to_have_text("¥186,160.00")
    expect(page.locator("main")).to_contain_text(words["floor"])
    _no_axe_violations(page)
    shots(page, f"quote-{suffix}")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")
    shots(page, f"quote-phone-{suffix}", full_page=False)
    page.set_viewport_size({"width": 1366, "height": 900})

    # when she drafts a new revision with the spindle at its floor
    page.click("[data-testid=quote-revise]")
    page.wait_for_url(re.compile(rf"/quotes/{quote.pk}/revise/$"))
    page.locator("[data-quote-row]").nth(1).locator("[data-quote-unit-price]").fill("4500")
    expect(page.locator("[data-testid=quote-editor-total]")).to_have_text("¥186,660.00")
    expect(page.locator("[data-testid=quote-warnings]")).not_to_contain_text(words["floor"])
    page.click("[data-testid=quote-save]")
    page.wait_for_url(re.compile(r"/quotes/\d+/$"))
    # then the revision is a new quote and the first one is kept, listed beside it
    expect(page.locator("[data-testid=quote-number]")).to_have_text(f"{quote.number}-R2")
    expect(page.locator("[data-testid=quote-revisions] tbody tr")).to_have_count(2)
    expect(page.locator("[data-testid=quote-revisions]")).to_contain_text(words["kept"])
    expect(page.locator("[data-testid=quote-history-events]")).to_contain_text(words["revised"])
    _no_axe_violations(page)
    shots(page, f"quote-revision-{suffix}")
    quote.refresh_from_db()
    assert quote.status == "superseded" and quote.lines.count() == 3
    assert AuditEvent.objects.filter(event_type="crm.quote.created", target_id=str(quote.pk)).exists()
    assert AuditEvent.objects.filter(event_type="crm.quote.revised", actor_id=world.rep.pk).exists()
    assert problems == []
