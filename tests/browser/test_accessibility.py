"""axe-core (tests/browser/axe.py) on the main pages of both interfaces: no serious or critical
violation of WCAG 2.1 AA or axe's best practices on home, search, a document, a customer, the pipeline,
the service desk, the compliance console and the portal, in both languages."""

from __future__ import annotations

import pytest

from tests.browser.axe import axe_source, serious_violations
from tests.portal.world import build_portal_world

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(300)]


@pytest.fixture(scope="session")
def axe():
    return axe_source()


def _check(page, url: str, axe: str, found: list[str]) -> None:
    response = page.goto(url)
    assert response is not None and response.status < 400, url
    page.wait_for_load_state("networkidle")
    found.extend(serious_violations(page, axe))


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_main_staff_pages_have_no_serious_accessibility_violations(world, open_as, live_server, axe, language):
    base, found = live_server.url, []
    # given a rep
    page = open_as("wang.fang", language)
    for path in ("/", "/search/?q=报价", f"/documents/{world.quote_doc.pk}/", f"/customers/{world.customer.pk}/",
                 "/customers/", "/pipeline/", "/service/", f"/service/{world.record.pk}/", "/customers/new/",
                 f"/customers/{world.customer.pk}/edit/", f"/customers/{world.customer.pk}/contacts/new/",
                 "/worklog/", f"/orders/{world.order.pk}/",
                 f"/orders/new/?quote={world.accepted_quote.pk}", f"/orders/new/?customer={world.customer.pk}"):
        _check(page, base + path, axe, found)
    # and a compliance officer
    page = open_as("zhao.jing", language)
    for path in ("/", "/compliance/", "/compliance/user-access/", "/compliance/document-access/",
                 "/compliance/watermark/"):
        _check(page, base + path, axe, found)
    assert not found, "\n".join(found)


@pytest.fixture
def portal_world(transactional_db, live_backends):
    from indexing.engine import article_search_backend

    built = build_portal_world()
    yield built
    article_search_backend().close()


def test_the_portal_has_no_serious_accessibility_violations(portal_world, browser, live_server, axe):
    w, base, found = portal_world, live_server.url + "/portal", []
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    context.add_cookies([{"name": "django_language", "value": "zh-hans", "url": live_server.url}])
    page = context.new_page()
    try:
        # the sign-in page first, then the portal as a contact sees it
        _check(page, base + "/signin/", axe, found)
        page.fill("#id_email", w.alice.email)
        page.fill("#id_password", w.password)
        page.click("main form button[type=submit]")
        page.wait_for_url(base + "/")
        for path in ("/", "/shared/", f"/shared/{w.shares['brochure'].pk}/", "/knowledge/", "/orders/",
                     f"/service/{w.records['a'].pk}/", "/service/new/"):
            _check(page, base + path, axe, found)
    finally:
        context.close()
    assert not found, "\n".join(found)
