"""A rep makes a quote's PDF and sends it to the customer; the customer's contact opens it in the portal and
accepts it with a comment; the quote is accepted and the rep has a reminder. In English and in Chinese,
under the Content-Security-Policy, with axe, at desktop and phone width; screenshots."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from backend.crm.models import Activity, ActivityKind, QuoteStatus
from tests.browser.axe import axe_source, serious_violations
from tests.portal_factories import PORTAL_PASSWORD, portal_user
from tests.browser.problems import watch_problems as _watch

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(240)]


WORDS = {
    "en": {"made": "is version 1 of its document", "sent": "is sent", "accepted": "you accepted quote",
           "status": "Sent"},
    "zh-hans": {"made": "已保存为其文档的第 1 版", "sent": "已发送", "accepted": "您已接受报价单", "status": "已发送"},
}


def _clean_and_fits(page):
    found = serious_violations(page, axe_source())
    assert not found, "\n".join(found)
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_rep_sends_a_quote_pdf_and_the_customer_accepts_it_in_the_portal(world, open_as, browser, live_server,
                                                                           shots, language):
    words, suffix = WORDS[language], "en" if language == "en" else "zh"
    quote = world.open_quote  # 李雷's draft Q-2026-0002, no file yet
    contact = portal_user(world.customer, email=f"buyer-{suffix}@example.com", name="刘丽 Liu Li")
    problems: list[str] = []

    # given the rep on his quote's page
    page = open_as("li.lei", language)
    _watch(page, problems)
    page.goto(f"{live_server.url}/quotes/{quote.pk}/")
    # when he makes the PDF in the page's language
    page.click("[data-testid=quote-pdf-make]")
    page.wait_for_url(re.compile(rf"/quotes/{quote.pk}/$"))
    expect(page.locator(".alert-success")).to_contain_text(words["made"])
    expect(page.locator("[data-testid=quote-document]")).to_be_visible()
    # and sends it to the customer
    page.click("[data-testid=quote-send]")
    page.wait_for_url(re.compile(rf"/quotes/{quote.pk}/$"))
    expect(page.locator(".alert-success")).to_contain_text(words["sent"])
    expect(page.locator("[data-testid=quote-status]")).to_have_text(words["status"])
    expect(page.locator("[data-testid=quote-send]")).to_have_count(0)
    shots(page, f"quote-sent-{suffix}")
    _clean_and_fits(page)
    shots(page, f"quote-sent-phone-{suffix}", full_page=False)

    # when the customer's contact signs in to the portal and opens the quote from the shared documents
    context = browser.new_context(viewport={"width": 1280, "height": 900},
                                  locale="zh-CN" if language.startswith("zh") else "en-US")
    context.set_default_timeout(15_000)
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    portal = context.new_page()
    _watch(portal, problems)
    portal.goto(f"{live_server.url}/portal/signin/")
    portal.fill("#id_email", contact.email)
    portal.fill("#id_password", PORTAL_PASSWORD)
    portal.click("main form button[type=submit]")
    portal.wait_for_url(f"{live_server.url}/portal/")
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    portal.goto(f"{live_server.url}/portal/shared/")
    portal.locator("main a", has_text=quote.number).first.click()
    answer = portal.locator("[data-testid=quote-answer]")
    expect(answer).to_contain_text(quote.number)
    # the PDF's pages are shown beside the answer
    first_page = portal.locator("[data-preview] .share-pages img").first
    first_page.scroll_into_view_if_needed()
    expect(first_page).to_be_visible()
    portal.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=first_page.element_handle())
    portal.evaluate("window.scrollTo(0, 0)")
    shots(portal, f"portal-quote-answer-{suffix}")
    # and accepts it with a comment
    portal.fill("#quote-answer-comment", "请尽快安排发货 Please ship soon")
    portal.click("[data-testid=quote-accept]")
    # then the portal thanks her and no longer asks
    expect(portal.locator(".alert-success")).to_contain_text(words["accepted"])
    expect(portal.locator("[data-testid=quote-answer]")).to_have_count(0)
    _clean_and_fits(portal)
    shots(portal, f"portal-quote-accepted-phone-{suffix}", full_page=False)
    context.close()

    # and the quote is accepted, and its owner has a reminder with the comment
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.ACCEPTED
    note = Activity.objects.get(customer=world.customer, kind=ActivityKind.REMINDER, owner=quote.owner,
                                subject__contains=quote.number)
    assert "Please ship soon" in note.body
    assert problems == []
