"""Retention in the browser: the administrator adds a retention policy; once the beat has found documents
past their period, compliance opens the disposal review, keeps one longer with a reason and disposes of
the other for good (the disposal record stays on the page and in the trail). In English and in Chinese,
under the Content-Security-Policy, with axe and at phone width."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from backend.audit.models import AuditEvent
from backend.documents.models import DisposalState, Document, DocumentRetention, RetentionPolicy
from backend.documents.retention import retention_policy_save, retention_refresh
from tests.browser.axe import axe_source, serious_violations
from tests.browser.problems import watch_problems as _watch

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]


WORDS = {
    "en": {"saved": "is saved", "kept": "is kept until", "disposed": "is disposed of for good"},
    "zh-hans": {"saved": "已保存", "kept": "将保留至", "disposed": "已永久处置"},
}


def _fits_phone(page, selector) -> bool:
    page.set_viewport_size({"width": 390, "height": 844})
    fits = page.eval_on_selector(selector, "el => el.scrollWidth <= el.clientWidth + 1 && "
                                 "document.documentElement.scrollWidth <= window.innerWidth + 1")
    return fits


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_policy_then_compliance_keeps_one_document_and_disposes_of_another(world, open_as, live_server, shots,
                                                                             language):
    words = WORDS[language]
    suffix = "en" if language == "en" else "zh"
    problems: list[str] = []

    # given the administrator, who adds "other documents: created + 1 day" from the Retention menu
    admin = open_as("wu.lei", language)
    _watch(admin, problems)
    admin.click("[data-testid=nav-retention]")
    admin.wait_for_url(re.compile(r"/retention/$"))
    admin.fill("#id_name", "Board papers: 1 day")
    admin.select_option("#id_kind", "other")
    admin.select_option("#id_trigger", "created")
    admin.fill("#id_period", "1")
    admin.select_option("#id_unit", "days")
    admin.click("[data-testid=policy-save]")
    expect(admin.locator(".alert-success")).to_contain_text(words["saved"])
    policy = RetentionPolicy.objects.get(kind="other")
    expect(admin.locator(f"[data-testid=policy-{policy.pk}]")).to_be_visible()
    assert not serious_violations(admin, axe_source())
    shots(admin, f"retention-policies-{suffix}")

    # and a policy for quotes; both documents were created two days ago, and the beat has run
    retention_policy_save(actor=world.users["compliance"], name="Quotes: 1 day", kind="quote", trigger="created",
                          period=1, unit="days")
    Document.objects.filter(pk__in=[world.quote_doc.pk, world.secret_doc.pk]).update(
        created_at=timezone.now() - dt.timedelta(days=2))
    retention_refresh()
    kept = DocumentRetention.objects.get(document=world.quote_doc)
    disposed = DocumentRetention.objects.get(document=world.secret_doc)

    # when compliance opens the disposal review from the menu
    page = open_as("zhao.jing", language)
    _watch(page, problems)
    page.click("[data-testid=nav-retention]")
    page.wait_for_url(re.compile(r"/retention/review/$"))
    expect(page.locator(f"[data-testid=due-{kept.pk}]")).to_contain_text("报价单 Q-2026-0001")
    expect(page.locator(f"[data-testid=due-{disposed.pk}]")).to_contain_text("Board papers: 1 day")
    assert not serious_violations(page, axe_source())
    shots(page, f"disposal-review-{suffix}")
    assert _fits_phone(page, "[data-testid=disposal-queue]")
    shots(page, f"disposal-review-phone-{suffix}", full_page=False)
    page.set_viewport_size({"width": 1366, "height": 900})

    # and keeps the quote longer, with a reason
    until = timezone.localdate() + dt.timedelta(days=365)
    page.fill(f"#keep-until-{kept.pk}", until.isoformat())
    page.fill(f"#keep-note-{kept.pk}", "客户审计 Customer audit")
    page.click(f"[data-testid=keep-{kept.pk}]")
    expect(page.locator(".alert-success")).to_contain_text(words["kept"])

    # and disposes of the board minutes for good
    page.fill(f"#dispose-note-{disposed.pk}", "End of term")
    page.click(f"[data-testid=dispose-{disposed.pk}]")
    expect(page.locator(".alert-success")).to_contain_text(words["disposed"])

    # then the queue is empty, the disposal record is on the page and in the trail
    expect(page.locator("[data-testid=queue-empty]")).to_be_visible()
    expect(page.locator(f"[data-testid=record-{disposed.pk}]")).to_contain_text("董事会纪要 Board minutes")
    shots(page, f"disposal-review-done-{suffix}")
    kept.refresh_from_db()
    assert (kept.state, kept.due_on) == (DisposalState.SCHEDULED, until)
    assert not Document.objects.filter(pk=world.secret_doc.pk).exists()
    record = AuditEvent.objects.get(event_type="document.disposal.approved")
    assert record.actor_id == world.users["compliance"].pk and record.detail["note"] == "End of term"
    assert problems == []
