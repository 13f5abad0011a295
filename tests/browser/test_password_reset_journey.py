"""Forgot password in the portal (issue 15), on a phone at 390 px in English and Chinese: Alice finds
"Forgot your password?" on the sign-in page, asks for a link, follows it from the e-mail, chooses a new
password and is signed in; the used link then says so. Under the Content-Security-Policy, with axe."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from tests.browser.axe import axe_source, serious_violations
from tests.portal.world import build_portal_world
from tests.browser.problems import REPORT_VIOLATIONS

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]


WORDS = {
    "en": {"forgot": "Forgot your password?", "sent": "Check your e-mail", "used": "already been used"},
    "zh-hans": {"forgot": "忘记密码？", "sent": "请查收邮件", "used": "此链接已被使用"},
}


@pytest.fixture
def portal_world(transactional_db, live_backends):
    from indexing.engine import article_search_backend

    world = build_portal_world()
    yield world
    article_search_backend().close()


def _no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_customer_resets_a_forgotten_password_on_a_phone(portal_world, browser, live_server, shots, settings,
                                                          language):
    settings.SITE_URL = live_server.url
    words, suffix = WORDS[language], "en" if language == "en" else "zh"
    alice = portal_world.alice
    alice.preferred_language = language
    alice.save(update_fields=["preferred_language"])
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  locale="zh-CN" if language == "zh-hans" else "en-US")
    context.set_default_timeout(15_000)
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    problems: list[str] = []
    context.expose_binding("__cspViolation", lambda source, text: problems.append(f"CSP: {text}"))
    context.add_init_script(REPORT_VIOLATIONS)
    page = context.new_page()
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    try:
        # given Alice forgot her password and opens the sign-in page on her phone
        page.goto(f"{live_server.url}/portal/signin/")
        page.get_by_role("link", name=words["forgot"]).click()
        page.wait_for_url(f"{live_server.url}/portal/password/forgot/")
        # when she asks for a link
        page.fill("#id_email", "Alice@Jinggong.example.com")
        _no_sideways_scroll(page)
        assert serious_violations(page, axe_source()) == []
        shots(page, f"portal-password-forgot-{suffix}", full_page=False)
        page.click("main form button[type=submit]")
        # then the page says to check her e-mail (as it would for any address), and the e-mail came
        expect(page.locator("h1")).to_have_text(words["sent"])
        _no_sideways_scroll(page)
        shots(page, f"portal-password-sent-{suffix}", full_page=False)
        assert [m.to for m in mail.outbox] == [["alice@jinggong.example.com"]]
        link = re.search(r"(http://\S+/portal/password/reset/\S+/)", mail.outbox[0].body).group(1)
        # when she follows it and chooses a new password
        page.goto(link)
        page.fill("#id_password", "Gear-Box-2026")
        page.fill("#id_password_again", "Gear-Box-2026")
        _no_sideways_scroll(page)
        assert serious_violations(page, axe_source()) == []
        shots(page, f"portal-password-reset-{suffix}", full_page=False)
        page.click("main form button[type=submit]")
        # then she is signed in to her portal home
        page.wait_for_url(f"{live_server.url}/portal/")
        expect(page.locator("h1")).to_have_text(portal_world.a.name)
        # and the link does not work twice
        page.goto(link)
        expect(page.locator("h1")).to_contain_text(words["used"])
        _no_sideways_scroll(page)
        assert serious_violations(page, axe_source()) == []
        shots(page, f"portal-password-link-used-{suffix}", full_page=False)
        assert problems == []
    finally:
        context.close()
