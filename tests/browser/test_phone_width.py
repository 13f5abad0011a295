"""Every staff page and portal page at a phone's width (390 × 844): nothing scrolls sideways (wide tables
and boards scroll inside their own box), the header's menu folds behind a button that opens it, and the
phone-width walk through search and a document is kept as screenshots in both languages."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.portal.world import build_portal_world

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(300)]

PHONE = {"width": 390, "height": 844}

# What sticks out past the right edge, to name the culprit when a page scrolls sideways.
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const out = [];
  for (const el of document.querySelectorAll("body *")) {
    const box = el.getBoundingClientRect();
    if (box.right > width + 1 && box.width > 0) {
      let inScroller = false;
      for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
        const o = getComputedStyle(p).overflowX;
        if (o === "auto" || o === "scroll" || o === "hidden") { inScroller = true; break; }
      }
      if (!inScroller) out.push(`${el.tagName.toLowerCase()}.${el.className}#${el.id} right=${Math.round(box.right)}`);
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, culprits: out.slice(0, 8)};
}"""


@pytest.fixture
def phone(browser, live_server):
    """phone(username or email, language, portal=False): a signed-in page in a 390 px wide context."""
    contexts = []

    def open_phone(login: str, language: str = "en", *, portal: bool = False, password: str = "pw-for-tests"):
        context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                                      locale="zh-CN" if language.startswith("zh") else "en-US")
        context.set_default_timeout(15_000)
        context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
        contexts.append(context)
        page = context.new_page()
        prefix = "/portal" if portal else ""
        page.goto(f"{live_server.url}{prefix}/signin/")
        page.fill("#id_email" if portal else "#id_username", login)
        page.fill("#id_password", password)
        page.click("main form button[type=submit]")
        page.wait_for_url(f"{live_server.url}{prefix}/")
        context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
        return page

    yield open_phone
    for context in contexts:
        context.close()


def _assert_fits(page, url: str, failures: list[str]) -> None:
    response = page.goto(url)
    assert response is not None and response.status < 400, f"{url}: {response and response.status}"
    page.wait_for_load_state("networkidle")
    measured = page.evaluate(OVERFLOW)
    if measured["scrollWidth"] > PHONE["width"]:
        failures.append(f"{url}: scrollWidth {measured['scrollWidth']} {measured['culprits']}")


def test_every_staff_page_fits_a_phone_without_sideways_scrolling(world, phone, live_server):
    from backend.audit.models import AuditEvent

    base = live_server.url
    failures: list[str] = []
    # given a rep on her phone
    page = phone("wang.fang", "zh-hans")
    for path in ("/", "/search/?q=报价", f"/documents/{world.quote_doc.pk}/", f"/customers/{world.customer.pk}/",
                 "/customers/", "/pipeline/", "/service/", f"/service/{world.record.pk}/", "/reports/",
                 "/customers/new/", f"/customers/{world.customer.pk}/edit/",
                 f"/customers/{world.customer.pk}/contacts/new/", "/worklog/", f"/orders/{world.order.pk}/",
                 f"/orders/new/?quote={world.accepted_quote.pk}", f"/orders/new/?customer={world.customer.pk}"):
        _assert_fits(page, base + path, failures)
    # an administrator (announcements) and a compliance officer (the console)
    page = phone("wu.lei", "en")
    for path in ("/announcements/", "/reports/", f"/documents/{world.secret_doc.pk}/", "/worklog/"):
        _assert_fits(page, base + path, failures)
    page = phone("zhao.jing", "en")
    event = AuditEvent.objects.order_by("-pk").first()
    for path in ("/", "/compliance/", f"/compliance/events/{event.pk}/", "/compliance/user-access/",
                 "/compliance/document-access/", f"/compliance/document-access/?document={world.quote_doc.pk}",
                 "/compliance/watermark/"):
        _assert_fits(page, base + path, failures)
    assert failures == []


def test_the_header_menu_folds_behind_a_button_on_a_phone(world, phone, live_server):
    # given a rep on her phone
    page = phone("chen.jing", "en")
    nav = page.locator("nav.nav")
    toggle = page.locator("[data-menu-toggle]")
    # the navigation is folded away and the search box stays in reach
    expect(toggle).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(nav).to_be_hidden()
    expect(page.locator(".topsearch input")).to_be_visible()
    # when she opens the menu
    toggle.click()
    # then the navigation and sign-out are there, and following a link works
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(nav).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    nav.get_by_role("link", name="Customers").click()
    page.wait_for_url(re.compile(r"/customers/$"))
    # Escape closes it again
    toggle.click()
    page.keyboard.press("Escape")
    expect(nav).to_be_hidden()


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_phone_width_walk_through_search_and_a_document(world, phone, live_server, shots, language):
    page = phone("wang.fang", language)
    suffix = "zh" if language == "zh-hans" else "en"
    shots(page, f"phone-home-{suffix}")
    # she searches from the header's box
    page.fill(".topsearch input", "报价")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/search/\?"))
    hit = page.locator(f"article.hit[data-document='{world.quote_doc.pk}']")
    expect(hit).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shots(page, f"phone-search-{suffix}")
    # and opens the document
    hit.locator("a[href*='/documents/']").first.click()
    page.wait_for_url(re.compile(rf"/documents/{world.quote_doc.pk}/"))
    expect(page.locator("h1")).to_contain_text("报价单")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shots(page, f"phone-document-{suffix}")
    # the menu, opened
    page.click("[data-menu-toggle]")
    shots(page, f"phone-menu-{suffix}", full_page=False)


@pytest.fixture
def portal_world(transactional_db, live_backends):
    from indexing.engine import article_search_backend

    built = build_portal_world()
    yield built
    article_search_backend().close()


def test_every_portal_page_fits_a_phone_without_sideways_scrolling(portal_world, phone, live_server):
    w, base, failures = portal_world, live_server.url + "/portal", []
    page = phone(w.alice.email, "zh-hans", portal=True, password=w.password)
    for path in ("/", "/shared/", f"/shared/{w.shares['brochure'].pk}/", "/knowledge/",
                 f"/knowledge/{w.articles['public'].pk}/", "/orders/", f"/orders/{w.orders['a'].pk}/", "/service/",
                 f"/service/{w.records['a'].pk}/", "/service/new/", "/announcements/", "/ask/"):
        _assert_fits(page, base + path, failures)
    assert failures == []
