"""Engine-side probes behind BENCHMARKS.md's OpenSearch notes: what the node costs per version and per
query under one setting or another, compared interleaved on the same node (so a shared machine's load
falls on every variant alike; read the node's CPU per version or per query, not the wall clock).

    .venv/bin/python -m bench.search.probes indexing --docs 4000 --rounds 3
    .venv/bin/python -m bench.search.probes indexing --modes A:1,A:2      # bulk streams, 1 vs 2
    .venv/bin/python -m bench.search.probes facets --docs 20000 --rounds 4

Texts come from the search benchmark's generator (bench.search.corpus.TextMaker, the same mix: half
Chinese, 30% English, 20% mixed, 1-20 KB), built in memory: no database. A node of its own is started
(tests.fixtures.opensearch.launch_node, C2 compiler on, as bench.search does) unless --url names one
(then --pid, the node's process id, is needed to count its CPU).

Indexing modes (bulk requests of 1,000 from memory, `:N` = N requests in flight, default 1):
  A   our mapping and analyzer (`indexing.backends.opensearch.index_body`): what the node does today
  B1  our own tokens (`analysis.token_string`: folded words, CJK bigrams) sent as text, analyzed on the
      node by a whitespace tokenizer and the porter2 stemmer only
  B2  our own tokens already stemmed (`analysis.tokens`), whitespace tokenizer only: the least
      analysis a node can do and still index every word
  C   title, meta and body not indexed at all (parsed, kept in the translog, snippet stored): the
      node's floor per version with nothing searchable
For B1/B2 the rows also give our process's CPU to make the tokens (it moves to our side).

Facets: one index of --docs versions with every facet field filled (1,000 uploaders, 3,000
opportunities, 300 customers), the benchmark's 40 queries for a caller who sees ~55%, each facet
alone and none, node CPU per query over the no-facet body.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

BATCH = 1000
MODES = ("A", "B1", "B2", "C")


def corpus_texts(docs: int) -> list[tuple[int, str, str]]:
    """(version id, title, text) of the search benchmark's generator, in memory."""
    from bench.population import weighted
    from bench.search.corpus import SEED, TextMaker

    maker = TextMaker(SEED)
    out = []
    for i in range(1, docs + 1):
        rng = random.Random(SEED * 1_000_003 + i)
        lang = weighted(rng, (("zh", 50), ("en", 30), ("mixed", 20)), 1)[0]
        out.append((i, f"供货合同 上海精工{i % 300:03d} Supply {i}", maker.text(rng, lang, rng.randint(1024, 20 * 1024))))
    return out


def mode_body(mode: str) -> dict:
    """The index body of an indexing mode (see the module docstring)."""
    from indexing.backends.opensearch import index_body

    body = index_body()
    if mode == "A":
        return body
    if mode == "C":
        fields = {"type": "text", "index": False}
    else:
        analysis = body["settings"]["analysis"]
        analysis["tokenizer"]["dossier_ws"] = {"type": "whitespace", "max_token_length": 255}
        analysis["analyzer"]["dossier_tokens"] = {"type": "custom", "tokenizer": "dossier_ws",
                                                  "filter": ["dossier_stem"] if mode == "B1" else []}
        fields = {"type": "text", "analyzer": "dossier_tokens"}
    for name in ("title", "meta", "body"):
        body["mappings"]["properties"][name] = dict(fields)
    return body


def mode_texts(mode: str, texts) -> tuple[list[tuple[int, str, str]], float]:
    """What a mode sends as title and body, and our process's CPU seconds to make it."""
    from indexing import analysis

    started = time.process_time()
    if mode == "B1":
        sent = [(v, analysis.token_string(title), analysis.token_string(text)) for v, title, text in texts]
    elif mode == "B2":
        sent = [(v, " ".join(analysis.tokens(title)), " ".join(analysis.tokens(text))) for v, title, text in texts]
    else:
        sent = list(texts)
    return sent, time.process_time() - started


class NodeCpu:
    """CPU seconds used by the node's process so far (0 when its pid is unknown)."""

    def __init__(self, pid: int | None):
        import psutil

        self.process = psutil.Process(pid) if pid else None

    def __call__(self) -> float:
        if self.process is None:
            return 0.0
        times = self.process.cpu_times()
        return times.user + times.system


@dataclass
class IndexingRow:
    mode: str
    streams: int
    node_ms: float  # node CPU per version
    ours_ms: float  # our process: making the tokens (B1/B2) and sending
    rate: float  # versions/s (wall clock: only meaningful on a quiet machine)
    store_mib: float
    load: float

    def line(self) -> str:
        return (f"{self.mode:>2} streams={self.streams}: node {self.node_ms:5.2f} ms/version, ours "
                f"{self.ours_ms:5.2f} ms/version, total {self.node_ms + self.ours_ms:5.2f}, {self.rate:5.0f}/s, "
                f"store {self.store_mib:6.1f} MiB, load {self.load:.1f}")


def index_once(client, node_cpu: NodeCpu, texts, mode: str, streams: int = 1) -> IndexingRow:
    """Index `texts` into a fresh index of `mode` (bulk requests of 1,000, `streams` in flight), then
    drop it."""
    name = f"probe-indexing-{mode.lower()}"
    client.indices.delete(index=name, ignore=[404])
    client.indices.create(index=name, body=mode_body(mode))
    sent, token_seconds = mode_texts(mode, texts)
    originals = {v: text for v, _, text in texts}
    in_flight: list = []

    def check(response) -> None:
        if response.get("errors"):
            raise RuntimeError(f"bulk refused documents: {str(response['items'][:2])[:500]}")

    cpu0, wall0, ours0 = node_cpu(), time.perf_counter(), time.process_time()
    with ThreadPoolExecutor(max_workers=streams) as pool:
        for start in range(0, len(sent), BATCH):
            lines: list[dict] = []
            for version_id, title, text in sent[start:start + BATCH]:
                lines.append({"index": {"_index": name, "_id": str(version_id)}})
                lines.append({"version_id": version_id, "document_id": version_id, "title": title, "body": text,
                              "snippet_source": originals[version_id][:200_000], "principals": ["staff"],
                              "is_valid": True})
            if len(in_flight) >= streams:
                check(in_flight.pop(0).result())
            in_flight.append(pool.submit(client.bulk, body=lines))
        for future in in_flight:
            check(future.result())
    client.indices.refresh(index=name)
    cpu1, wall1, ours1 = node_cpu(), time.perf_counter(), time.process_time()
    store = client.indices.stats(index=name, metric="store")["indices"][name]["primaries"]["store"]["size_in_bytes"]
    client.indices.delete(index=name)
    count = len(texts)
    return IndexingRow(mode=mode, streams=streams, node_ms=1000 * (cpu1 - cpu0) / count,
                       ours_ms=1000 * (ours1 - ours0 + token_seconds) / count, rate=count / (wall1 - wall0),
                       store_mib=store / 2**20, load=os.getloadavg()[0])


def probe_indexing(client, node_cpu: NodeCpu, *, docs: int, rounds: int, modes: list[str]) -> list[IndexingRow]:
    """One untimed pass of A (the JIT warms up), then every mode in turn, `rounds` times."""
    texts = corpus_texts(docs)
    index_once(client, node_cpu, texts[:min(docs, 2 * BATCH)], "A")
    rows = []
    for _ in range(rounds):
        for spec in modes:
            mode, _, streams = spec.partition(":")
            if mode not in MODES:
                raise SystemExit(f"unknown mode {mode!r} (one of {', '.join(MODES)})")
            row = index_once(client, node_cpu, texts, mode, int(streams or 1))
            print(row.line(), flush=True)
            rows.append(row)
    return rows


FACET_INDEX = "probe-facets"


def fill_facet_index(client, docs: int) -> None:
    from indexing.backends.opensearch import index_body

    client.indices.delete(index=FACET_INDEX, ignore=[404])
    client.indices.create(index=FACET_INDEX, body=index_body())
    rng = random.Random(1)
    texts = corpus_texts(docs)
    for start in range(0, docs, 500):
        lines: list[dict] = []
        for version_id, title, text in texts[start:start + 500]:
            lines.append({"index": {"_index": FACET_INDEX, "_id": str(version_id)}})
            lines.append({
                "version_id": version_id, "document_id": version_id, "title": title, "body": text,
                "snippet_source": text[:200_000], "principals": ["admin"] if rng.random() < 0.55 else ["other"],
                "readers": ["admin"], "kind": rng.choice(["quote", "contract", "bid", "other"]),
                "classification": rng.choice(["public", "internal", "confidential", "secret"]),
                "status": rng.choice(["approved", "draft"]), "mime_type": "application/pdf",
                "customer_labels": [f"{rng.randint(1, 300)}:Customer"], "uploader_id": rng.randint(1, 1000),
                "opportunity_ids": [rng.randint(1, 3000) for _ in range(rng.randint(0, 2))], "is_valid": True,
                "created": "2026-01-01T00:00:00Z",
            })
        response = client.bulk(body=lines)
        if response.get("errors"):
            raise RuntimeError(f"bulk refused documents: {str(response['items'][:2])[:500]}")
    client.indices.refresh(index=FACET_INDEX)


def probe_facets(client, node_cpu: NodeCpu, *, docs: int, rounds: int) -> list[tuple[str, float, float, float]]:
    """(variant, node CPU ms per query, over the no-facet body, p50 ms) for no facet, all, each alone."""
    from bench.search.corpus import EN_QUERIES, ZH_QUERIES
    from indexing import query
    from indexing.backends import SearchRequest
    from indexing.backends.base import FACET_FIELDS
    from indexing.backends.opensearch import search_body

    fill_facet_index(client, docs)
    time.sleep(2)
    queries = ZH_QUERIES + EN_QUERIES
    variants = {"none": (), "all": tuple(FACET_FIELDS), **{name: (name,) for name in FACET_FIELDS}}
    bodies = {variant: [search_body(SearchRequest(query=query.parse(q), principals=("admin",), facets=facets))
                        for q in queries] for variant, facets in variants.items()}
    cpu = {variant: 0.0 for variant in variants}
    times: dict[str, list[float]] = {variant: [] for variant in variants}
    for round_ in range(rounds + 1):  # the first pass warms up
        order = list(variants) if round_ % 2 else list(reversed(variants))
        for index in range(len(queries)):
            for variant in order:
                cpu0, started = node_cpu(), time.perf_counter()
                client.search(index=FACET_INDEX, body=bodies[variant][index])
                elapsed, cpu1 = time.perf_counter() - started, node_cpu()
                if round_:
                    cpu[variant] += cpu1 - cpu0
                    times[variant].append(1000 * elapsed)
    client.indices.delete(index=FACET_INDEX)
    count = len(queries) * rounds
    rows = []
    for variant in variants:
        per_query = 1000 * cpu[variant] / count
        rows.append((variant, per_query, per_query - 1000 * cpu["none"] / count, statistics.median(times[variant])))
        print(f"{variant:12s} node CPU {rows[-1][1]:5.1f} ms/query (+{rows[-1][2]:4.1f}), p50 {rows[-1][3]:5.1f} ms, "
              f"load {os.getloadavg()[0]:.1f}", flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("probe", choices=("indexing", "facets"))
    parser.add_argument("--docs", type=int, default=None, help="versions (default 4,000 indexing, 20,000 facets)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--modes", default="A:1,B1:1,B2:1", help="indexing modes in turn, MODE[:streams]")
    parser.add_argument("--url", default=None, help="an existing node (http://host:port) instead of one of our own")
    parser.add_argument("--pid", type=int, default=None, help="with --url: the node's process id, to count its CPU")
    parser.add_argument("--heap", default="1g")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")
    os.environ.setdefault("DJANGO_DEBUG", "1")
    import logging

    import django
    from opensearchpy import OpenSearch

    django.setup()
    logging.getLogger("opensearch").setLevel(logging.WARNING)
    with ExitStack() as stack:
        if args.url:
            url, pid = args.url, args.pid
        else:
            from bench.search.opensearch_node import start_opensearch

            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="dossier-probe-")))
            node, _ = start_opensearch(stack, workdir, args.heap)
            url, pid = node.url, node.pid
        client = OpenSearch(hosts=[url], timeout=300)
        print(f"load average {os.getloadavg()[0]:.1f} before", flush=True)
        if args.probe == "indexing":
            probe_indexing(client, NodeCpu(pid), docs=args.docs or 4000, rounds=args.rounds,
                           modes=args.modes.split(","))
        else:
            probe_facets(client, NodeCpu(pid), docs=args.docs or 20_000, rounds=args.rounds)
        print(f"load average {os.getloadavg()[0]:.1f} after", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
