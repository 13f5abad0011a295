"""Faults in the production shape: a worker killed mid-task, and the search engine, the broker and the
database each stopped and started again. Each test leaves the stack whole.

What must hold: no request is a 500; uploads survive what they can survive; nothing is lost, and the
work left undone is done once the part is back; nothing is half-written.
"""

from __future__ import annotations

import io
import time
import uuid

import pytest
import requests

from tests.indexing.files import pdf_with_text
from tests.stack.clients import Staff, browser_session, eventually
from tests.stack.stack import SEARCH_INDEX

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("show_logs_on_failure")]


def _long_pdf(word: str, pages: int = 500) -> bytes:
    """A PDF whose text takes the worker seconds to extract (long enough to kill it meanwhile)."""
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    for number in range(pages):
        for line in range(40):
            page.drawString(40, 800 - line * 18, f"{word} page {number} line {line} delivery terms payment net sixty")
        page.showPage()
    page.save()
    return buffer.getvalue()


def _index_state(stack, document_id: int) -> tuple | None:
    with stack.db() as connection:
        return connection.execute(
            "SELECT s.status, s.attempts, s.extracted_at IS NOT NULL, v.id FROM indexing_versionindexstate s "
            "JOIN documents_documentversion v ON v.id = s.version_id WHERE v.document_id = %s", [document_id]
        ).fetchone()


def _engine_entries(stack, version_id: int) -> int:
    response = requests.post(f"{stack.search.url}/{SEARCH_INDEX}/_count",
                             json={"query": {"term": {"version_id": version_id}}}, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["count"]


def _counts(stack) -> dict[str, int]:
    with stack.db() as connection:
        return {table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608 - fixed names
                for table in ("documents_document", "documents_documentversion", "audit_auditevent")}


def test_a_worker_killed_mid_extraction_is_replaced_and_the_version_is_indexed_exactly_once(stack, owner):
    # given an upload whose extraction takes a while
    word = f"molybdenum{uuid.uuid4().hex[:6]}"
    created = owner.upload(title="Long contract", filename="long.pdf", content=_long_pdf(word))
    assert created.status_code == 201, created.text
    document_id = created.json()["id"]

    # when the worker is killed (SIGKILL, the whole process group) in the middle of extracting it
    eventually(lambda: (state := _index_state(stack, document_id)) and state[1] >= 1 and not state[2],
               timeout=30, interval=0.05, what="the worker extracting the long PDF")
    stack.worker.kill()
    assert _index_state(stack, document_id)[0] == "pending"
    assert owner.found_documents(word) == set()  # its text was never written

    # and a new worker starts
    stack.start_worker()

    # then the version is extracted again and indexed, once
    eventually(lambda: owner.found_documents(word) == {document_id}, timeout=120,
               what="the long PDF searchable after the worker came back")
    # (the worker marks the version indexed just after its entry is written)
    status, attempts, extracted, version_id = eventually(
        lambda: (state := _index_state(stack, document_id))[0] == "indexed" and state, timeout=20,
        what="the version marked indexed")
    assert extracted
    assert attempts == 2  # the killed attempt, and the one that finished
    assert _engine_entries(stack, version_id) == 1


def test_with_the_search_engine_stopped_search_is_503_uploads_succeed_and_the_outbox_catches_up(stack, owner):
    word = f"niobium{uuid.uuid4().hex[:6]}"
    stack.search.stop()
    try:
        # when someone searches, in the API and in the staff UI
        api = owner.search("anything")
        staff_ui = browser_session(stack, "/signin/", {"username": stack.world["owner"],
                                                       "password": stack.world["password"]})
        page = staff_ui.get(f"{stack.url}/search/", params={"q": "anything"}, timeout=30)

        # then both say the engine is down, with the right status
        assert api.status_code == 503, api.text
        assert "search" in api.json()["detail"].lower()
        assert page.status_code == 503
        ready = requests.get(f"{stack.url}/readyz", timeout=10).json()
        assert ready["status"] == "degraded" and ready["checks"]["search"]["status"] == "down"

        # and an upload still succeeds
        created = owner.upload(title="During the search outage", filename="outage.pdf",
                               content=pdf_with_text(f"outage {word}"))
        assert created.status_code == 201, created.text
        time.sleep(3)  # a drain or two run meanwhile, and fail
    finally:
        stack.search.start()

    # then, with the engine back, the outbox writes the backlog without anyone touching it (the restarted
    # node answers its health check before its shard has recovered: search says 503 until then, rightly)
    def found_after_outage():
        response = owner.search(word)
        if response.status_code == 503:
            return False
        assert response.status_code == 200, response.text
        return {row["document_id"] for row in response.json()["results"]} == {created.json()["id"]}

    eventually(found_after_outage, timeout=60, what="the document uploaded during the outage searchable")
    # and the outbox empties: its rows are deleted just after the engine write that made the document
    # searchable, so the last look may come a moment before that commit
    def outbox_rows():
        with stack.db() as connection:
            return connection.execute(
                "SELECT document_id, blocked_on, attempts, last_error FROM indexing_searchoutbox").fetchall()

    eventually(lambda: not outbox_rows(), timeout=60, what="the search outbox empty")


def test_with_the_broker_stopped_uploads_succeed_and_the_work_is_done_when_it_returns(stack, owner):
    word = f"hafnium{uuid.uuid4().hex[:6]}"
    stack.redis.stop()
    try:
        # when a rep uploads while Redis (broker and cache) is down
        started = time.monotonic()
        created = owner.upload(title="During the broker outage", filename="broker.pdf",
                               content=pdf_with_text(f"broker {word}"))
        took = time.monotonic() - started

        # then the upload is stored, promptly, and nothing can index it yet
        assert created.status_code == 201, created.text
        assert took < 15, took
        document_id = created.json()["id"]
        assert owner.get(f"/api/documents/{document_id}/").status_code == 200
        # and the other pages keep working; sign-in (its limits live in the cache) is refused, not broken
        assert owner.get("/api/documents/").status_code == 200
        signin = requests.post(f"{stack.url}/api/auth/token/", data={"username": stack.world["owner"],
                                                                     "password": stack.world["password"]},
                               timeout=30)
        assert signin.status_code in (200, 503), (signin.status_code, signin.text[:300])
        with stack.db() as connection:
            queued = connection.execute("SELECT count(*) FROM indexing_searchoutbox WHERE document_id = %s",
                                        [document_id]).fetchone()[0]
        assert queued >= 1  # the work waits in the outbox, not in the dead broker
    finally:
        stack.redis.start()

    # then the worker and beat reconnect by themselves and the document becomes searchable
    eventually(lambda: owner.found_documents(word) == {document_id}, timeout=90,
               what="the document uploaded during the broker outage searchable")


def test_with_the_database_stopped_requests_are_503_and_nothing_is_half_written(stack, owner):
    staff_ui = browser_session(stack, "/signin/", {"username": stack.world["owner"],
                                                   "password": stack.world["password"]})
    before = _counts(stack)
    stack.postgres.stop()
    try:
        # when a rep uploads, opens a page and lists documents
        upload = owner.upload(title="During the database outage", filename="db.pdf",
                              content=pdf_with_text("database outage"))
        listing = owner.get("/api/documents/")
        page = staff_ui.get(f"{stack.url}/", timeout=30)
        ready = requests.get(f"{stack.url}/readyz", timeout=15)
        alive = requests.get(f"{stack.url}/healthz", timeout=5)

        # then every answer is a 503 that says the database is unavailable, never a 500
        for response in (upload, listing):
            assert response.status_code == 503, (response.status_code, response.text[:300])
            assert response.json()["code"] == "database_unavailable"
            assert "database" in response.json()["detail"].lower()
            assert response.headers["Retry-After"]
        assert page.status_code == 503 and "database" in page.text.lower()
        assert ready.status_code == 503 and ready.json()["checks"]["database"]["status"] == "down"
        assert alive.status_code == 200
    finally:
        stack.postgres.start()

    # and once it is back nothing half-written is there, and work goes on without a restart
    assert _counts(stack) == before
    after = owner.upload(title="After the database outage", filename="db-after.pdf",
                         content=pdf_with_text("database back"))
    assert after.status_code == 201, after.text
    fresh = Staff(stack, stack.world["owner"])  # sign-in works again too
    assert fresh.get("/api/documents/").status_code == 200
