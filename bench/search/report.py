"""What the search benchmark prints and writes: the indexing and query tables, the verdicts against
the targets, and its section of BENCHMARKS.md."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

from bench.report import markdown_table
from bench.search.opensearch_node import OPENSEARCH_INDEX, OPENSEARCH_TIMEOUT


@dataclass
class Indexed:
    """One backend's indexing numbers."""

    seconds: float = 1.0
    versions: int = 0
    other: float = 0.0
    size: int = 0
    raw_seconds: float = 1.0
    raw_versions: int = 0
    raw_size: int = 0
    raw_other: float = 0.0
    cpu: dict[str, float] = field(default_factory=dict)  # ms per version: bench, postgres, opensearch
    raw_cpu: dict[str, float] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.versions / self.seconds

    @property
    def raw_rate(self) -> float:
        return self.raw_versions / self.raw_seconds if self.raw_versions else float("nan")


BACKEND_LABEL = {"tantivy": "tantivy", "opensearch": "OpenSearch"}


def _cpu_cell(name: str, cpu: dict[str, float]) -> str:
    """"2.1 + 0.3" (tantivy runs inside this process) or "1.2 + 0.3 + 4.5" (the node is a process of its own)."""
    if not cpu:
        return ""
    parts = [cpu["bench"], cpu["postgres"]] + ([cpu["opensearch"]] if name == "opensearch" else [])
    return " + ".join(f"{value:.1f}" for value in parts)


def slowest(api: list[float], raw: list[float], queries: list[str], top: int = 3) -> str:
    """The queries whose API time is largest (the timings are round by round, query by query)."""
    n = len(queries)
    medians = [(statistics.median(api[j::n]), statistics.median(raw[j::n]), q) for j, q in enumerate(queries)]
    medians.sort(reverse=True)
    return ", ".join(f"{q} {a * 1000:.1f} / {r * 1000:.1f}" for a, r, q in medians[:top])


def summarize(backends, indexed, worst, rows, extract_backend, extract_count, extract_seconds,
              extract_kinds, streams: int = 2) -> tuple[str, str, list[str]]:
    """The indexing table, the queries table and the verdicts."""
    table = markdown_table(["backend", "user", "queries", "facets", "requests", "API p50 (ms)", "API p95 (ms)",
                            "raw p50 (ms)", "raw p95 (ms)", "p95 gap (ms)", "other load (cores)"], rows)
    raw_labels = {"tantivy": "raw tantivy, default tokenizer, texts in memory",
                  "opensearch": f"raw OpenSearch, our documents, mapping and analyzer, bulk from memory, {streams} in flight"}
    index_rows = []
    for name in backends:
        r = indexed[name]
        label = BACKEND_LABEL[name]
        how = "search_reindex path" + (f", bulk API, {streams} in flight" if name == "opensearch" else "")
        vs_raw = f"{r.rate / r.raw_rate:.2f}×" if r.raw_versions else ""
        index_rows.append([label, f"our layer, extraction excluded ({how})", f"{r.versions:,}", f"{r.seconds:.0f}",
                           f"{r.rate:,.0f}", vs_raw, _cpu_cell(name, r.cpu), f"{r.other:.2f}"])
        if r.raw_versions:
            index_rows.append([label, raw_labels[name], f"{r.raw_versions:,}", f"{r.raw_seconds:.0f}",
                               f"{r.raw_rate:,.0f}", "1.00×", _cpu_cell(name, r.raw_cpu), f"{r.raw_other:.2f}"])
        if name == extract_backend and extract_count:
            index_rows.append(
                [label, f"our layer, extraction included "
                        f"({', '.join(f'{k} {v}' for k, v in sorted(extract_kinds.items()))})",
                 f"{extract_count:,}", f"{extract_seconds:.1f}", f"{extract_count / extract_seconds:,.0f}", "", "", ""])
    indexing = markdown_table(["backend", "what", "versions", "seconds", "versions/s", "vs raw",
                               "CPU ms/version (bench + PostgreSQL + node)", "other load (cores)"], index_rows)
    verdicts = []
    for name in backends:
        r, w, label = indexed[name], worst[name], BACKEND_LABEL[name]
        vs_raw = f", {r.rate / r.raw_rate:.2f}× the raw engine" if r.raw_versions else ""
        verdicts += [
            f"{label}: API p95 ≤ 50 ms with snippets and facets: {'met' if w['api'] <= 0.050 else 'missed'} "
            f"(worst {w['api'] * 1000:.1f} ms).",
            f"{label}: API p95 ≤ raw engine p95 + 30 ms: {'met' if w['gap'] <= 0.030 else 'missed'} "
            f"(largest gap {w['gap'] * 1000:.1f} ms).",
            f"{label}: indexing ≥ 500 versions/s without extraction: {'met' if r.rate >= 500 else 'missed'} "
            f"({r.rate:,.0f}/s{vs_raw}).",
        ]
    return indexing, table, verdicts


def render_section(args, backends, grants, seeded, narrow_count, admin_count, indexing, table, verdicts, indexed,
                   total, load, speed, node_facts, node_info, extract_backend, extract_count) -> str:
    names = " and ".join(f"{BACKEND_LABEL[n]}" for n in backends)
    command = "python -m bench.search"
    if args.docs != 100_000:
        command += f" --docs {args.docs}"
    if args.backend != "both":
        command += f" --backend {args.backend}"
    command += " --write"
    extra = (f" (plus the {extract_count:,} files of the extraction sample for the queries)" if extract_count else "")
    out = f"""## Search

`{command}` ({names} over the same seeded corpus in one run; whole run {total / 60:.0f} min).
Corpus: {args.docs:,} versions with {seeded.text_bytes / 2**20:,.0f} MiB
of extracted text (1-20 KB each; 50% Chinese, 30% English, 20% mixed), {args.users:,} users, {grants:,} grants{extra}.
The narrow user sees {narrow_count:,} documents ({narrow_count / args.docs:.1%}), the admin {admin_count:,}
({admin_count / args.docs:.1%}).

### Indexing

{indexing}
"""
    if "tantivy" in backends:
        r = indexed["tantivy"]
        out += f"""
tantivy index size on disk: {r.size / 2**20:,.0f} MiB (ours: word and bigram positions in three fields plus the
stored text for snippets); the raw engine's index of the same texts: {r.raw_size / 2**20:,.0f} MiB.
"""
    if "opensearch" in backends:
        r = indexed["opensearch"]
        f_idx = node_facts.get("indexed")
        f_q = node_facts.get("queried")
        after_queries = (f", {f_q.size / 2**20:,.0f} MiB in {f_q.segments} segments after the queries "
                         f"({f_q.documents:,} versions)" if f_q else "")
        warmup = (f"Before either timed run the fresh node was warmed with {args.warmup_docs:,} of the corpus's documents "
                  f"indexed into a scratch index of the same mapping (then deleted): a production node is long-running "
                  f"and its JIT warm, and a cold node (CPU per version ~4.1 ms instead of ~3.1 warm) penalised "
                  f"whichever timed run came first. " if getattr(args, "warmup_docs", 0) else
                  "The node was not warmed before the timed runs (--warmup-docs 0): the first one ran on a cold JIT. ")
        out += f"""
OpenSearch: one node ({node_info}, heap {args.opensearch_heap}, C2 compiler on; started from Maven
Central jars by `tests.fixtures.opensearch.launch_node`), one shard, no replica, SEARCH_URL
`opensearch://127.0.0.1:<port>/{OPENSEARCH_INDEX}?timeout={OPENSEARCH_TIMEOUT:.0f}&bulk_streams={args.bulk_streams}`. Our layer is `search_reindex`'s code path with bulk
requests of {args.batch_size:,} documents, {args.bulk_streams} in flight at once (`bulk_streams`); "raw" sends the very
documents our layer sends (every field: title, meta, body, snippet_source, principals, readers, the facet and
filter fields; built beforehand by our layer's own code, untimed) from memory in bulk requests of the same size,
as many in flight, to an index with our mapping and analyzer, so "vs raw" is our layer's overhead alone.
{warmup}Index size
(`_stats` primaries store, once no merge ran for two seconds and the reader was refreshed):
{r.size / 2**20:,.0f} MiB in {f_idx.segments if f_idx else 0} segments after indexing{after_queries}
(the raw index: {r.raw_size / 2**20:,.0f} MiB). Heap (`_nodes/stats/jvm`): {f_idx.heap_used / 2**20 if f_idx else 0:,.0f} MiB used of
{f_idx.heap_max / 2**20 if f_idx else 0:,.0f} MiB after indexing, {f_q.heap_used / 2**20 if f_q else 0:,.0f} MiB after the queries; the JVM's resident memory
{f_q.rss / 2**20 if f_q else 0:,.0f} MiB.
"""
    out += f"""
### Queries

`GET /api/search/?q=…` through Django in-process (token auth, the caller's principals, the engine with
the ACL filter, the database re-check of the page, snippets, serialization; start-up objects frozen
out of the garbage collector's way first, as `backend/wsgi.py` does in a server), 20 results per page, each
of 20 queries {args.rounds} times per row, after one untimed pass over the same queries (API and raw alike).
For tantivy, "raw" is the same query (same tokens, same ACL filter, same aggregations when facets are on,
counted on a second thread beside the search as the API counts them) straight against the same tantivy
index: no Django, no database, no snippets. For OpenSearch, "raw" is the same request body our backend
sends (`indexing.backends.opensearch.search_body`: the ACL terms filter, the aggregations when facets are on,
and the stored first characters of each hit's text, from which our layer cuts the snippet as it does for
tantivy), sent with `opensearch-py`'s `client.search`: no Django, no database, no snippets or highlighting
by our layer. The machine is shared:
"other load" is the CPU that processes other than this benchmark, its PostgreSQL backends and the
OpenSearch node used while a row (or an indexing run) was measured, in cores out of 2 (`bench.machine.CpuAccount`); before
each timed phase the script waited up to {args.quiet_wait:.0f} s for it to drop under 0.3 cores. The machine's own
speed also varies from day to day without any load showing: a fixed pure-Python workload
(`bench.machine.cpu_reference`) measures it; compare runs with that in mind.
"""
    for name in backends:
        (lb, la), (sb, sa) = load[name], speed[name]
        out += (f"{BACKEND_LABEL[name]} queries: 1-minute load average {lb:.1f} before and {la:.1f} after; "
                f"`cpu_reference` {sb:.0f} ms before and {sa:.0f} ms after.\n")
    out += f"""
{table}

{chr(10).join('* ' + v for v in verdicts)}
"""
    return out
