"""A scanned signed contract, uploaded as a picture-only PDF with no customer linked, is found by the
customer's name printed on it: the worker reads it by OCR, and the hit says its text came from a scan
(issue 18's second journey). In English and in Chinese, under the Content-Security-Policy."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from backend.crm.models import DocumentLink
from backend.documents.models import Document
from indexing.models import VersionIndexState
from tests.browser.problems import REPORT_VIOLATIONS
from tests.indexing.ocr_corpus import image_only_pdf, noisy, text_image

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(240)]

SCAN_LINES = ["供货合同  合同编号 HT-2026-118", "甲方：上海精工机械有限公司", "乙方：苏州恒远数控设备有限公司",
              "Signed and stamped / 已签字盖章"]


def test_a_scanned_contract_is_found_by_the_customer_name_on_it(world, open_as, live_server, shots, settings):
    settings.SEARCH_OCR_LANGUAGES = "chi_sim+eng"
    scan = image_only_pdf(noisy(text_image(SCAN_LINES, width=1400), skew=1.5, speckles=0.005))
    # given 王芳 uploads the scan on the new-document page, linked to nothing
    page = open_as("wang.fang", "en")
    problems: list[str] = []
    page.context.expose_binding("__cspViolation", lambda source, text: problems.append(f"CSP: {text}"))
    page.context.add_init_script(REPORT_VIOLATIONS)
    page.on("pageerror", lambda error: problems.append(f"script error: {error} {error.stack}"))
    page.goto(f"{live_server.url}/documents/new/")
    page.set_input_files("[data-testid=new-files]", [{"name": "signed-contract-scan.pdf",
                                                     "mimeType": "application/pdf", "buffer": scan}])
    page.click("[data-testid=upload-start]")
    expect(page.locator("[data-testid=file-list] > li[data-state=done]")).to_have_count(1, timeout=60_000)
    document = Document.objects.get(versions__original_filename="signed-contract-scan.pdf")
    assert not DocumentLink.objects.filter(document=document).exists()
    # the worker read it by OCR (in-process here), recording how
    state = VersionIndexState.objects.get(version__document=document)
    assert state.extractor == "ocr" and state.ocr_pages == 1

    # when she searches for the customer's name, in each language
    for language in ("en", "zh-hans"):
        reader = page if language == "en" else open_as("wang.fang", language)
        reader.goto(f"{live_server.url}/search/?q=上海精工")
        hit = reader.locator("article", has=reader.locator(f"a[href='/documents/{document.pk}/']")).first
        # then the scan is among the hits, its snippet marked as text recognised from a scan
        expect(hit).to_be_visible()
        expect(hit.locator("[data-testid=hit-ocr]")).to_be_visible()
        expect(hit.locator(".snippet mark").first).to_be_visible()
        shots(reader, f"scan-search-{language}")
    # and the contract number printed on it finds it too
    page.goto(f"{live_server.url}/search/?q=HT-2026-118")
    expect(page.locator(f"a[href='/documents/{document.pk}/']").first).to_be_visible()
    page.goto(f"{live_server.url}/documents/{document.pk}/")
    expect(page).to_have_url(re.compile(rf"/documents/{document.pk}/$"))
    assert problems == []
