"""Notifications in the browser: a colleague watches a quote from its page and chooses e-mail for watched
documents; the rep uploads a new version; the colleague sees the unread count in the header, opens the inbox,
follows the notification to the document and marks everything read. In English and in Chinese, under the
Content-Security-Policy, with axe and at phone width."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from backend.audit.models import AuditEvent
from backend.documents.services import document_version_create
from backend.notifications.models import Notification, Preference
from tests.browser.axe import axe_source, serious_violations
from tests.factories import upload_source
from tests.browser.problems import watch_problems as _watch, fits_phone as _fits_phone

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]


WORDS = {
    "en": {"watching": "You are watching this document", "saved": "preferences are saved",
           "new_version": "New version 2 of", "read": "All notifications are marked read"},
    "zh-hans": {"watching": "您已关注此文档", "saved": "通知偏好已保存",
                "new_version": "有新版本 2", "read": "所有通知已标为已读"},
}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_watched_document_reaches_the_inbox(world, open_as, live_server, shots, language):
    words = WORDS[language]
    suffix = "en" if language == "en" else "zh"
    problems: list[str] = []
    quote = world.quote_doc
    colleague = world.users["colleague"]
    # notifications are written in each reader's own language (the one the language switch stores)
    type(colleague).objects.filter(pk=colleague.pk).update(preferred_language=language)

    # given a colleague of the rep's department, who watches the quote from its page
    page = open_as("chen.jing", language)
    _watch(page, problems)
    page.goto(f"{live_server.url}/documents/{quote.pk}/")
    page.click("[data-testid=watch-toggle]")
    expect(page.locator(".alert-success")).to_contain_text(words["watching"])
    expect(page.locator("[data-testid=watch-toggle]")).to_have_attribute("aria-pressed", "true")

    # and chooses e-mail for watched documents on the preferences page
    page.goto(f"{live_server.url}/inbox/preferences/")
    page.select_option("[data-testid='pref-documents.watched_changed']", "email")
    assert not serious_violations(page, axe_source())
    shots(page, f"notification-preferences-{suffix}")
    assert _fits_phone(page, "[data-testid=preferences-form]")
    page.click("[data-testid=save-preferences]")
    expect(page.locator(".alert-success")).to_contain_text(words["saved"])
    assert Preference.objects.get(user=colleague, kind="documents.watched_changed").delivery == "email"

    # when the rep uploads a new version
    document_version_create(actor=world.users["rep"], document=quote, upload=upload_source())

    # then the header counts it, and the inbox lists it
    page.goto(f"{live_server.url}/")
    expect(page.locator("[data-testid=inbox-unread]")).to_have_text("1")
    page.click("[data-testid=inbox-link]")
    page.wait_for_url(re.compile(r"/inbox/$"))
    row = Notification.objects.get(recipient=colleague)
    item = page.locator(f"[data-testid=notification-{row.pk}]")
    expect(item).to_contain_text(words["new_version"])
    expect(item).to_have_attribute("data-read", "0")
    assert not serious_violations(page, axe_source())
    shots(page, f"inbox-{suffix}")
    assert _fits_phone(page, "[data-testid=inbox-list]")

    # when the colleague follows it, then it opens the document and is read
    page.click(f"[data-testid=open-{row.pk}]")
    page.wait_for_url(re.compile(rf"/documents/{quote.pk}/$"))
    expect(page.locator("[data-testid=inbox-unread]")).to_have_count(0)
    row.refresh_from_db()
    assert row.read_at is not None

    # and "mark all read" leaves nothing unread (a second one, from the approval)
    Notification.objects.create(recipient=colleague, kind="documents.watched_changed", title="Another")
    page.goto(f"{live_server.url}/inbox/")
    page.click("[data-testid=mark-all-read]")
    expect(page.locator(".alert-success")).to_contain_text(words["read"])
    assert not Notification.objects.filter(recipient=colleague, read_at__isnull=True).exists()
    assert AuditEvent.objects.filter(event_type="notifications.watch.started", actor_id=colleague.pk).exists()
    assert AuditEvent.objects.filter(event_type="notifications.preferences.changed", actor_id=colleague.pk).exists()
    assert problems == []
