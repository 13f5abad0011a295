"""A reviewer approves a confidential contract under the four-eyes rule, after its uploader could not:
in English and in Chinese, in a real browser."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from backend.access.services import document_permission_grant
from backend.documents import services
from backend.documents.models import VersionStatus
from tests.web.world import pdf_with_text, upload

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]

WORDS = {
    "en": {"four_eyes": "Another person must approve: you uploaded this version.",
           "superseded": "becomes superseded", "approved": "Version 2 is approved and is now the valid version.",
           "lock": "Lock for editing"},
    "zh-hans": {"four_eyes": "需要另一人批准：此版本由您上传。", "superseded": "将被取代",
                "approved": "版本 2 已批准，现为有效版本。", "lock": "锁定编辑"},
}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_reviewer_approves_under_four_eyes_after_the_uploader_could_not(world, open_as, live_server, shots,
                                                                         language):
    words = WORDS[language]
    suffix = "en" if language == "en" else "zh"
    contract = world.contract  # confidential: the four-eyes rule applies by default
    # given 陈静 may change the contract and approved 王芳's v1; 王芳 then uploaded v2 with new payment terms
    document_permission_grant(actor=world.rep, document=contract, level="change", user=world.colleague)
    services.document_version_approve(actor=world.colleague, version=services.version_get(document=contract, number=1))
    services.document_version_create(actor=world.rep, document=contract, upload=upload(pdf_with_text(
        "供货合同 Supply contract\n保密 confidential\n付款方式 net 60 payment"), "contract-v2.pdf"))
    document_url = f"{live_server.url}/documents/{contract.pk}/"

    # when 王芳, who uploaded v2, opens the contract
    author = open_as("wang.fang", language)
    author.goto(document_url)
    # then she is not offered the approval, and is told why
    expect(author.locator("[data-testid=four-eyes-notice]")).to_have_text(words["four_eyes"])
    expect(author.locator("[data-testid=approve-2]")).to_have_count(0)
    expect(author.locator("[data-testid=lock-for-editing]")).to_have_text(words["lock"])
    shots(author, f"four-eyes-uploader-{suffix}")

    # when 陈静 opens it, looks at what changed, and approves v2 with a valid-until date
    reviewer = open_as("chen.jing", language)
    reviewer.goto(document_url)
    reviewer.click("[data-testid=compare-2]")
    reviewer.wait_for_url(re.compile(r"/compare/\?old=1&new=2"))
    expect(reviewer.locator("[data-testid=diff] ins").first).to_be_visible()
    expect(reviewer.locator("[data-testid=diff]")).to_contain_text("net 60")
    shots(reviewer, f"version-compare-{suffix}")
    reviewer.goto(document_url)
    reviewer.click("[data-testid=approve-2]")
    reviewer.wait_for_url(re.compile(r"/versions/2/approve/$"))
    # the confirmation names the valid version that becomes superseded: v1, uploaded by 王芳
    superseded = reviewer.locator("[data-testid=approve-superseded]")
    expect(superseded).to_contain_text(words["superseded"])
    expect(superseded).to_contain_text("王芳")
    until = dt.date.today() + dt.timedelta(days=365)
    reviewer.fill("#id_valid_until", until.isoformat())
    shots(reviewer, f"four-eyes-approve-confirm-{suffix}")
    reviewer.click("[data-testid=approve-confirm]")

    # then v2 is the valid, approved version until that date, and v1 is superseded
    reviewer.wait_for_url(document_url)
    expect(reviewer.locator(".alert-success")).to_contain_text(words["approved"])
    expect(reviewer.locator("[data-testid=versions] tr.current")).to_have_attribute("data-version", "2")
    shots(reviewer, f"four-eyes-approved-{suffix}")
    versions = {v.number: v for v in contract.versions.all()}
    assert versions[2].status == VersionStatus.APPROVED and versions[2].approved_by == world.colleague
    assert versions[2].valid_until == until and versions[1].status == VersionStatus.SUPERSEDED
