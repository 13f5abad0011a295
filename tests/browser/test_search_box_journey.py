"""The header's one search box in a real browser: "/" focuses it, typing shows grouped suggestions,
the arrow keys choose one and Enter opens it; in English and in Chinese, and at phone width."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]


def _choose(page, group: str) -> None:
    """Arrow down through the suggestions until one of `group` is chosen."""
    box = page.locator("[data-testid=header-search]")
    expect(page.locator(f"[data-testid=search-suggestions] [data-group={group}]").first).to_be_visible()
    for _ in range(20):
        box.press("ArrowDown")
        chosen = page.locator("[data-testid=search-suggestions] [aria-selected=true]")
        if chosen.get_attribute("data-group") == group:
            return
    raise AssertionError(f"no {group} suggestion could be chosen")


@pytest.mark.parametrize("language, text, group_title", [("en", "SH-JG", "Customers"), ("zh-hans", "精工", "客户")])
def test_slash_focuses_the_box_and_the_keyboard_opens_a_customer(world, open_as, live_server, shots, language,
                                                                  text, group_title):
    # given 王芳 on the customer list (the home page puts the cursor in its own search field)
    page = open_as("wang.fang", language)
    page.goto(f"{live_server.url}/customers/")
    box = page.locator("[data-testid=header-search]")
    # when she presses "/" (outside any input), the box has the focus and no "/" in it
    page.keyboard.press("/")
    expect(box).to_be_focused()
    expect(box).to_have_value("")
    # and types: grouped suggestions appear, the customer among them
    box.press_sequentially(text, delay=30)
    suggestions = page.locator("[data-testid=search-suggestions]")
    expect(suggestions).to_contain_text(group_title)
    expect(suggestions).to_contain_text("上海精工机械有限公司")
    _choose(page, "customers")
    shots(page, f"search-box-{language}", full_page=False)
    # then Enter opens the chosen customer
    box.press("Enter")
    page.wait_for_url(f"{live_server.url}/customers/{world.customer.pk}/")
    # and Enter with nothing chosen goes to the full search page, which shows the same groups
    page.keyboard.press("/")
    box.press_sequentially(text, delay=30)
    expect(suggestions).to_be_visible()
    box.press("Enter")
    page.wait_for_url(re.compile(r"/search/\?q="))
    expect(page.locator("[data-testid=search-groups]")).to_contain_text("上海精工机械有限公司")
    shots(page, f"search-groups-{language}")


def test_typing_slash_in_another_input_types_it(world, open_as):
    page = open_as("wang.fang", "en")
    page.goto(page.url + "search/")
    field = page.locator("[data-testid=search-input]")
    field.click()
    field.press("/")

    expect(field).to_have_value("/")
    expect(page.locator("[data-testid=header-search]")).not_to_be_focused()


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_at_phone_width_search_and_a_document_read_without_sideways_scrolling(world, browser, live_server, shots,
                                                                             language):
    # given 王芳 on a 390 px wide phone
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  locale="zh-CN" if language.startswith("zh") else "en-US")
    context.set_default_timeout(15_000)
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page = context.new_page()
    page.goto(f"{live_server.url}/signin/")
    page.fill("#id_username", "wang.fang")
    page.fill("#id_password", "pw-for-tests")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    try:
        # when she searches for one Chinese character from the header box
        box = page.locator("[data-testid=header-search]")
        box.fill("合")
        box.press("Enter")
        page.wait_for_url(re.compile(r"/search/\?q="))
        hit = page.locator(f"article.hit[data-document='{world.contract.pk}']")
        expect(hit).to_be_visible()  # 合 inside 供货合同: a single character matches inside a word
        expect(page.locator("[data-testid=search-explanation]")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        shots(page, f"search-phone-{language}")
        # then she opens the document from the results
        hit.locator(".hit-title a").click()
        page.wait_for_url(f"{live_server.url}/documents/{world.contract.pk}/")
        expect(page.locator("h1")).to_contain_text("供货合同")
        shots(page, f"document-phone-{language}")
    finally:
        context.close()
