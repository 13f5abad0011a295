"""bench.search's raw OpenSearch row and node warm-up, at a tiny scale against the suite's node: the raw row
sends the very documents our layer sends, and the warm-up leaves no index behind."""

from __future__ import annotations

import pytest

from bench.search.opensearch_node import RAW_OPENSEARCH_INDEX, WARMUP_OPENSEARCH_INDEX
from bench.search.raw import bulk_from_memory, index_raw_opensearch, load_documents, warm_node
from indexing.backends.opensearch import document_source, index_body
from indexing.sync import index_docs_for_documents
from tests import factories

pytestmark = pytest.mark.django_db


def _client(cluster):
    from opensearchpy import OpenSearch

    return OpenSearch(hosts=[cluster.url], timeout=60)


def test_the_raw_row_sends_the_documents_our_layer_sends(opensearch_node):
    # given three documents
    owner = factories.UserFactory()
    ids = [factories.document(owner, title=f"Supply contract {n}", tags=("steel",)).pk for n in range(3)]

    # when the raw row's documents are loaded
    documents = load_documents(ids)

    # then they are our backend's own _source for every version, with every field of the mapping
    docs, _ = index_docs_for_documents(ids)
    assert documents == sorted(((doc.version_id, document_source(doc)) for doc in docs), key=lambda pair: pair[0])
    assert all(set(source) == set(index_body()["mappings"]["properties"]) for _, source in documents)
    assert "steel" in documents[0][1]["meta"] and documents[0][1]["readers"]

    # and the node takes them as they are (the index's mapping is strict)
    client = _client(opensearch_node)
    client.indices.delete(index="bench-raw-test", ignore=[404])
    client.indices.create(index="bench-raw-test", body=index_body())
    try:
        bulk_from_memory(client, "bench-raw-test", documents, batch_size=2, streams=2)
        assert client.count(index="bench-raw-test")["count"] == 3
    finally:
        client.indices.delete(index="bench-raw-test", ignore=[404])


def test_warming_the_node_and_the_raw_row_leave_no_index_behind(opensearch_node):
    # given a document's _source
    owner = factories.UserFactory()
    documents = load_documents([factories.document(owner).pk])
    client = _client(opensearch_node)

    # when the node is warmed and the raw row is timed
    warmed = warm_node(client, documents, batch_size=1000, streams=2)
    seconds, size = index_raw_opensearch(client, documents, batch_size=1000, streams=2)

    # then both took time, the raw index had a size, and neither index is left on the node
    assert warmed > 0 and seconds > 0 and size > 0
    assert not client.indices.exists(index=WARMUP_OPENSEARCH_INDEX)
    assert not client.indices.exists(index=RAW_OPENSEARCH_INDEX)
