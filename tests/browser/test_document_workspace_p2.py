"""A rep fixes a document's title, links it to a quote through the picker, and grants a colleague download
access by typing part of her Chinese name: in English and in Chinese, in a real browser, keyboard only
for the pickers."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from backend.access.policy import Action, can
from backend.crm.models import DocumentLink
from backend.documents.models import Document
from tests.browser.axe import axe_source, serious_violations

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]

WORDS = {
    "en": {"saved": "The details are saved.", "linked": "Linked to", "granted": "now has download access.",
           "title": "Supply contract 上海精工 — signed copy"},
    "zh-hans": {"saved": "详细信息已保存。", "linked": "已关联到", "granted": "现在拥有",
                "title": "供货合同 上海精工（签字版）"},
}


def _pick(page, box: str, text: str, expected: str, shot) -> None:
    """Type into a picker, wait for the row, choose it with the keyboard (`shot()` while the list is open)."""
    page.fill(box, text)
    option = page.locator(f"{box} ~ .picker-list [role=option]", has_text=expected)
    expect(option).to_be_visible()
    page.press(box, "ArrowDown")
    expect(page.locator(f"{box} ~ .picker-list [role=option][aria-selected=true]")).to_contain_text(expected)
    shot()
    page.press(box, "Enter")
    expect(page.locator(f"{box} ~ .picker-list")).to_be_hidden()
    expect(page.locator(box)).to_have_value(re.compile(re.escape(expected)))


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_fix_a_title_link_a_quote_and_grant_a_colleague_download(world, open_as, live_server, shots, language):
    words = WORDS[language]
    suffix = "en" if language == "en" else "zh"
    contract = world.contract  # confidential: 陈静, in 王芳's department, cannot open it yet
    assert not can(world.colleague, Action.VIEW, contract)
    url = f"{live_server.url}/documents/{contract.pk}/"
    page = open_as("wang.fang", language)
    page.goto(url)

    # when she fixes the title
    page.click("[data-testid=document-edit] summary")
    page.fill("#edit-title", words["title"])
    shots(page, f"document-edit-{suffix}")
    page.click("[data-testid=document-edit-save]")
    page.wait_for_url(url)
    expect(page.locator(".alert-success")).to_have_text(words["saved"])
    expect(page.locator("h1")).to_have_text(words["title"])

    # and links it to the accepted quote, found by part of its number
    _pick(page, "#link-target", "0001", "Q-2026-0001", lambda: shots(page, f"document-link-picker-{suffix}"))
    page.click("[data-testid=link-submit]")
    expect(page.locator(".alert-success")).to_contain_text(words["linked"])
    expect(page.locator("[data-testid=link-list]")).to_contain_text("Q-2026-0001")

    # and grants 陈静 download access, found by typing 陈
    page.click("[data-testid=access-why] summary")
    expect(page.locator("[data-testid=grant-form]")).to_be_visible()
    _pick(page, "#grant-principal", "陈", "陈静", lambda: shots(page, f"document-grant-picker-{suffix}"))
    page.select_option("#grant-level", "download")
    page.click("[data-testid=grant-submit]")

    # then the panel opens again on the new grant, and 陈静 may download the contract
    expect(page.locator(".alert-success")).to_contain_text(words["granted"])
    expect(page.locator(f"[data-testid=grant-user-{world.colleague.pk}]")).to_be_visible()
    shots(page, f"document-access-granted-{suffix}")
    # with the edit form, the links and the access panel open, and a picker's list showing: no serious
    # accessibility violation
    page.click("[data-testid=document-edit] summary")
    page.fill("#transfer-owner", "li")
    expect(page.locator("#transfer-owner ~ .picker-list [role=option]").first).to_be_visible()
    found = serious_violations(page, axe_source())
    assert not found, "\n".join(found)

    # at phone width the three panels fit: one column, nothing wider than its panel
    page.set_viewport_size({"width": 390, "height": 844})
    for panel in ("document-edit", "document-links", "document-access"):
        fits = page.eval_on_selector(f"[data-testid={panel}]", "el => el.scrollWidth <= el.clientWidth + 1 && "
                                     "el.getBoundingClientRect().width <= window.innerWidth")
        assert fits, panel
    page.locator("[data-testid=document-access]").scroll_into_view_if_needed()
    shots(page, f"document-access-phone-{suffix}", full_page=False)
    contract = Document.objects.get(pk=contract.pk)
    assert contract.title == words["title"]
    assert DocumentLink.objects.filter(document=contract, quote=world.accepted_quote).exists()
    assert can(world.colleague, Action.DOWNLOAD, contract) and not can(world.colleague, Action.CHANGE, contract)
