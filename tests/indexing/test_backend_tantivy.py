"""What is particular to the embedded backend: tokenizer registration, schema markers, the writer lock."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from indexing import query
from indexing.backends import IndexDoc, SearchRequest, SearchUnavailable
from indexing.backends import tantivy as tantivy_backend
from indexing.backends.tantivy import MARKER, TantivyBackend


def doc(version_id, body):
    return IndexDoc(version_id=version_id, document_id=version_id, title="", meta="", body=body, kind="other",
                    classification="public", status="draft", is_valid=True, mime_type="text/plain", uploader_id=1,
                    created_at=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc), principals=["staff"])


def found(backend, q):
    return {h.version_id for h in backend.search(SearchRequest(query=query.parse(q), principals=("staff",))).hits}


def test_a_reopened_index_registers_our_tokenizer_again(tmp_path):
    first = TantivyBackend(tmp_path / "index")
    first.index([doc(1, "数控机床")])
    first.close()

    reopened = TantivyBackend(tmp_path / "index")
    reopened.index([doc(2, "机床 parts")])  # writing needs the tokenizer

    assert found(reopened, "控机") == {1}
    assert found(reopened, "机床") == {1, 2}


def test_an_index_from_another_schema_version_asks_for_a_rebuild(tmp_path):
    backend = TantivyBackend(tmp_path / "index")
    backend.index([doc(1, "x")])
    backend.close()
    (tmp_path / "index" / MARKER).write_text(json.dumps({"schema": 0}))

    stale = TantivyBackend(tmp_path / "index")
    with pytest.raises(SearchUnavailable, match="search_reindex --clear"):
        found(stale, "x")
    stale.clear()
    assert stale.stats().documents == 0


def test_a_changed_analysis_is_reported(tmp_path):
    backend = TantivyBackend(tmp_path / "index")
    backend.index([doc(1, "x")])
    marker = tmp_path / "index" / MARKER
    marker.write_text(json.dumps({**json.loads(marker.read_text()), "analysis": "old"}))

    assert "older analysis" in backend.stats().detail


def test_a_busy_writer_is_search_unavailable(tmp_path, monkeypatch):
    monkeypatch.setattr(tantivy_backend, "_WRITER_LOCK_WAIT_SECONDS", 0.2)
    holder = TantivyBackend(tmp_path / "index")
    other = TantivyBackend(tmp_path / "index")
    with holder.bulk():
        with pytest.raises(SearchUnavailable, match="busy"):
            other.index([doc(1, "x")])
    other.index([doc(1, "x")])  # released after the bulk block
    assert found(other, "x") == {1}


def test_clear_refuses_a_directory_that_is_not_an_index(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "precious.txt").write_text("keep me")

    with pytest.raises(SearchUnavailable, match="refusing"):
        TantivyBackend(tmp_path / "data").clear()
    assert (tmp_path / "data" / "precious.txt").exists()


def test_urls_choose_the_backend():
    from indexing.backends import backend_from_url
    from indexing.backends.opensearch import OpenSearchBackend

    assert isinstance(backend_from_url("tantivy:///var/lib/dossier/search"), TantivyBackend)
    assert isinstance(backend_from_url("opensearch://search:9200/docs"), OpenSearchBackend)
    with pytest.raises(ValueError):
        backend_from_url("tantivy://relative/path")
    with pytest.raises(ValueError):
        backend_from_url("solr://x")
