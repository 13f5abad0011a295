"""A rep drops 20 files on the new-document page, sets their customer once, and gets 20 linked documents;
in English and in Chinese, under the Content-Security-Policy (any violation or script error fails it)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from backend.audit.models import AuditEvent
from backend.crm.models import DocumentLink, LinkTarget
from backend.documents.models import Document
from tests.browser.problems import REPORT_VIOLATIONS

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]


@pytest.mark.parametrize("language,summary", [("en", "20 of 20 created"), ("zh-hans", "已创建 20 个")])
def test_a_rep_drops_twenty_files_and_sets_their_customer(world, open_as, live_server, shots, language, summary):
    # given 王芳 on the new-document page, reached from her customer's page
    page = open_as("wang.fang", language)
    problems: list[str] = []
    page.context.expose_binding("__cspViolation", lambda source, text: problems.append(f"CSP: {text}"))
    page.context.add_init_script(REPORT_VIOLATIONS)
    page.on("pageerror", lambda error: problems.append(f"script error: {error} {error.stack}"))
    page.goto(f"{live_server.url}/customers/{world.customer.pk}/")
    page.click("[data-testid=customer-new-document]")
    page.wait_for_url(re.compile(rf"/documents/new/\?customer={world.customer.pk}$"))
    # the customer she came from is already the batch's customer; she clears it to pick it by name
    expect(page.locator("[data-testid=batch-customer]")).to_have_value(world.customer.name)
    page.goto(f"{live_server.url}/documents/new/")
    # when she drops 20 small files at once
    files = [{"name": f"拜访记录-{language}-{n:02d}.txt", "mimeType": "text/plain",
              "buffer": f"拜访记录 visit note {language} {n}\n上海精工 第 {n} 次\n".encode()} for n in range(20)]
    page.set_input_files("[data-testid=new-files]", files)
    rows = page.locator("[data-testid=file-list] > li")
    expect(rows).to_have_count(20)
    # and sets their customer once, by typing part of its name and picking it with the keyboard
    box = page.locator("[data-testid=batch-customer]")
    box.click()
    box.press_sequentially("精工")
    option = page.locator("[role=option]", has_text=world.customer.name)
    expect(option).to_be_visible()
    box.press("ArrowDown")
    box.press("Enter")
    expect(page.locator("#id_customer")).to_have_value(str(world.customer.pk))
    # one file gets its own title in its details
    first = rows.first
    first.locator("summary").click()
    first.locator('[data-field="title"]').fill("第一次拜访 first visit")
    # and its own opportunity, picked by name in that file's details
    deal = first.locator('[data-picker="opportunity"]')
    deal.click()
    deal.press_sequentially("CNC")
    expect(page.locator("[role=option]", has_text=world.opportunity.title)).to_be_visible()
    deal.press("ArrowDown")
    deal.press("Enter")
    expect(first.locator('[data-field="opportunity"]')).to_have_value(str(world.opportunity.pk))
    shots(page, f"document-new-ready-{language}")
    page.click("[data-testid=upload-start]")
    # then every file is created, with its progress bar full and a link to open it
    expect(page.locator("[data-testid=file-list] > li[data-state=done]")).to_have_count(20, timeout=60_000)
    expect(page.locator("[data-testid=upload-summary]")).to_contain_text(summary)
    shots(page, f"document-new-{language}")
    assert problems == []
    created = Document.objects.filter(owner=world.rep, versions__original_filename__startswith=f"拜访记录-{language}-")
    assert created.count() == 20
    assert created.filter(title="第一次拜访 first visit").count() == 1
    assert DocumentLink.objects.filter(document__in=created, opportunity=world.opportunity).get().document.title == (
        "第一次拜访 first visit")
    # all 20 linked to the customer, each link and creation in the audit trail
    assert DocumentLink.objects.filter(document__in=created, customer=world.customer,
                                       target_type=LinkTarget.CUSTOMER).count() == 20
    ids = [str(pk) for pk in created.values_list("pk", flat=True)]
    assert AuditEvent.objects.filter(event_type="document.created", target_id__in=ids).count() == 20
    assert AuditEvent.objects.filter(event_type="crm.document.linked", target_id__in=ids).count() == 21  # 20 + the deal
    # and a file opened from the list is the document
    first.locator("[data-open]").click()
    page.wait_for_url(re.compile(r"/documents/\d+/$"))
    expect(page.locator("h1")).to_contain_text("第一次拜访 first visit")


def test_a_lost_answer_is_retried_a_refused_file_is_named_and_a_duplicate_is_offered(world, open_as, live_server,
                                                                                      shots):
    # given 王芳 on the new-document page, and the quote document's bytes, which she may see
    from backend.documents.services import document_version_download

    quote_bytes = b"".join(document_version_download(actor=world.rep, version=world.quote_doc.valid_version).chunks)
    page = open_as("wang.fang", "en")
    page.goto(f"{live_server.url}/documents/new/")
    # the connection drops on the first try of one file, after the server has taken it
    tries: list[str] = []

    def flaky(route):
        name = route.request.headers.get("content-disposition", "")
        tries.append(name)
        if "flaky.txt" in name and sum("flaky.txt" in t for t in tries) == 1:
            route.fetch()  # the server gets it and answers; the answer is lost on the way back
            route.abort()
        else:
            route.continue_()

    page.route(re.compile(r"/documents/new/upload/"), flaky)
    # when she drops a good file, a flaky one, a program disguised as a PDF and a copy of the quote
    page.set_input_files("[data-testid=new-files]", [
        {"name": "good.txt", "mimeType": "text/plain", "buffer": b"a good note\n"},
        {"name": "flaky.txt", "mimeType": "text/plain", "buffer": b"a note sent twice\n"},
        {"name": "tool.pdf", "mimeType": "application/pdf", "buffer": b"MZ\x90\x00" + b"\x00" * 200},
        {"name": "copy-of-quote.pdf", "mimeType": "application/pdf", "buffer": quote_bytes},
    ])
    page.click("[data-testid=upload-start]")
    rows = page.locator("[data-testid=file-list] > li")
    good, flaky_row, tool, copy = (rows.nth(n) for n in range(4))
    # then the good file is created; the refused one is named with its reason; the copy is offered
    expect(good).to_have_attribute("data-state", "done")
    expect(tool).to_have_attribute("data-state", "failed")
    expect(tool.locator("[data-message]")).to_contain_text("tool.pdf")
    expect(tool.locator("[data-message]")).to_contain_text("not allowed")
    expect(copy).to_have_attribute("data-state", "duplicate")
    expect(copy.locator("[data-message]")).to_contain_text(world.quote_doc.title)
    expect(copy.locator("[data-open]")).to_have_attribute("href", f"/documents/{world.quote_doc.pk}/")
    # and the flaky one waits with a Retry button, which re-sends that file only
    expect(flaky_row).to_have_attribute("data-state", "failed")
    shots(page, "document-new-problems-en")
    sent_before = len(tries)
    flaky_row.locator("[data-retry]").click()
    expect(flaky_row).to_have_attribute("data-state", "done")
    assert len(tries) == sent_before + 1
    # the retry carried the first try's Idempotency-Key: one document, not two
    assert Document.objects.filter(versions__original_filename="flaky.txt").count() == 1
    # she adds the copy to the quote document as its next version instead of a new document
    copy.locator("[data-as-version]").click()
    expect(copy).to_have_attribute("data-state", "done")
    assert world.quote_doc.versions.count() == 2
    assert not Document.objects.filter(versions__original_filename__in=["tool.pdf", "copy-of-quote.pdf"]).exclude(
        pk=world.quote_doc.pk).exists()
    # and at phone width the list and the details still fit, one column, without sideways scrolling
    page.set_viewport_size({"width": 390, "height": 844})
    form = page.locator("[data-testid=new-documents]")
    assert form.evaluate("el => el.scrollWidth <= el.clientWidth && el.getBoundingClientRect().right <= 390")
    shots(page, "document-new-phone-en")
