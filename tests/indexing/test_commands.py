"""manage.py search_reindex (resumable, with progress) and search_status."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from backend.audit.models import AuditEvent
from indexing import extraction, reindex
from indexing.backends.base import IndexDoc
from indexing.models import ReindexRun, VersionIndexState
from tests import factories
from tests.indexing import files
from tests.indexing.helpers import engine_hits

pytestmark = [pytest.mark.django_db, pytest.mark.s3]


@pytest.fixture
def three_documents(committed):
    owner = factories.UserFactory(username="owner")
    with committed():
        docs = [factories.document(owner, title=f"Doc {i}", content=f"reindex word{i}".encode(), filename="a.txt")
                for i in range(3)]
    return owner, docs


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_reindex_rebuilds_an_emptied_index_with_a_progress_bar(three_documents, search_index):
    owner, docs = three_documents
    search_index.clear()
    assert engine_hits(search_index, owner, "reindex") == set()

    out, err = run("search_reindex", "--batch-size", "2")

    assert engine_hits(search_index, owner, "reindex") == {d.pk for d in docs}
    assert "Indexed 3 versions of 3 documents" in out
    assert "[" in err and "100.0%" in err and "3/3 documents" in err
    assert ReindexRun.objects.get().finished_at is not None
    assert AuditEvent.objects.filter(event_type="search.reindex.finished").exists()


def test_an_interrupted_reindex_resumes_after_its_checkpoint(three_documents, search_index):
    owner, docs = three_documents
    search_index.clear()
    ReindexRun.objects.create(backend=reindex.redacted_url(f"tantivy://{search_index.path}"),
                              last_document_id=docs[0].pk, documents_done=1, total_documents=3)

    out, _ = run("search_reindex", "--no-progress")

    assert f"Resuming run {ReindexRun.objects.get().pk} after document {docs[0].pk}" in out
    # only the documents after the checkpoint were written again
    assert engine_hits(search_index, owner, "reindex") == {docs[1].pk, docs[2].pk}
    run("search_reindex", "--no-progress", "--restart")
    assert engine_hits(search_index, owner, "reindex") == {d.pk for d in docs}


def test_reindex_drops_entries_of_documents_that_no_longer_exist(three_documents, search_index):
    owner, docs = three_documents
    ghost = IndexDoc(version_id=999_999, document_id=999_999, title="ghost", meta="", body="reindex", kind="other",
                     classification="public", status="draft", is_valid=True, mime_type="text/plain",
                     uploader_id=owner.pk, created_at=docs[0].created_at, principals=["staff"])
    search_index.index([ghost])

    run("search_reindex", "--no-progress")

    assert 999_999 not in search_index.document_ids()


def test_re_extract_reads_every_file_again(three_documents, monkeypatch):
    _, docs = three_documents
    reads = []
    original = extraction._read_content
    monkeypatch.setattr(extraction, "_read_content", lambda version: reads.append(version.pk) or original(version))

    run("search_reindex", "--no-progress")
    assert reads == []  # text is reused from the database
    run("search_reindex", "--no-progress", "--re-extract")
    assert len(reads) == 3


def test_status_shows_backlog_failures_and_size(three_documents, committed, search_index):
    owner, _ = three_documents
    with committed():
        factories.document(owner, title="Locked", content=files.pdf_with_text("x", password="pw"), filename="l.pdf")

    out, _ = run("search_status")

    assert "(up)" in out and "Index: 4 versions" in out
    assert "3 indexed, 0 pending, 1 failed" in out
    assert "Backlog: none" in out
    assert "the PDF is encrypted" in out and "'Locked'" in out
    status = json.loads(run("search_status", "--json")[0])
    assert status["versions"]["failed"] == 1 and status["engine"]["size_bytes"] > 0


def test_status_reports_a_dead_engine_and_the_backlog(three_documents, committed, settings, tmp_path):
    owner, _ = three_documents
    blocker = tmp_path / "down"
    blocker.write_text("x")
    settings.SEARCH_URL = f"tantivy://{blocker}/index"
    with committed():
        factories.document(owner, content=b"queued")

    out, _ = run("search_status")

    assert "DOWN" in out and "Backlog: 1 documents queued" in out and "1 rows waiting for the search engine" in out
    assert VersionIndexState.objects.filter(status="pending").count() == 1
    with pytest.raises(CommandError, match="cannot be opened"):
        run("search_reindex", "--no-progress")
