"""The staff interface, the API docs and the portal under the Content-Security-Policy, in a real browser:
one walk through the main pages that fails on any policy violation or script error, and checks that what
JavaScript does still works (htmx's lazy panels, the language switch, the upload with its progress bar,
Swagger UI and Redoc, the portal's view-only pages)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.portal.world import build_portal_world
from tests.web.world import pdf_with_text

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(240)]

REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolation(`${event.violatedDirective} blocked ${event.blockedURI || "inline"} on ${location.pathname}`);
});
"""


@pytest.fixture
def portal_world(transactional_db, live_backends):
    from indexing.engine import article_search_backend

    world = build_portal_world()
    yield world
    article_search_backend().close()


@pytest.fixture
def watched(browser, live_server):
    """watched(): a page in a fresh context whose every policy violation and script error is collected,
    from its first request on (the init script and the binding are the browser's, outside the policy)."""
    contexts, problems = [], []

    def open_page():
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
        context.set_default_timeout(20_000)
        context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
        context.expose_binding("__cspViolation", lambda source, text: problems.append(f"CSP: {text}"))
        context.add_init_script(REPORT_VIOLATIONS)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: problems.append(f"script error on {page.url}: {error}"))
        page.on("console", lambda message: problems.append(f"console on {page.url}: {message.text}")
                if message.type == "error" and "Content Security Policy" in message.text else None)
        return page

    yield open_page, problems
    for context in contexts:
        context.close()


def _drop_pdf(page, content: bytes, filename: str) -> None:
    transfer = page.evaluate_handle(
        """([bytes, name]) => {
            const transfer = new DataTransfer();
            transfer.items.add(new File([new Uint8Array(bytes)], name, {type: "application/pdf"}));
            return transfer;
        }""", [list(content), filename])
    for event in ("dragenter", "dragover", "drop"):
        page.dispatch_event("[data-dropzone]", event, {"dataTransfer": transfer})


def test_staff_pages_api_docs_and_portal_work_under_the_policy(portal_world, watched, live_server):
    open_page, problems = watched
    url = live_server.url
    brochure = portal_world.docs["brochure"]

    # given 王芳 signing in through the staff form
    staff = open_page()
    staff.goto(f"{url}/signin/")
    staff.fill("#id_username", "wang.fang")
    staff.fill("#id_password", "pw-for-tests")
    staff.click("button[type=submit]")
    staff.wait_for_url(f"{url}/")
    # htmx read its configuration from the page: no eval
    assert staff.evaluate("window.htmx.config.allowEval") is False
    assert staff.evaluate("window.htmx.config.historyCacheSize") == 0
    # when she walks through the main pages
    for path in ["/search/?q=CNC", "/customers/", f"/customers/{portal_world.a.pk}/", "/pipeline/", "/service/",
                 "/reports/"]:
        response = staff.goto(url + path)
        assert response.status == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"]
    # the document page: htmx loads its preview (pages drawn on the server) and the "why can I see this" panel
    staff.goto(f"{url}/documents/{brochure.pk}/")
    expect(staff.locator("[data-testid=preview-pages] img").first).to_be_visible()
    why = staff.locator("[data-testid=access-why]")
    why.locator("summary").click()
    expect(why.locator(".lazy")).not_to_contain_text("Loading")
    # the upload streams with its progress bar, and becomes version 2
    widths: list[str] = []
    staff.expose_binding("__progress", lambda source, width: widths.append(width))
    staff.evaluate("""() => {
        const bar = document.querySelector("[data-progress] > div");
        new MutationObserver(() => window.__progress(bar.style.width)).observe(bar, {attributes: true});
    }""")
    _drop_pdf(staff, pdf_with_text("Brochure v2"), "brochure-v2.pdf")
    staff.fill("#upload-comment", "Second edition")
    staff.click("form[enctype] button[type=submit]")
    expect(staff.locator(".alert-success")).to_contain_text("Version 2 uploaded.")
    assert "100%" in widths, widths
    # the language switch submits itself (its handler lives in app.js now)
    staff.select_option("header select[name=language]", "zh-hans")
    staff.wait_for_load_state()
    expect(staff.locator("html")).to_have_attribute("lang", "zh-hans")
    staff.select_option("header select[name=language]", "en")
    expect(staff.locator("html")).to_have_attribute("lang", "en")

    # and the API docs start from files of ours, without a CDN
    staff.goto(f"{url}/api/docs/")
    # (Swagger UI, like Redoc, parses the whole schema first: on a loaded machine that took over 5 s)
    expect(staff.locator(".swagger-ui .info .title")).to_contain_text("Dossier API", timeout=60_000)
    expect(staff.locator(".swagger-ui .opblock").first).to_be_visible()
    staff.goto(f"{url}/api/redoc/")
    expect(staff.locator("h1").first).to_contain_text("Dossier API", timeout=60_000)  # parses the whole schema

    # given Alice of customer A signing in to the portal
    portal = open_page()
    portal.goto(f"{url}/portal/signin/")
    portal.fill("#id_email", "alice@jinggong.example.com")
    portal.fill("#id_password", portal_world.password)
    portal.click("main form button[type=submit]")
    portal.wait_for_url(f"{url}/portal/")
    # when she walks through the portal
    for path in ["/portal/shared/", "/portal/knowledge/", "/portal/orders/", "/portal/service/",
                 "/portal/announcements/"]:
        assert portal.goto(url + path).status == 200, path
    # the view-only share shows its pages, and offers no context menu on them (portal.js)
    portal.goto(f"{url}/portal/shared/{portal_world.shares['pricelist'].pk}/")
    portal.wait_for_function(
        "() => [...document.querySelectorAll('.share-pages img')].every(i => i.complete && i.naturalWidth > 0)")
    refused = portal.evaluate("""() => {
        const event = new MouseEvent("contextmenu", {bubbles: true, cancelable: true});
        return !document.querySelector(".share-pages img").dispatchEvent(event);
    }""")
    assert refused is True
    # the language switch submits itself here too
    portal.select_option("header select[name=language]", "zh-hans")
    expect(portal.locator("html")).to_have_attribute("lang", "zh-hans")

    # then nothing anywhere was blocked by the policy, and no script failed; except, on purpose, Redoc's
    # "API docs by Redocly" logo, which it always fetches from its CDN (and drops when that fails)
    assert [problem for problem in problems if REDOC_LOGO not in problem] == []
    assert re.match(r"^http://", url)  # all of it over plain HTTP, as the suite runs it
