"""The same work straight against the engines, without our layer: the texts (already in memory) into
a plain tantivy index, or the very documents our backend sends (built beforehand) in bulk into OpenSearch, and the same queries as tantivy calls or as the
very request bodies our OpenSearch backend sends."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.search.opensearch_node import (
    RAW_OPENSEARCH_INDEX,
    WARMUP_OPENSEARCH_INDEX,
    opensearch_facts,
    wait_for_merges,
)


def load_texts(docs: int) -> list[tuple[int, str, str, list[str]]]:
    from backend.access.policy import view_principals_for_documents
    from backend.documents.models import Document
    from indexing.models import VersionIndexState

    titles = dict(Document.objects.values_list("id", "title"))
    out = []
    for start in range(1, docs + 1, 5000):
        ids = list(range(start, min(start + 5000, docs + 1)))
        principals = view_principals_for_documents(ids)
        for version_id, text in VersionIndexState.objects.filter(version_id__in=ids).values_list("version_id", "text"):
            out.append((version_id, titles[version_id], text, principals.get(version_id, [])))
    return out


def index_raw(texts, path: Path) -> float:
    """The same texts straight into tantivy: default tokenizer, no analysis of ours, no database."""
    import tantivy

    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("version_id", stored=True, indexed=True, fast=True)
    builder.add_text_field("title")
    builder.add_text_field("body")
    builder.add_text_field("principals", tokenizer_name="raw", index_option="basic")
    index = tantivy.Index(builder.build(), path=str(path))
    started = time.perf_counter()
    writer = index.writer(heap_size=256_000_000)
    for version_id, title, text, principals in texts:
        doc = tantivy.Document()
        doc.add_integer("version_id", version_id)
        doc.add_text("title", title)
        doc.add_text("body", text)
        for token in principals:
            doc.add_text("principals", token)
        writer.add_document(doc)
    writer.commit()
    writer.wait_merging_threads()
    return time.perf_counter() - started


def time_raw(backend, principals: list[str], queries: list[str], *, facets: bool, rounds: int) -> list[float]:
    """The same queries as tantivy calls: parse, ACL filter, top 20 with count (+ aggregations, counted
    beside the search on a second thread as the API counts them), no snippets."""
    from indexing import query
    from indexing.backends import SearchRequest
    from indexing.backends.base import FACET_FIELDS

    searcher = backend._ready().searcher()
    compiled = [backend.compile(SearchRequest(query=query.parse(q), principals=tuple(principals)), searcher)
                for q in queries]
    aggregations = {name: {"terms": {"field": field, "size": 20}} for name, field in FACET_FIELDS.items()}
    times = []
    with ThreadPoolExecutor(max_workers=1) as pool:
        for round_ in range(rounds + 1):  # the first pass warms up, as for the API
            for tq in compiled:
                started = time.perf_counter()
                # Facets are counted on a second thread while the hits are found, as the API does.
                counting = pool.submit(searcher.aggregate, tq, aggregations) if facets else None
                found = searcher.search(tq, limit=20, count=True)
                searcher.fast_field_values("version_id", [a for _, a in found.hits])
                if counting is not None:
                    counting.result()
                if round_:
                    times.append(time.perf_counter() - started)
    return times


def load_documents(document_ids) -> list[tuple[int, dict]]:
    """(version id, the _source our OpenSearch backend sends) for every version of these documents: built by our
    layer's own code (`indexing.sync.index_docs_for_documents`, `indexing.backends.opensearch.document_source`)
    before any timing starts, so the raw row sends exactly the documents ours sends (title, meta, body,
    snippet_source, principals, readers, the facet and filter fields) and "vs raw" is our layer's overhead
    alone, not a difference in what the node is given."""
    from indexing.backends.opensearch import document_source
    from indexing.sync import index_docs_for_documents

    ids = list(document_ids)
    out = []
    for start in range(0, len(ids), 2000):
        found, _ = index_docs_for_documents(ids[start:start + 2000])
        out.extend((doc.version_id, document_source(doc)) for doc in found)
    out.sort(key=lambda pair: pair[0])
    return out


def bulk_from_memory(client, index: str, documents, batch_size: int, streams: int = 2) -> float:
    """`documents` ((version id, _source)) into `index` in bulk requests of `batch_size`, `streams` of them in
    flight at once, then a refresh; seconds taken."""

    def send(lines: list[dict]) -> None:
        response = client.bulk(body=lines)
        if response.get("errors"):
            raise RuntimeError(f"raw bulk refused documents: {str(response['items'][:3])[:500]}")

    started = time.perf_counter()
    in_flight = []
    with ThreadPoolExecutor(max_workers=streams) as pool:
        for start in range(0, len(documents), batch_size):
            lines: list[dict] = []
            for version_id, source in documents[start:start + batch_size]:
                lines.append({"index": {"_index": index, "_id": str(version_id)}})
                lines.append(source)
            if len(in_flight) >= streams:
                in_flight.pop(0).result()
            in_flight.append(pool.submit(send, lines))
        for future in in_flight:
            future.result()
    client.indices.refresh(index=index)
    return time.perf_counter() - started


def warm_node(client, documents, batch_size: int, streams: int = 2) -> float:
    """Warm a fresh node before any timed indexing: `documents` into a scratch index of our mapping, then the
    index is deleted. A production node runs for weeks with its JIT compiled; a fresh JVM interprets and
    compiles the analysis and indexing code during the first thousands of documents (a probe: node CPU per
    version ~4.1 ms cold, ~3.1 ms warm), which fell on whichever timed run came first. Seconds taken."""
    from indexing.backends.opensearch import index_body

    client.indices.delete(index=WARMUP_OPENSEARCH_INDEX, ignore=[404])
    client.indices.create(index=WARMUP_OPENSEARCH_INDEX, body=index_body())
    try:
        return bulk_from_memory(client, WARMUP_OPENSEARCH_INDEX, documents, batch_size, streams)
    finally:
        client.indices.delete(index=WARMUP_OPENSEARCH_INDEX, ignore=[404])


def index_raw_opensearch(client, documents, batch_size: int, streams: int = 2) -> tuple[float, int]:
    """The same documents straight into OpenSearch: our index body (the same analyzer and mapping), the very
    _source our backend sends (`load_documents`, built beforehand), bulk requests of `batch_size` from memory
    with `streams` of them in flight at once (as many as our backend keeps in flight during a rebuild:
    SEARCH_URL bulk_streams, default 2), no database, no IndexDoc; (seconds, store bytes)."""
    from indexing.backends.opensearch import index_body

    client.indices.delete(index=RAW_OPENSEARCH_INDEX, ignore=[404])
    client.indices.create(index=RAW_OPENSEARCH_INDEX, body=index_body())
    seconds = bulk_from_memory(client, RAW_OPENSEARCH_INDEX, documents, batch_size, streams)
    wait_for_merges(client, RAW_OPENSEARCH_INDEX)
    size = opensearch_facts(client, RAW_OPENSEARCH_INDEX, None).size
    client.indices.delete(index=RAW_OPENSEARCH_INDEX)
    return seconds, size


def opensearch_bodies(backend, principals: list[str], queries: list[str], *, facets: bool) -> list[dict]:
    """The _search bodies our backend sends for the API's requests (20 hits, relevance, valid versions
    only, all facets or none, snippets on): `indexing.backends.opensearch.search_body` as the backend
    calls it, recorded from one untimed `backend.search()` per query, so they are exactly what it sends."""
    import copy

    from indexing import query
    from indexing.backends import SearchRequest
    from indexing.selectors import FACETS

    recorded: list[dict] = []
    client = backend.client
    send = client.search

    def record(*args, **kwargs):
        recorded.append(copy.deepcopy(kwargs["body"]))
        return send(*args, **kwargs)

    client.search = record
    try:
        for q in queries:
            backend.search(SearchRequest(query=query.parse(q), principals=tuple(principals),
                                         facets=FACETS if facets else ()))
    finally:
        del client.search
    if len(recorded) != len(queries):
        raise RuntimeError(f"expected one _search per query from {backend!r}, saw {len(recorded)}")
    return recorded


def time_raw_opensearch(client, index: str, backend, principals: list[str], queries: list[str], *, facets: bool,
                        rounds: int) -> list[float]:
    """The same query DSL our backend sends, straight with opensearch-py: no Django, no database, no
    snippets or highlighting of ours (the stored text for snippets is fetched, as ours fetches it)."""
    bodies = opensearch_bodies(backend, principals, queries, facets=facets)
    times = []
    for round_ in range(rounds + 1):  # the first pass warms up, as for the API
        for body in bodies:
            started = time.perf_counter()
            client.search(index=index, body=body)
            if round_:
                times.append(time.perf_counter() - started)
    return times
