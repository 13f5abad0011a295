"""What is particular to the embedded backend: tokenizer registration, schema markers, the writer lock."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import signal
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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


def test_an_index_from_before_stemming_asks_for_a_rebuild_and_the_rebuild_stems(tmp_path):
    # given an index written by the previous version (schema 2: words unstemmed)
    backend = TantivyBackend(tmp_path / "index")
    backend.index([doc(1, "x")])
    backend.close()
    (tmp_path / "index" / MARKER).write_text(json.dumps({"schema": 2}))

    stale = TantivyBackend(tmp_path / "index")
    with pytest.raises(SearchUnavailable, match="search_reindex --clear"):
        found(stale, "contracts")
    # when it is rebuilt (search_reindex --clear empties it first), then inflections find each other
    stale.clear()
    stale.index([doc(2, "The contracts were signed")])
    assert found(stale, "contract") == found(stale, "contracting") == {2}
    assert json.loads((tmp_path / "index" / MARKER).read_text())["schema"] == tantivy_backend.SCHEMA_VERSION == 4


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


# --- how a query is run ----------------------------------------------------------------------

_WORDS = ["net", "60", "payment", "terms", "合同", "数控机床", "报价"]


def _field_doc(version_id, title, meta, body):
    return dataclasses.replace(doc(version_id, body), title=title, meta=meta)


_texts = st.lists(st.sampled_from(_WORDS), max_size=6).map(" ".join)
_queries = st.one_of(
    st.sampled_from(_WORDS),
    st.lists(st.sampled_from(_WORDS), min_size=2, max_size=3).map(lambda words: f'"{" ".join(words)}"'),
    st.tuples(st.sampled_from(_WORDS), st.sampled_from(_WORDS)).map(lambda pair: f"{pair[0]} OR {pair[1]}"),
    st.tuples(st.sampled_from(_WORDS), st.sampled_from(_WORDS)).map(lambda pair: f"{pair[0]} -{pair[1]}"),
    st.just("控机 机床"),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(docs=st.lists(st.tuples(_texts, _texts, _texts), min_size=1, max_size=12), q=_queries)
def test_leaving_out_fields_that_lack_a_token_changes_no_hit_and_no_score(tmp_path_factory, docs, q):
    # given documents whose title, meta and body hold random words
    backend = TantivyBackend(tmp_path_factory.mktemp("index"))
    backend.index([_field_doc(n, *fields) for n, fields in enumerate(docs, 1)])
    searcher = backend._ready().searcher()
    request = SearchRequest(query=query.parse(q), principals=("staff",))
    # when the query runs with every field in each disjunction, and with the lacking ones left out
    every_field = searcher.search(backend.compile(request), limit=50, count=True)
    pruned = searcher.search(backend.compile(request, searcher), limit=50, count=True)
    # then the same versions match, with the same scores
    def ranked(result):
        ids = searcher.fast_field_values("version_id", [address for _, address in result.hits])
        return sorted((version_id, round(score, 4)) for (score, _), version_id in zip(result.hits, ids))
    assert pruned.count == every_field.count
    assert ranked(pruned) == ranked(every_field)


def test_facets_are_counted_beside_the_search_and_read_when_asked(tmp_path):
    # given an index with two kinds of document
    backend = TantivyBackend(tmp_path / "index")
    backend.index([doc(1, "warranty terms"), dataclasses.replace(doc(2, "warranty"), kind="contract")])
    # when a search asks for facets
    result = backend.search(SearchRequest(query=query.parse("warranty"), principals=("staff",), facets=("kind",)))
    # then the hits are there at once, and the counts when read
    assert {hit.version_id for hit in result.hits} == {1, 2}
    assert {(b.value, b.count) for b in result.facets["kind"]} == {("other", 1), ("contract", 1)}


def test_facets_the_engine_cannot_count_are_search_unavailable_when_read(tmp_path, monkeypatch):
    # given an engine asked for an aggregation it refuses (failure injection: a field it cannot count)
    backend = TantivyBackend(tmp_path / "index")
    backend.index([doc(1, "warranty")])
    monkeypatch.setattr(tantivy_backend, "_aggregations",
                        lambda names: {name: {"terms": {"field": "body"}} for name in names})
    result = backend.search(SearchRequest(query=query.parse("warranty"), principals=("staff",), facets=("kind",)))
    # when the facets are read, then the failure is the engine being unavailable, not a crash
    with pytest.raises(SearchUnavailable, match="could not be read"):
        result.facets


def test_a_forked_worker_counts_facets_on_its_own_threads(tmp_path):
    # given a process that has counted facets on its pool's threads (as gunicorn's master might)
    backend = TantivyBackend(tmp_path / "index")
    backend.index([doc(1, "warranty")])
    request = SearchRequest(query=query.parse("warranty"), principals=("staff",), facets=("kind",))
    assert backend.search(request).facets["kind"][0].count == 1
    # when it forks and the child searches with facets
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        try:
            ok = TantivyBackend(tmp_path / "index").search(request).facets["kind"][0].count == 1
        finally:
            os._exit(0 if ok else 1)
    # then the child gets its counts (a pool inherited across fork would hang: give up after 60 s)
    deadline = time.monotonic() + 60
    while (done := os.waitpid(pid, os.WNOHANG))[0] == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    if done[0] == 0:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        pytest.fail("the forked child did not finish counting facets within 60 s")
    assert os.waitstatus_to_exitcode(done[1]) == 0
