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


def test_a_text_at_the_length_cap_with_characters_beyond_the_bmp_still_gets_a_snippet(index_url):
    # The extraction cap counts code points; the engine's highlight limit counts UTF-16 units, in
    # which 😀 and 𠮷 are two each: this text is 1,000 characters long and 1,002 units.
    engine = OpenSearchBackend(index_url, max_analyzed_offset=1_000)
    body = "payment terms 😀 𠮷野家 " + "x" * (1_000 - 20)
    assert len(body) == 1_000
    engine.index([_doc(1, body)])

    hits = _search(engine, "payment").hits

    assert [hit.version_id for hit in hits] == [1]
    assert "<mark>payment</mark>" in hits[0].snippet


def test_an_index_made_with_a_lower_highlight_limit_still_answers(index_url):
    # e.g. created before SEARCH_EXTRACT_MAX_CHARS was raised: the backend must not ask for more.
    OpenSearchBackend(index_url, max_analyzed_offset=500).index([_doc(1, "payment " + "y" * 2_000)])

    hits = _search(OpenSearchBackend(index_url, max_analyzed_offset=2_000_000), "payment").hits

    assert [hit.version_id for hit in hits] == [1]
    assert "<mark>payment</mark>" in hits[0].snippet


def test_an_index_built_with_another_analysis_says_it_needs_a_rebuild(index_url):
    current = OpenSearchBackend(index_url)
    current.index([_doc(1, "payment")])
    assert "older analysis" not in current.stats().detail

    older = index_body()
    older["mappings"]["_meta"]["analysis"] = "an-older-chain"
    current.drop()
    current.client.indices.create(index=current.index_name, body=older)

    assert "older analysis: run search_reindex --clear" in OpenSearchBackend(index_url).stats().detail
