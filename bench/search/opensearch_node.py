"""The OpenSearch node the search benchmark runs against (a throwaway one of its own) and what it
reports about itself: merges, index size, segments, heap."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

OPENSEARCH_INDEX = "bench-versions"
RAW_OPENSEARCH_INDEX = "bench-raw-versions"
WARMUP_OPENSEARCH_INDEX = "bench-warmup"  # scratch index that warms a fresh node before any timed indexing
OPENSEARCH_TIMEOUT = 300.0  # seconds, for our backend's client (SEARCH_URL ?timeout=) and the raw one


def start_opensearch(stack, workdir: Path, heap: str):
    """A throwaway node from tests.fixtures.opensearch (free loopback ports), stopped by its PID when
    the stack unwinds. The fixture runs the JVM with the C1 compiler only, because tests are short;
    this benchmark runs for minutes, as production does, so full tiered compilation (C2) is put back."""
    from tests.fixtures.opensearch import launch_node

    started = time.perf_counter()
    node = launch_node(workdir, heap=heap, extra_jvm_args=["-XX:TieredStopAtLevel=4"])
    stack.callback(node.stop)
    return node, time.perf_counter() - started


def opensearch_client(search_url: str):
    """A plain opensearch-py client for `search_url` (the same connection options our backend uses)."""
    from opensearchpy import OpenSearch

    from indexing.backends.opensearch import client_options_from_url

    kwargs, index, _ = client_options_from_url(search_url)
    kwargs["timeout"] = OPENSEARCH_TIMEOUT
    return OpenSearch(**kwargs), index


def wait_for_merges(client, index: str, timeout: float = 300.0) -> float:
    """Wait until no merge has run for two checks in a row (as tantivy's commit waits for its merging
    threads), then refresh: until the reader is reopened, the files of merged-away segments stay on
    disk and `_stats` counts them beside the merged segment."""
    started = time.monotonic()
    idle = 0
    while time.monotonic() - started < timeout and idle < 2:
        stats = client.indices.stats(index=index, metric="merge")
        idle = idle + 1 if stats["indices"][index]["primaries"]["merges"]["current"] == 0 else 0
        time.sleep(1.0)
    client.indices.refresh(index=index)
    return time.monotonic() - started


@dataclass
class NodeFacts:
    documents: int
    size: int
    segments: int
    heap_used: int
    heap_max: int
    rss: int


def opensearch_facts(client, index: str, pid: int | None) -> NodeFacts:
    """The index's documents, store size and segments (`_stats`), the node's heap (`_nodes/stats/jvm`)
    and the JVM's resident memory."""
    import psutil

    primaries = client.indices.stats(index=index, metric="docs,store,segments")["indices"][index]["primaries"]
    mem = next(iter(client.nodes.stats(metric="jvm")["nodes"].values()))["jvm"]["mem"]
    rss = psutil.Process(pid).memory_info().rss if pid else 0
    return NodeFacts(documents=int(primaries["docs"]["count"]), size=int(primaries["store"]["size_in_bytes"]),
                     segments=int(primaries["segments"]["count"]), heap_used=int(mem["heap_used_in_bytes"]),
                     heap_max=int(mem["heap_max_in_bytes"]), rss=rss)


def node_versions(client) -> str:
    info = client.info()
    node = next(iter(client.nodes.info(metric="jvm")["nodes"].values()))
    return f"OpenSearch {info['version']['number']}, Java {node['jvm']['version']}"
