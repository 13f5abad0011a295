"""What only OpenSearch can get wrong, on real nodes: outages (a throwaway node that is killed and
started again), the engine's own limits, and indexes left from an older analysis."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from indexing import query
from indexing.backends import IndexDoc, SearchRequest, SearchUnavailable
from indexing.backends.opensearch import OpenSearchBackend, index_body


def _doc(version_id: int, body: str) -> IndexDoc:
    return IndexDoc(version_id=version_id, document_id=version_id, title="", meta="", body=body, kind="contract",
                    classification="internal", status="approved", is_valid=True, mime_type="text/plain",
                    uploader_id=1, created_at=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc), principals=["staff"])


def _search(engine: OpenSearchBackend, text: str):
    return engine.search(SearchRequest(query=query.parse(text), principals=("staff",)))


def _found(engine: OpenSearchBackend, text: str) -> set[int]:
    return {hit.version_id for hit in _search(engine, text).hits}


@pytest.fixture
def index_url(opensearch_node):
    """A fresh index name on the session node; whatever the test made there is dropped after it."""
    url = opensearch_node.search_url(f"dossier-engine-{uuid.uuid4().hex[:10]}")
    yield url
    OpenSearchBackend(url).drop()


def test_a_killed_node_is_search_unavailable_and_a_restarted_one_has_its_documents(opensearch_node_factory):
    node = opensearch_node_factory()
    engine = OpenSearchBackend(node.search_url("dossier-outage") + "?timeout=3&retries=0")
    engine.index([_doc(1, "payment terms"), _doc(2, "delivery terms")])
    assert _found(engine, "terms") == {1, 2}

    node.kill()  # SIGKILL: a crash, not a clean shutdown

    with pytest.raises(SearchUnavailable):
        _search(engine, "terms")
    with pytest.raises(SearchUnavailable):
        engine.index([_doc(3, "lost terms")])

    node.start()  # same ports, same data directory

    assert _found(engine, "terms") == {1, 2}  # acknowledged writes survived the crash
    engine.index([_doc(3, "more terms")])
    assert _found(engine, "terms") == {1, 2, 3}


def test_snippets_come_from_the_stored_start_of_the_text_and_the_rest_is_still_searchable(index_url):
    # Characters beyond the BMP (two UTF-16 units each) and a text longer than the stored copy.
    engine = OpenSearchBackend(index_url, snippet_source_chars=1_000)
    body = "payment terms 😀 𠮷野家 " + "x " * 1_000 + "warranty"
    engine.index([_doc(1, body)])

    payment, warranty = _search(engine, "payment").hits, _search(engine, "warranty").hits

    assert [hit.version_id for hit in payment] == [1]
    assert "<mark>payment</mark>" in payment[0].snippet and "😀 𠮷野家" in payment[0].snippet
    # found by the part beyond the stored copy; the snippet then shows the text's beginning
    assert [hit.version_id for hit in warranty] == [1]
    assert warranty[0].snippet.startswith("payment terms")


def test_the_body_is_indexed_but_stored_once(index_url):
    engine = OpenSearchBackend(index_url, snippet_source_chars=10)
    engine.index([_doc(1, "payment terms of the supply contract")])

    stored = engine.client.get(index=engine.index_name, id="1")["_source"]

    assert "body" not in stored and stored["snippet_source"] == "payment te"


def test_an_index_made_before_snippet_sources_takes_writes_and_asks_for_a_rebuild(index_url):
    older = index_body()
    del older["mappings"]["properties"]["snippet_source"]
    del older["mappings"]["_source"]
    older["mappings"]["_meta"]["analysis"] = "revision-1"
    engine = OpenSearchBackend(index_url)
    engine.client.indices.create(index=engine.index_name, body=older)

    engine.index([_doc(1, "payment terms")])  # the field is added to the old mapping, writes go on

    hits = _search(engine, "payment").hits
    assert [hit.version_id for hit in hits] == [1] and "<mark>payment</mark>" in hits[0].snippet
    assert "older analysis: run search_reindex --clear" in engine.stats().detail


def test_an_index_built_with_another_analysis_says_it_needs_a_rebuild(index_url):
    current = OpenSearchBackend(index_url)
    current.index([_doc(1, "payment")])
    assert "older analysis" not in current.stats().detail

    older = index_body()
    older["mappings"]["_meta"]["analysis"] = "an-older-chain"
    current.drop()
    current.client.indices.create(index=current.index_name, body=older)

    assert "older analysis: run search_reindex --clear" in OpenSearchBackend(index_url).stats().detail


def test_every_index_searches_its_segments_concurrently_even_one_made_before(index_url):
    # given an index made without the search settings (as an older Dossier made it)
    older = index_body()
    del older["settings"]["index"]["search.concurrent_segment_search.mode"]
    engine = OpenSearchBackend(index_url)
    engine.client.indices.create(index=engine.index_name, body=older)

    # when a backend starts writing to it
    engine.index([_doc(1, "payment terms")])

    # then the node searches the shard's segments on several threads
    settings = engine.client.indices.get_settings(index=engine.index_name)[engine.index_name]["settings"]
    assert settings["index"]["search"]["concurrent_segment_search"]["mode"] == "all"
    assert [hit.version_id for hit in _search(engine, "payment").hits] == [1]
