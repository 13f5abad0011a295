"""Signing in and out, the language of every page, and the compliance console's filters, pages and exports."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.test import Client
from django.utils import timezone

from backend.audit.models import AuditEvent
from tests.fixtures.clients import client_for
from tests.web.world import PASSWORD

pytestmark = pytest.mark.django_db


def test_sign_in_with_clear_errors_then_the_users_language(world):
    client = Client()
    page = client.get("/signin/")
    assert page.status_code == 200 and '<meta charset="utf-8">' in page.content.decode()
    # empty fields: errors next to each field
    response = client.post("/signin/", {"username": "", "password": ""})
    assert response.status_code == 400
    assert "Enter your user name." in response.content.decode() and "Enter your password." in response.content.decode()
    # wrong password: one clear message, audited
    response = client.post("/signin/", {"username": "wang.fang", "password": "wrong"})
    assert "not right" in response.content.decode()
    assert AuditEvent.objects.filter(event_type="web.sign_in_failed", outcome="denied").exists()
    # right password: the home page, in the language the person chose (王芳 prefers Chinese)
    response = client.post("/signin/", {"username": "wang.fang", "password": PASSWORD, "next": "/customers/"})
    assert response.status_code == 302 and response["Location"] == "/customers/"
    home = client.get("/").content.decode()
    assert '<html lang="zh-hans">' in home and "我最近的文档" in home and "王芳" in home and "销售" in home
    assert AuditEvent.objects.filter(event_type="web.signed_in", actor_id=world.rep.pk).exists()
    # an outside "next" is ignored
    other = Client()
    response = other.post("/signin/", {"username": "tom.becker", "password": PASSWORD, "next": "https://evil.example/"})
    assert response["Location"] == "/"
    # sign out
    assert client.post("/signout/").status_code == 302
    assert client.get("/").status_code == 302
    assert AuditEvent.objects.filter(event_type="web.signed_out", actor_id=world.rep.pk).exists()


def test_signin_errors_in_chinese_and_the_language_switch_is_remembered(world):
    client = Client()
    client.cookies["django_language"] = "zh-hans"
    response = client.post("/signin/", {"username": "", "password": ""})
    assert "请输入用户名。" in response.content.decode()
    signed_in = client_for(world.engineer, "en")
    assert "My recent documents" in signed_in.get("/").content.decode()
    response = signed_in.post("/language/", {"language": "zh-hans", "next": "/pipeline/"})
    assert response.status_code == 302 and response["Location"] == "/pipeline/"
    assert "销售漏斗" in signed_in.get("/pipeline/").content.decode()
    world.engineer.refresh_from_db()
    assert world.engineer.preferred_language == "zh-hans"


def test_every_page_renders_in_chinese(world):
    client = client_for(world.rep, "zh-hans")
    expectations = {
        "/": "我最近的文档", "/search/?q=报价": "条结果", f"/documents/{world.quote_doc.pk}/": "版本历史",
        "/customers/": "客户", f"/customers/{world.customer.pk}/": "报价历史", "/pipeline/": "销售漏斗",
        "/service/": "服务台", "/reports/": "应收账款",
    }
    for url, text in expectations.items():
        page = client.get(url).content.decode()
        assert text in page, url
        assert '<meta charset="utf-8">' in page
    # money is grouped, dates are in the Chinese form
    page = client.get(f"/customers/{world.customer.pk}/").content.decode()
    assert "¥1,182,000.00" in page
    assert f"{timezone.localdate():%Y}年" in page


def test_search_finds_a_two_character_chinese_word_and_keeps_filters_in_the_url(world):
    client = client_for(world.rep)
    page = client.get("/search/?q=报价").content.decode()
    assert "<mark>报价</mark>" in page and world.quote_doc.title.split(" ")[1] in page
    assert "上海精工机械有限公司" in page  # the row names the linked customer
    assert "?q=%E6%8A%A5%E4%BB%B7&amp;kind=quote" in page  # a facet link keeps the query
    filtered = client.get("/search/?q=报价&kind=contract").content.decode()
    assert "<mark>报价</mark>单" not in filtered
    # a confidential document is not found by a colleague without a grant, and the secret one by nobody else
    assert f'data-document="{world.contract.pk}"' not in client_for(world.colleague).get("/search/?q=供货合同").content.decode()
    assert f'data-document="{world.contract.pk}"' in client.get("/search/?q=供货合同").content.decode()
    assert f'data-document="{world.secret_doc.pk}"' not in client.get("/search/?q=董事会纪要").content.decode()
    # a filter that cannot be read is a 400 with the reason, not a crash
    assert client.get("/search/?kind=nonsense").status_code == 400


def test_console_filters_pages_by_keyset_and_validates_inline(world):
    client = client_for(world.compliance)
    everything = client.get("/compliance/").content.decode()
    assert ">Uploaded a version<" in everything  # actions by their labels (tests/web/test_console_labels.py)
    by_document = client.get(f"/compliance/?document={world.quote_doc.pk}").context["page"].events
    assert by_document and {(e.target_type, e.target_id) for e in by_document} == {
        ("documents.document", str(world.quote_doc.pk))}
    by_user = client.get("/compliance/?user=li.lei").context["page"].events
    assert {e.actor_label for e in by_user} == {"li.lei"}
    assert "crm.quote.created" in {e.event_type for e in by_user}
    # keyset pages: 50 a page, the cursor is the last id, no count
    total = AuditEvent.objects.count()
    first = client.get("/compliance/")
    assert first.context["page"].next_cursor is not None or total <= 50
    if first.context["page"].next_cursor:
        second = client.get(f"/compliance/?before={first.context['page'].next_cursor}")
        ids = [e.id for e in second.context["page"].events]
        assert ids and max(ids) < first.context["page"].next_cursor
    # bad input shows next to the field, in the user's language
    response = client_for(world.compliance, "zh-hans").get("/compliance/?user=nobody&ip=300.1.1.1&date_from=2026-02-01&date_to=2026-01-01")
    assert response.status_code == 400
    page = response.content.decode()
    assert "没有名为“nobody”的用户。" in page and "结束日期早于开始日期。" in page


def test_exports_stream_the_filtered_view_and_are_audited(world):
    client = client_for(world.compliance)
    response = client.get(f"/compliance/export.csv?document={world.quote_doc.pk}")
    assert response.streaming and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:3] == ["id", "occurred_at", "event_type"]
    assert rows[1:] and all(row[10] == str(world.quote_doc.pk) for row in rows[1:])
    assert [int(r[0]) for r in rows[1:]] == sorted(int(r[0]) for r in rows[1:])  # oldest first
    response = client.get("/compliance/export.json?user=li.lei")
    events = json.loads(b"".join(response.streaming_content))
    assert events and {e["actor_label"] for e in events} == {"li.lei"}
    exported = AuditEvent.objects.filter(event_type="audit.log.exported", actor_id=world.compliance.pk)
    assert exported.count() == 2 and exported.first().detail["filters"] == {"document": world.quote_doc.pk}


def test_chain_verification_is_shown_and_recorded(world):
    client = client_for(world.compliance)
    assert "Never verified" in client.get("/compliance/").content.decode()
    response = client.post("/compliance/verify/", follow=True)
    page = response.content.decode()
    assert "The audit chain is intact" in page and 'data-testid="chain-ok"' in page
    assert AuditEvent.objects.filter(event_type="audit.chain.verified", outcome="success").exists()


def test_what_a_user_accessed_and_who_can_access_a_document(world):
    client_for(world.colleague).get(f"/documents/{world.quote_doc.pk}/download/")
    client = client_for(world.compliance)
    today = timezone.localdate().isoformat()
    page = client.get(f"/compliance/user-access/?user=chen.jing&date_from={today}&date_to={today}").content.decode()
    assert world.quote_doc.title in page
    page = client.get(f"/compliance/document-access/?document={world.contract.pk}").content.decode()
    assert "王芳" in page and "because they own the document" in page
    response = client.get("/compliance/document-access/?document=999999")
    assert response.status_code == 400 and "Not found." in response.content.decode()


def test_pipeline_move_is_an_audited_stage_change_and_lost_needs_a_reason(world):
    client = client_for(world.rep)
    response = client.post(f"/pipeline/{world.opportunity.pk}/stage/", {"stage": "negotiation"},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200 and 'id="board-wrap"' in response.content.decode()
    world.opportunity.refresh_from_db()
    assert world.opportunity.stage == "negotiation"
    assert AuditEvent.objects.filter(event_type="crm.opportunity.stage_changed", actor_id=world.rep.pk).exists()
    response = client.post(f"/pipeline/{world.opportunity.pk}/stage/", {"stage": "lost"}, follow=True)
    assert "Say why the deal was lost." in response.content.decode()
    world.opportunity.refresh_from_db()
    assert world.opportunity.stage == "negotiation"


def test_report_csv_is_streamed_and_audited(world):
    response = client_for(world.rep).get("/reports/receivables.csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "上海精工机械有限公司" in text
    assert AuditEvent.objects.filter(event_type="crm.report.exported", actor_id=world.rep.pk).exists()
    assert client_for(world.rep).get("/reports/nonsense.csv").status_code == 404


def test_the_audit_csv_writes_formula_looking_labels_as_text(world):
    from backend.audit.services import record

    # given an event whose user name and target label a spreadsheet would run as formulas
    record("document.viewed", actor=None, target_type="documents.document", target_id="1",
           target_label='=HYPERLINK("http://evil.example/","open")', detail={"note": "+1"})

    response = client_for(world.compliance).get("/compliance/export.csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))

    labels = [row[11] for row in rows[1:]]
    assert "'=HYPERLINK(\"http://evil.example/\",\"open\")" in labels
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
