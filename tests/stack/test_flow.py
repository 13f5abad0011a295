"""The production shape end to end: a rep uploads, the worker extracts and indexes into OpenSearch,
search finds it for the owner only, a customer reads it in the portal, and compliance sees it all.

Everything happens over HTTP against gunicorn; only the stack's set-up touches the database.
"""

from __future__ import annotations

import json
import re
import uuid

import pytest
import requests

from tests.indexing.files import docx_with, pdf_with_text
from tests.stack.clients import browser_session, eventually

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("show_logs_on_failure")]


def test_upload_index_search_share_and_audit_through_the_production_processes(stack, owner, outsider):
    # given a PDF and a DOCX, each with a word nobody else has
    pdf_word, docx_word = f"vanadium{uuid.uuid4().hex[:6]}", f"tungsten{uuid.uuid4().hex[:6]}"
    pdf = pdf_with_text(f"Supply contract {pdf_word}", "供货合同 付款条件 net 60")
    docx = docx_with(f"Quotation {docx_word} 报价单", cells=("数控机床", "CNC lathe"))

    # when the owner uploads both through the API
    created_pdf = owner.upload(title="供货合同 Supply contract", filename="供货合同.pdf", content=pdf)
    created_docx = owner.upload(title="报价单 Quotation", filename="quote.docx", content=docx, kind="quote")
    assert created_pdf.status_code == 201, created_pdf.text
    assert created_docx.status_code == 201, created_docx.text
    pdf_id, docx_id = created_pdf.json()["id"], created_docx.json()["id"]

    # then the worker extracts and indexes them: OpenSearch finds each by a word of its text
    eventually(lambda: owner.found_documents(pdf_word) == {pdf_id}, what="the PDF searchable by its text")
    eventually(lambda: owner.found_documents(docx_word) == {docx_id}, what="the DOCX searchable by its text")
    assert owner.found_documents("供货合同 付款") == {pdf_id}  # Chinese bigrams through the real engine
    assert owner.found_documents("数控机床") == {docx_id}
    # ... and never for someone who may not see them
    assert outsider.found_documents(pdf_word) == set()
    assert outsider.found_documents(docx_word) == set()
    assert outsider.get(f"/api/documents/{pdf_id}/").status_code == 404

    # when the owner shares the PDF with the customer, and the customer's contact signs in to the portal
    shared = owner.post(f"/api/documents/{pdf_id}/shares/", json={"customer": stack.world["customer_id"]})
    assert shared.status_code == 201, shared.text
    share_id = shared.json()["id"]
    portal = browser_session(stack, "/portal/signin/", {"email": stack.world["portal_email"],
                                                         "password": stack.world["portal_password"]})
    page = portal.get(f"{stack.url}/portal/shared/{share_id}/", timeout=30)
    download = portal.get(f"{stack.url}/portal/shared/{share_id}/download/", timeout=30)

    # then they read it, byte for byte
    assert page.status_code == 200 and "供货合同" in page.text
    assert download.status_code == 200 and download.content == pdf

    # and compliance's export shows every step, with the customer on the portal's reads
    compliance = browser_session(stack, "/signin/", {"username": stack.world["compliance"],
                                                     "password": stack.world["password"]})
    export = compliance.get(f"{stack.url}/compliance/export.json", params={"document": pdf_id}, timeout=60)
    assert export.status_code == 200, export.text[:500]
    events = json.loads(export.content)
    kinds = [event["event_type"] for event in events]
    for expected in ("document.created", "document.share.created", "portal.share.viewed", "portal.share.downloaded"):
        assert expected in kinds, (expected, kinds)
    portal_reads = [e for e in events if e["event_type"].startswith("portal.share.")]
    assert {e["customer_id"] for e in portal_reads} == {stack.world["customer_id"]}
    assert all(e["actor_label"] == stack.world["portal_email"] for e in portal_reads)
    assert all(re.fullmatch(r"[0-9a-f]{32}", e["request_id"]) for e in portal_reads)

    # and the trail's chain verifies, twice: the second run against the checkpoint the first one
    # signed into the Object Lock bucket
    verified = stack.manage("audit_verify")
    assert "chain intact" in verified.stdout, verified.stdout
    again = stack.manage("audit_verify")
    assert "it matches the checkpoint of" in again.stdout, again.stdout


def test_objects_are_encrypted_at_rest_in_the_production_store(stack, owner):
    # given a stored upload
    created = owner.upload(title="SSE check", filename="sse.pdf", content=pdf_with_text("server side encryption"))
    assert created.status_code == 201, created.text
    key = owner.get(f"/api/documents/{created.json()['id']}/versions/").json()[0]["sha256"]

    # then the S3 server holds it with SSE-S3
    bucket = stack.env["STORAGE_URL"].split("/")[3].split("?")[0]
    objects = list(stack.s3.raw_client().list_objects(bucket, recursive=True))
    matching = [o for o in objects if key in o.object_name]
    assert matching, [o.object_name for o in objects]
    stat = stack.s3.raw_client().stat_object(bucket, matching[0].object_name)
    assert stat.metadata.get("x-amz-server-side-encryption") == "AES256"


def test_probes_and_metrics_of_the_running_stack(stack, owner):
    # given some traffic through both gunicorn workers
    for _ in range(6):
        assert owner.get("/api/documents/").status_code == 200

    # then /healthz and /readyz answer, every dependency up, each with its latency
    assert requests.get(f"{stack.url}/healthz", timeout=5).json() == {"status": "ok"}
    ready = requests.get(f"{stack.url}/readyz", timeout=10)
    assert ready.status_code == 200, ready.text
    checks = ready.json()["checks"]
    assert set(checks) == {"database", "storage", "search", "broker"}
    assert all(check["status"] == "up" and check["latency_ms"] >= 0 for check in checks.values()), checks

    # and /metrics (from loopback) adds up both workers' requests
    text = requests.get(f"{stack.url}/metrics", timeout=10).text
    listed = [line for line in text.splitlines()
              if line.startswith('dossier_http_requests_total{') and 'route="/api/documents/"' in line
              and 'method="GET"' in line and 'status="200"' in line]
    assert listed and float(listed[0].rsplit(" ", 1)[1]) >= 6, listed
    assert "dossier_search_outbox_backlog " in text
    assert "dossier_upload_bytes_total " in text

    # but not to a caller that came through a proxy
    proxied = requests.get(f"{stack.url}/metrics", headers={"X-Forwarded-For": "203.0.113.9"}, timeout=10)
    assert proxied.status_code == 404


def test_request_ids_are_in_the_json_logs(stack, owner):
    # when a request carries a request id
    request_id = f"stack-{uuid.uuid4().hex[:12]}"
    response = owner.get("/api/documents/", headers={"X-Request-ID": request_id})
    assert response.headers["X-Request-ID"] == request_id

    # then the web log has a JSON line for it
    def logged():
        for line in stack.web.log.read_text(errors="replace").splitlines():
            if request_id in line and line.startswith("{"):
                return json.loads(line)
        return None

    entry = eventually(logged, timeout=10, what="a JSON log line with the request id")
    assert entry["request_id"] == request_id and entry["status"] == 200 and entry["route"] == "/api/documents/"
