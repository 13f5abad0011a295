"""Four journeys through the staff interface in a real browser, in Chinese and in English."""

from __future__ import annotations

import base64
import re

import pytest
from playwright.sync_api import expect

from backend.access.services import document_permission_grant
from backend.documents.services import document_checkin, document_checkout
from tests.web.world import pdf_with_text

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]


def test_a_sales_rep_finds_the_last_accepted_quote_and_downloads_its_valid_version(world, open_as, live_server, shots):
    # given 王芳, who reads the interface in Chinese
    page = open_as("wang.fang", "zh-hans")
    expect(page.locator("h2", has_text="我最近的文档")).to_be_visible()
    shots(page, "home-zh", full_page=False)
    # when she searches for the two-character word 报价 from the home page
    page.fill("[data-testid=home-search]", "报价")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/search/\?q="))
    hit = page.locator(f"article.hit[data-document='{world.quote_doc.pk}']")
    expect(hit).to_be_visible()
    expect(hit.locator("mark").first).to_have_text("报价")
    expect(page.locator("[data-testid=result-count]")).to_contain_text("条结果")
    # a facet narrows the results and lands in the URL (shareable, and the back button works)
    page.locator("[data-facet=kind] a", has_text="报价").click()
    page.wait_for_url(re.compile(r"kind=quote"))
    expect(hit).to_be_visible()
    shots(page, "search-zh")
    page.go_back()
    page.wait_for_url(re.compile(r"/search/\?q=%E6%8A%A5%E4%BB%B7$"))
    # then she opens the customer from the result and its quote history
    hit.locator("a", has_text="上海精工机械有限公司").click()
    page.wait_for_url(f"{live_server.url}/customers/{world.customer.pk}/")
    history = page.locator("[data-testid=quote-history]")
    expect(history).to_contain_text("上次接受")
    expect(page.locator("[data-testid=crm-warnings]")).to_contain_text("李雷")  # another rep's open quote
    shots(page, "customer-360-zh")
    # and downloads the valid version of the last accepted quote
    with page.expect_download() as download_info:
        page.click(f"[data-testid='quote-doc-{world.accepted_quote.number}']")
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    with open(download.path(), "rb") as handle:
        assert handle.read(5) == b"%PDF-"


def _drop_file(page, selector: str, content: bytes, filename: str) -> None:
    """Drag a file from "the desktop" onto an element: a real DataTransfer with a File in it."""
    transfer = page.evaluate_handle(
        """([b64, name]) => {
            const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], name, {type: "application/pdf"}));
            return transfer;
        }""", [base64.b64encode(content).decode(), filename])
    for event in ("dragenter", "dragover", "drop"):
        page.dispatch_event(selector, event, {"dataTransfer": transfer})


def test_a_colleague_drops_a_new_version_while_someone_else_holds_the_check_out(world, open_as, shots):
    # given 王芳 holds the check-out of the quote document, and 陈静 may change it
    document_permission_grant(actor=world.rep, document=world.quote_doc, level="change", user=world.colleague)
    document_checkout(actor=world.rep, document=world.quote_doc)
    page = open_as("chen.jing", "en")
    page.goto(page.url + f"documents/{world.quote_doc.pk}/")
    # she sees who holds it
    expect(page.locator("[data-testid=lock-holder]")).to_contain_text("Locked for editing by 王芳")
    # and the upload form is disabled, saying who holds the lock and since when
    expect(page.locator("[data-testid=upload-disabled]")).to_contain_text("Locked for editing by 王芳")
    expect(page.locator("#upload-comment")).to_be_disabled()
    expect(page.locator("form[enctype] button[type=submit]")).to_be_disabled()
    shots(page, "upload-locked-en")
    # once 王芳 checks in, the form opens again: the drop goes through, with the progress bar, and becomes version 2
    document_checkin(actor=world.rep, document=world.quote_doc)
    page.reload()
    expect(page.locator("[data-testid=upload-disabled]")).to_have_count(0)
    _drop_file(page, "[data-dropzone]", pdf_with_text("报价单 第二版 v2"), "报价单-v2.pdf")
    page.fill("#upload-comment", "Price list 2026 applied")
    page.click("form[enctype] button[type=submit]")
    expect(page.locator(".alert-success")).to_contain_text("Version 2 uploaded.")
    expect(page.locator("[data-testid=versions] tbody tr")).to_have_count(2)
    expect(page.locator("[data-testid=versions]")).to_contain_text("Price list 2026 applied")
    shots(page, "document-en")


def test_a_compliance_officer_filters_one_document_exports_csv_and_sees_the_chain_verified(world, open_as,
                                                                                          live_server, shots):
    page = open_as("zhao.jing", "en")
    page.reload()
    expect(page.locator("nav.nav")).to_contain_text("Compliance")
    # switch the interface to Chinese with the header's language menu
    page.select_option("select[name=language]", "zh-hans")
    page.wait_for_load_state()
    expect(page.locator("nav.nav")).to_contain_text("合规")
    page.click("nav.nav >> text=合规")
    page.wait_for_url(f"{live_server.url}/compliance/")
    # filter the audit log to one document
    # the document is typed by name and picked from the list (its id goes in a hidden field)
    page.fill("#id_document_q", "Q-2026-0001")
    expect(page.locator("[role=option]").first).to_be_visible()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.click("[data-testid=audit-filters] button[type=submit]")
    page.wait_for_url(re.compile(rf"document={world.quote_doc.pk}"))
    rows = page.locator("[data-testid=audit-events] tbody tr")
    expect(rows.first).to_be_visible()
    for text in rows.all_inner_texts():
        assert f"#{world.quote_doc.pk}" in text
    # export exactly that view as CSV
    with page.expect_download() as download_info:
        page.click("[data-testid=export-csv]")
    with open(download_info.value.path(), encoding="utf-8-sig") as handle:
        lines = handle.read().splitlines()
    assert lines[0].startswith("id,occurred_at,event_type") and len(lines) > 1
    # verify the chain
    page.click("[data-testid=verify-now]")
    expect(page.locator("[data-testid=chain-ok]")).to_have_text("哈希链已验证")
    expect(page.locator(".alert-success")).to_contain_text("审计哈希链完好")
    shots(page, "compliance-console-zh")


@pytest.mark.parametrize("language,not_found,no_results", [("en", "Not found", "No results."),
                                                          ("zh-hans", "未找到", "没有结果。")])
def test_without_a_grant_a_confidential_document_is_neither_found_nor_reachable(world, open_as, live_server, shots,
                                                                                language, not_found, no_results):
    # given 张伟, who has no grant on the confidential supply contract
    page = open_as("zhang.wei", language)
    page.goto(f"{live_server.url}/search/?q=供货合同")
    expect(page.locator("[data-testid=result-count]")).to_contain_text(no_results)
    expect(page.locator(f"article.hit[data-document='{world.contract.pk}']")).to_have_count(0)
    # and its address answers like a document that does not exist
    response = page.goto(f"{live_server.url}/documents/{world.contract.pk}/")
    assert response.status == 404
    expect(page.locator("h1")).to_have_text(not_found)
    missing = page.goto(f"{live_server.url}/documents/999999/")
    assert missing.status == 404
    shots(page, f"not-found-{language}", full_page=False)
