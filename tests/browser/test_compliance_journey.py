"""Compliance answers "who downloaded document X" and "what did this person access this week" by typing
names, in English and in Chinese, and exports the answer with times in one zone with its offset."""

from __future__ import annotations

import csv
import io
import re

import pytest
from playwright.sync_api import expect

from tests.fixtures.clients import client_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]

TEXT = {
    "en": {"who_opened": "Who opened a document?", "this_week": "This week", "person": "What did a person access?",
           "downloaded": "Downloaded a version"},
    "zh-hans": {"who_opened": "谁打开过某文档？", "this_week": "本周", "person": "某人访问了什么？",
                "downloaded": "下载了版本"},
}


def _pick(page, box: str, typed: str, expected: str):
    """Type part of a name into a picker box and choose the suggestion with the keyboard."""
    page.fill(box, typed)
    option = page.locator("[role=option]", has_text=expected).first
    expect(option).to_be_visible()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page.locator(box)).to_have_value(re.compile(re.escape(expected)))


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_compliance_finds_who_downloaded_a_document_and_what_a_person_accessed_this_week(
        world, open_as, live_server, shots, language):
    text = TEXT[language]
    # given 陈静 downloaded the quote and previewed it
    colleague = client_for(world.colleague)
    b"".join(colleague.get(f"/documents/{world.quote_doc.pk}/download/").streaming_content)
    b"".join(colleague.get(f"/documents/{world.quote_doc.pk}/versions/1/preview/").streaming_content)
    # and 张伟, who has no business with it, tried to open the confidential contract
    assert client_for(world.outsider).get(f"/documents/{world.contract.pk}/").status_code == 404

    # when the compliance officer starts from her home page and asks who opened the quote, typing its number
    page = open_as("zhao.jing", language)
    page.goto(f"{live_server.url}/")
    expect(page.locator("[data-testid=compliance-home]")).to_be_visible()
    expect(page.locator("[data-testid=home-denials]")).to_contain_text("张伟")
    shots(page, f"compliance-home-{language}")
    page.click(f"[data-testid=compliance-home] >> text={text['who_opened']}")
    _pick(page, "#id_document_q", "Q-2026-0001", "报价单 Q-2026-0001")
    page.click("[data-testid=console-show]")
    page.wait_for_url(re.compile(rf"document={world.quote_doc.pk}"))

    # then 陈静 is listed with one download, the time carrying the zone's offset
    opener = page.locator("[data-testid=opener]", has_text="陈静")
    expect(opener).to_be_visible()
    expect(opener.locator("[data-testid=opener-downloads]")).to_have_text("1")
    expect(opener).to_contain_text("+08:00")
    shots(page, f"compliance-who-opened-{language}")

    # when she asks what 陈静 accessed this week, typing the name
    page.click("[data-testid=tab-user]")
    _pick(page, "#id_user_q", "陈静", "陈静")
    page.click("[data-testid=console-show]")
    page.click(f"text={text['this_week']}")
    page.wait_for_url(re.compile(r"date_from=\d{4}-\d{2}-\d{2}"))

    # then the quote is there, the events are labelled in her language, and the export carries the offset
    summary = page.locator("[data-testid=accessed-targets]")
    expect(summary).to_contain_text("报价单 Q-2026-0001")
    expect(page.locator("[data-testid=audit-events]")).to_contain_text(text["downloaded"])
    shots(page, f"compliance-user-week-{language}")
    with page.expect_download() as download_info:
        page.click("[data-testid=export-csv]")
    with open(download_info.value.path(), encoding="utf-8-sig") as handle:
        rows = list(csv.reader(io.StringIO(handle.read())))
    occurred = rows[0].index("occurred_at")
    assert len(rows) > 1 and all(row[occurred].endswith("+08:00") for row in rows[1:])
