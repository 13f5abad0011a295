"""While 王芳 has the contract locked for editing, her reviewer finds Approve disabled, naming her and since
when; once she unlocks it, he approves. Her home page shows her recent documents with thumbnails. In English
and in Chinese, in a real browser."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from backend.access.services import document_permission_grant
from backend.documents.models import VersionStatus

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]

WORDS = {
    "en": {"locked": "Locked for editing. Nobody else can upload a new version until you unlock it.",
           "unlock": "Unlock", "notice": "can be approved once 王芳 unlocks the document",
           "unlocked": "Unlocked: others can edit it again.",
           "approved": "Version 1 is approved and is now the valid version."},
    "zh-hans": {"locked": "已锁定编辑。在您解锁之前，其他人无法上传新版本。", "unlock": "解锁",
                "notice": "其解锁后即可批准第 1 版", "unlocked": "已解锁：其他人可以再次编辑。",
                "approved": "版本 1 已批准，现为有效版本。"},
}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_approve_waits_for_the_editing_lock_and_home_shows_thumbnails(world, open_as, live_server, shots, language):
    words = WORDS[language]
    suffix = "en" if language == "en" else "zh"
    contract = world.contract  # confidential, v1 a draft uploaded by 王芳: four eyes, so 陈静 approves
    document_permission_grant(actor=world.rep, document=contract, level="change", user=world.colleague)
    document_url = f"{live_server.url}/documents/{contract.pk}/"

    # given 王芳 locks the contract for editing
    author = open_as("wang.fang", language)
    author.goto(document_url)
    author.click("[data-testid=lock-for-editing]")
    expect(author.locator(".alert-success")).to_contain_text(words["locked"])
    expect(author.locator("[data-testid=unlock]")).to_have_text(words["unlock"])

    # when 陈静 opens it, Approve is there but disabled, saying who holds the lock and since when
    reviewer = open_as("chen.jing", language)
    reviewer.goto(document_url)
    expect(reviewer.locator("[data-testid=approve-1]")).to_have_count(0)
    expect(reviewer.locator("[data-testid=approve-1-locked]")).to_be_disabled()
    notice = reviewer.locator("[data-testid=approve-locked-notice]")
    expect(notice).to_contain_text(words["notice"])
    expect(notice).to_contain_text(re.compile(r"\d{4}"))
    reviewer.locator("#versions").scroll_into_view_if_needed()
    shots(reviewer, f"approve-locked-{suffix}")

    # when 王芳 unlocks it, 陈静 is offered Approve and approves v1
    author.click("[data-testid=unlock]")
    expect(author.locator(".alert-success")).to_contain_text(words["unlocked"])
    reviewer.reload()
    expect(reviewer.locator("[data-testid=approve-locked-notice]")).to_have_count(0)
    reviewer.click("[data-testid=approve-1]")
    reviewer.wait_for_url(re.compile(r"/versions/1/approve/$"))
    reviewer.click("[data-testid=approve-confirm]")
    reviewer.wait_for_url(document_url)
    expect(reviewer.locator(".alert-success")).to_contain_text(words["approved"])
    contract.refresh_from_db()
    assert contract.valid_version.status == VersionStatus.APPROVED and contract.valid_version.approved_by == world.colleague

    # and 王芳's home page shows her recent documents, each with the first page of its valid version
    author.goto(f"{live_server.url}/")
    thumbnails = author.locator("[data-testid=recent-document] img.thumb")
    expect(thumbnails.first).to_be_visible()
    count = thumbnails.count()
    assert count >= 2
    for index in range(count):
        thumbnails.nth(index).scroll_into_view_if_needed()
        author.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=thumbnails.nth(index).element_handle())
    shots(author, f"home-recent-thumbnails-{suffix}", full_page=False)
