"""Facets on a real OpenSearch node: the numeric ones (uploader, opportunity) are counted on keyword
copies of their fields (mapping revision 5), and an index made before those copies existed still
counts them, on the numeric fields, until `search_reindex --if-outdated` rebuilds it."""

from __future__ import annotations

import copy
import datetime as dt
import uuid

import pytest

from indexing import query
from indexing.backends import IndexDoc, SearchRequest
from indexing.backends.opensearch import FACET_KEYWORD_FIELDS, OpenSearchBackend, index_body

UTC = dt.timezone.utc


@pytest.fixture
def backend(opensearch_node):
    engine = OpenSearchBackend(opensearch_node.search_url(f"dossier-facets-{uuid.uuid4().hex[:10]}"))
    yield engine
    engine.drop()
    engine.close()


def _doc(version_id: int, uploader_id: int, opportunity_ids: list[int]) -> IndexDoc:
    return IndexDoc(version_id=version_id, document_id=version_id, title="报价", meta="", body="合同 x",
                    kind="quote", classification="internal", status="approved", is_valid=True,
                    mime_type="application/pdf", uploader_id=uploader_id, principals=["staff"],
                    created_at=dt.datetime(2026, 1, version_id, tzinfo=UTC), opportunity_ids=opportunity_ids)


def _facets(backend) -> dict:
    result = backend.search(SearchRequest(query=query.parse("合同"), principals=("staff",),
                                          facets=("uploader", "opportunity")))
    return {name: [(b.value, b.count) for b in buckets] for name, buckets in result.facets.items()}


def test_numeric_facets_count_on_keyword_copies_in_a_new_index(backend):
    backend.index([_doc(1, 3, [70]), _doc(2, 3, [70, 9]), _doc(3, 12, [])])
    backend.refresh()

    assert backend._keyword_facets is True
    assert _facets(backend) == {"uploader": [(3, 2), (12, 1)], "opportunity": [(70, 2), (9, 1)]}


def test_an_index_made_before_the_keyword_copies_still_counts_numeric_facets(backend):
    # given an index made with revision 4's mapping (no `.facet` copies), as a deployed one is
    old = copy.deepcopy(index_body())
    for field_name in FACET_KEYWORD_FIELDS:
        old["mappings"]["properties"][field_name].pop("fields")
    old["mappings"]["_meta"]["analysis"] = "made-by-revision-4"
    backend.client.indices.create(index=backend.index_name, body=old)

    # when versions are written and searched through today's backend
    backend.index([_doc(1, 3, [70]), _doc(2, 3, [70, 9]), _doc(3, 12, [])])
    backend.refresh()

    # then the facets are still counted (on the numeric fields) and the index is reported outdated
    assert backend._keyword_facets is False
    assert _facets(backend) == {"uploader": [(3, 2), (12, 1)], "opportunity": [(70, 2), (9, 1)]}
    assert backend.stats().outdated is True
