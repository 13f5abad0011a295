"""The compliance console speaks the reader's language: actions by their labels, targets by their names,
never dotted event codes or Django's "Activity object (3)"; exports carry the label beside the code."""

from __future__ import annotations

import csv
import io
import json
import re
from html.parser import HTMLParser

import pytest

from backend.audit.events import all_event_types
from backend.audit.services import record
from backend.crm.services.activities import activity_log
from tests.fixtures.clients import client_for

pytestmark = pytest.mark.django_db


class _Text(HTMLParser):
    """The text a reader sees: character data outside <script> and <style>, not attribute values."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def _visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(parser.parts)


def _codes_in(text: str) -> set[str]:
    names = {item.name for item in all_event_types()}
    return {word for word in re.findall(r"[a-z_]+(?:\.[a-z_]+)+", text) if word in names}


def test_the_console_in_chinese_shows_labels_and_no_event_codes(world):
    # given a trail with uploads, downloads, a preview and an activity logged before __str__ existed
    client_for(world.colleague).get(f"/documents/{world.quote_doc.pk}/download/")
    record("crm.activity.logged", actor=world.rep, target_type="crm.activity", target_id="3",
           target_label="Activity object (3)", customer_id=world.customer.pk)
    client = client_for(world.compliance, "zh-hans")

    # when compliance opens the log in Chinese
    response = client.get("/compliance/")
    assert response.status_code == 200
    text = _visible_text(response.content.decode())

    # then actions read as Chinese phrases, and no dotted code or Django default label is shown
    assert "上传了版本" in text and "下载了版本" in text and "记录了活动" in text
    assert _codes_in(text) == set()
    assert "object (" not in text
    # the legacy target shows its kind and id instead
    assert "活动 #3" in text
    # and the action filter offers the labels (the codes stay in the option values, for the URL)
    html = response.content.decode()
    assert '<option value="document.version.downloaded">下载了版本</option>' in html


def test_event_detail_and_user_access_show_labels_not_codes(world):
    client_for(world.colleague).get(f"/documents/{world.quote_doc.pk}/download/")
    client = client_for(world.compliance, "zh-hans")
    from backend.audit.models import AuditEvent

    event = AuditEvent.objects.filter(event_type="document.version.downloaded").latest("id")
    detail = _visible_text(client.get(f"/compliance/events/{event.pk}/").content.decode())
    assert "下载了版本" in detail and _codes_in(detail) == set() and "documents.document" not in detail
    summary = client.get("/compliance/user-access/?user=chen.jing").content.decode()
    text = _visible_text(summary)
    assert world.quote_doc.title in text and "documents.document" not in text and _codes_in(text) == set()


def test_a_newly_logged_activity_is_labelled_by_its_subject(world):
    # given an activity logged through the service (its model now says what it is)
    activity_log(actor=world.rep, customer=world.customer, kind="call", subject="电话回访 Follow-up call")
    # when the console shows it
    text = _visible_text(client_for(world.compliance, "zh-hans").get("/compliance/").content.decode())
    # then the target is the activity's subject
    assert "电话回访 Follow-up call" in text and "object (" not in text


def test_the_document_access_log_shows_labels(world):
    client_for(world.colleague).get(f"/documents/{world.quote_doc.pk}/download/")
    html = client_for(world.rep, "zh-hans").get(f"/documents/{world.quote_doc.pk}/access-log/").content.decode()
    text = _visible_text(html)
    assert "下载了版本" in text and _codes_in(text) == set()


def test_exports_carry_the_label_beside_the_code(world):
    client = client_for(world.compliance, "zh-hans")
    # when the document's events are exported as CSV and as JSON
    response = client.get(f"/compliance/export.csv?document={world.quote_doc.pk}")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    header = rows[0]
    # then the stored fields keep their columns and the label comes last, in the exporter's language
    assert header[:3] == ["id", "occurred_at", "event_type"] and header[-1] == "event_label"
    uploaded = next(row for row in rows[1:] if row[2] == "document.version.uploaded")
    assert uploaded[-1] == "上传了版本"
    events = json.loads(b"".join(client.get(f"/compliance/export.json?document={world.quote_doc.pk}")
                                  .streaming_content))
    created = next(e for e in events if e["event_type"] == "document.created")
    assert created["event_label"] == "创建了文档"


def test_the_downloads_column_counts_only_files_sent(world):
    colleague = world.colleague
    # given a download and two previews by the same person
    client = client_for(colleague)
    b"".join(client.get(f"/documents/{world.quote_doc.pk}/download/").streaming_content)
    for _ in range(2):
        b"".join(client.get(f"/documents/{world.quote_doc.pk}/versions/1/preview/").streaming_content)
    # when compliance asks what they accessed
    response = client_for(world.compliance).get("/compliance/user-access/?user=chen.jing")
    target = next(t for t in response.context["summary"].targets if t["target_id"] == str(world.quote_doc.pk))
    # then the previews are accesses, but only the download counts as one
    assert target["events"] == 3 and target["downloads"] == 1


def test_each_row_names_its_target_by_kind_and_id(world):
    # given the log filtered to one document (as compliance does in the browser journey)
    response = client_for(world.compliance, "zh-hans").get(f"/compliance/?document={world.quote_doc.pk}")
    text = _visible_text(response.content.decode())
    # then the rows name the document's kind, id and title
    assert f"文档 #{world.quote_doc.pk}" in text and world.quote_doc.title in text
