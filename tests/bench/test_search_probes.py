"""bench.search.probes at a tiny scale against the suite's OpenSearch node: every indexing mode indexes
the corpus and is measured, and the facet probe measures every facet alone, all and none."""

from __future__ import annotations

from bench.search.probes import MODES, NodeCpu, mode_body, probe_facets, probe_indexing
from indexing.backends.base import FACET_FIELDS


def _client(cluster):
    from opensearchpy import OpenSearch

    return OpenSearch(hosts=[cluster.url], timeout=60)


def test_every_indexing_mode_is_measured_with_the_nodes_cpu(opensearch_node):
    client = _client(opensearch_node)

    rows = probe_indexing(client, NodeCpu(opensearch_node.pid), docs=40, rounds=1,
                          modes=["A:1", "A:2", "B1", "B2", "C"])

    assert [(row.mode, row.streams) for row in rows] == [("A", 1), ("A", 2), ("B1", 1), ("B2", 1), ("C", 1)]
    assert all(row.rate > 0 and row.store_mib > 0 for row in rows)
    if opensearch_node.pid:  # an external cluster (OPENSEARCH_URL) has no process of ours to measure
        assert all(row.node_ms > 0 for row in rows)
    assert not [name for name in client.indices.get(index="*") if name.startswith("probe-indexing")]
    # the token modes analyze on the node with a whitespace tokenizer only (B1 also stems)
    assert mode_body("B2")["mappings"]["properties"]["body"] == {"type": "text", "analyzer": "dossier_tokens"}
    assert mode_body("B1")["settings"]["analysis"]["analyzer"]["dossier_tokens"]["filter"] == ["dossier_stem"]
    assert mode_body("C")["mappings"]["properties"]["body"] == {"type": "text", "index": False}
    assert set(MODES) == {"A", "B1", "B2", "C"}


def test_the_facet_probe_measures_each_facet_alone_all_and_none(opensearch_node):
    rows = probe_facets(_client(opensearch_node), NodeCpu(opensearch_node.pid), docs=60, rounds=1)

    assert [row[0] for row in rows] == ["none", "all", *FACET_FIELDS]
    assert rows[0][2] == 0.0
    assert all(row[3] > 0 for row in rows)
