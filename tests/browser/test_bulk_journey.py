"""A rep selects her documents in the search results and tags them, then shares one with its customer
through the picker; a colleague who may only read one tries to raise its classification and the page
says why not. In English and in Chinese, in a real browser, with screenshots and an accessibility check."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from backend.documents.models import Document
from backend.sharing.models import DocumentShare
from tests.browser.axe import axe_source, serious_violations

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]

WORDS = {
    "en": {"two": "2 selected", "tagged": "Tags changed.", "shared": "Shared.", "changed": "2 changed",
           "needs_manage": "Changing the classification needs manage access."},
    "zh-hans": {"two": "已选 2 篇", "tagged": "标签已修改。", "shared": "已共享。", "changed": "2 篇已修改",
                "needs_manage": "修改密级需要管理权限。"},
}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_tag_two_documents_share_one_and_see_a_refusal_explained(world, open_as, live_server, shots, language):
    words = WORDS[language]
    suffix = "en" if language == "en" else "zh"
    results = f"{live_server.url}/search/?q={quote('上海精工')}"
    page = open_as("wang.fang", language)

    # given her search for the customer's documents: the quote document and the contract
    page.goto(results)
    expect(page.locator(f"[data-testid=bulk-pick-{world.quote_doc.pk}]")).to_be_visible()
    expect(page.locator(f"[data-testid=bulk-pick-{world.contract.pk}]")).to_be_visible()

    # when she selects all on the page, keeps "add or remove tags" and adds 2026-Q4
    page.check("[data-testid=bulk-all]")
    expect(page.locator("[data-testid=bulk-count]")).to_have_text(words["two"])
    expect(page.locator("#bulk-share-customer")).to_be_hidden()  # only the chosen action's fields
    page.fill("[data-testid=bulk-tags-add]", "2026-Q4")
    shots(page, f"bulk-bar-{suffix}")
    found = serious_violations(page, axe_source())
    assert not found, "\n".join(found)
    page.click("[data-testid=bulk-apply]")

    # then the page lists both as changed, and the way back is her search
    expect(page.locator("[data-testid=bulk-summary]")).to_contain_text(words["changed"])
    expect(page.locator(f"[data-testid=bulk-row-{world.quote_doc.pk}]")).to_contain_text(words["tagged"])
    expect(page.locator(f"[data-testid=bulk-row-{world.contract.pk}]")).to_contain_text(words["tagged"])
    shots(page, f"bulk-result-{suffix}")
    page.click("[data-testid=bulk-back]")
    page.wait_for_url(re.compile(r"/search/\?q="))

    # when she shares the quote document with the customer, found in the picker by part of its name
    page.check(f"[data-testid=bulk-pick-{world.quote_doc.pk}]")
    page.select_option("[data-testid=bulk-action]", "share")
    page.fill("#bulk-share-customer", "精工")
    option = page.locator("#bulk-share-customer ~ .picker-list [role=option]", has_text="上海精工")
    expect(option).to_be_visible()
    page.press("#bulk-share-customer", "ArrowDown")
    page.press("#bulk-share-customer", "Enter")
    page.click("[data-testid=bulk-apply]")
    expect(page.locator(f"[data-testid=bulk-row-{world.quote_doc.pk}]")).to_contain_text(words["shared"])
    assert DocumentShare.objects.filter(document=world.quote_doc, customer=world.customer).exists()
    assert sorted(Document.objects.get(pk=world.contract.pk).tags.values_list("name", flat=True)) == ["2026-Q4"]

    # when 陈静, who may only read the quote document, tries to make it public at phone width
    colleague = open_as("chen.jing", language)
    colleague.set_viewport_size({"width": 390, "height": 844})
    colleague.goto(results)
    fits = colleague.eval_on_selector("[data-testid=bulk-bar]", "el => el.scrollWidth <= el.clientWidth + 1 && "
                                      "el.getBoundingClientRect().right <= window.innerWidth")
    assert fits
    colleague.check(f"[data-testid=bulk-pick-{world.quote_doc.pk}]")
    colleague.select_option("[data-testid=bulk-action]", "classify")
    colleague.select_option("[data-testid=bulk-classification]", "public")
    shots(colleague, f"bulk-bar-phone-{suffix}", full_page=False)
    colleague.click("[data-testid=bulk-apply]")

    # then the page says it was refused, and why
    row = colleague.locator(f"[data-testid=bulk-row-{world.quote_doc.pk}]")
    expect(row).to_have_attribute("data-status", "refused")
    expect(row).to_contain_text(words["needs_manage"])
    shots(colleague, f"bulk-refused-phone-{suffix}", full_page=False)
    assert Document.objects.get(pk=world.quote_doc.pk).classification == "internal"
