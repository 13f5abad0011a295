"""The trash and legal holds in the browser: compliance places a legal hold on a quote from its page; its
owner then finds the deletion refused, deletes the contract instead, finds it in the trash and restores
it. In English and in Chinese, under the Content-Security-Policy, with axe and at phone width."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from backend.audit.models import AuditEvent
from backend.documents.models import Document, LegalHold
from tests.browser.axe import axe_source, serious_violations
from tests.browser.problems import watch_problems as _watch, fits_phone as _fits_phone

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]


WORDS = {
    "en": {"placed": "is in force", "trashed": "was moved to the trash", "restored": "was restored"},
    "zh-hans": {"placed": "已生效", "trashed": "已移至回收站", "restored": "已恢复"},
}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_hold_refuses_a_deletion_and_the_trash_gives_a_document_back(world, open_as, live_server, shots, language):
    words = WORDS[language]
    suffix = "en" if language == "en" else "zh"
    problems: list[str] = []
    quote, contract = world.quote_doc, world.contract

    # given compliance, who places a hold on the quote from its page
    officer = open_as("zhao.jing", language)
    _watch(officer, problems)
    officer.goto(f"{live_server.url}/documents/{quote.pk}/")
    officer.click("[data-testid=place-legal-hold]")
    officer.wait_for_url(re.compile(r"/legal-holds/\?document="))
    officer.fill("#id_name", "Arbitration SH-JG 2026")
    officer.fill("#id_reason", "客户索赔 Customer claim")
    officer.click("[data-testid=hold-place]")
    expect(officer.locator(".alert-success")).to_contain_text(words["placed"])
    hold = LegalHold.objects.get(name="Arbitration SH-JG 2026")
    expect(officer.locator(f"[data-testid=hold-documents-{hold.pk}]")).to_contain_text("报价单 Q-2026-0001")
    assert not serious_violations(officer, axe_source())
    shots(officer, f"legal-holds-{suffix}")
    assert _fits_phone(officer, "[data-testid=legal-holds-active]")

    # when the quote's owner tries to delete it, then the page names the hold and offers no deletion
    rep = open_as("wang.fang", language)
    _watch(rep, problems)
    rep.goto(f"{live_server.url}/documents/{quote.pk}/")
    expect(rep.locator("[data-testid=under-legal-hold]")).to_be_visible()
    rep.click("[data-testid=delete-document]")
    rep.wait_for_url(re.compile(r"/delete/$"))  # the confirmation page, however busy the machine
    expect(rep.locator("[data-testid=delete-held]")).to_contain_text("Arbitration SH-JG 2026")
    expect(rep.locator("[data-testid=delete-confirm]")).to_have_count(0)

    # when the owner deletes the contract instead, then it waits in the trash
    rep.goto(f"{live_server.url}/documents/{contract.pk}/")
    rep.click("[data-testid=delete-document]")
    rep.wait_for_url(re.compile(r"/delete/$"))  # the confirmation page, however busy the machine
    rep.click("[data-testid=delete-confirm]")
    rep.wait_for_url(re.compile(r"/trash/$"))
    expect(rep.locator(".alert-success")).to_contain_text(words["trashed"])
    expect(rep.locator(f"[data-testid=trashed-{contract.pk}]")).to_contain_text("供货合同 Supply contract")
    assert not serious_violations(rep, axe_source())
    shots(rep, f"trash-{suffix}")
    assert _fits_phone(rep, "[data-testid=trash]")

    # and restoring it brings it back on its page
    rep.click(f"[data-testid=restore-{contract.pk}]")
    rep.wait_for_url(re.compile(rf"/documents/{contract.pk}/$"))
    expect(rep.locator(".alert-success")).to_contain_text(words["restored"])
    assert Document.objects.get(pk=contract.pk).trashed_at is None
    assert Document.objects.get(pk=quote.pk).trashed_at is None
    assert [e.event_type for e in AuditEvent.objects.filter(
        event_type__in=["document.legal_hold.placed", "document.trashed", "document.restored"]).order_by("id")] == [
        "document.legal_hold.placed", "document.trashed", "document.restored"]
    assert problems == []
