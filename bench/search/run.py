"""Search at 100,000 versions: indexing throughput, trimmed query latency through the API, and the
same work straight against the engine without our layer, for the embedded tantivy backend and for
OpenSearch, over the same seeded corpus in one run.

    .venv/bin/python -m bench.search                     # full run (100,000 versions, both backends, ~30-45 min on 2 cores)
    .venv/bin/python -m bench.search --docs 10000        # a quick look
    .venv/bin/python -m bench.search --write             # also update the Search section of BENCHMARKS.md
    .venv/bin/python -m bench.search --backend tantivy   # one backend only (tantivy|opensearch|both)
    .venv/bin/python -m bench.search --backend tantivy --reuse --index-dir /tmp/idx --extract-docs 0
                                                         # iterate: keep the database, seed it once
    .venv/bin/python -m bench.search --backend tantivy --reuse --index-dir /tmp/idx --skip-indexing \
        --skip-raw-indexing --extract-docs 0             # queries only, against that index

The corpus (fixed random seed) is written to PostgreSQL database `dossier_bench_search` with COPY:
1000 users in 20 departments and 60 teams, documents with one version each (4% public, 46% internal,
42% confidential, 8% secret), 500,000 grants (80% to users, 20% to groups, mostly on restricted
documents) — the same permission shape as bench/document_list.py, where a typical user sees ~10%.
Each version's extracted text is already in the database (as after extraction): 1-20 KB, half
Chinese, 30% English, 20% mixed, drawn from a business vocabulary with a Zipf-like spread plus
a long tail of rare words. (No PostgreSQL answering? bench.common starts a throwaway cluster; --reuse
then needs BENCH_PG_HOST/BENCH_PG_PORT at a server that outlives the run, e.g. one started by
`python -m tests.fixtures.postgres`.)

OpenSearch: a node of its own, started with `tests.fixtures.opensearch.launch_node` (jars from Maven
Central, Java 17; heap --opensearch-heap, default 1g; C2 compiler on) on free loopback ports and
stopped by its PID at the end; our backend talks to it through SEARCH_URL
opensearch://127.0.0.1:<port>/bench-versions?timeout=300 (a bulk request of 1,000 versions can
take longer than the client's default 10 s on this machine).

Measured, for each backend:
  * indexing without extraction: `search_reindex`'s code path (read text and ACL from the database,
    build the documents, write: tantivy in-process, OpenSearch through the bulk API) over every
    version, versions/s, with the CPU per version of this process, its PostgreSQL backends and the
    OpenSearch node; and the raw engine rate: the same texts, already in memory, added to a plain
    tantivy index with tantivy's default tokenizer / the very documents our backend sends (every
    field: title, meta, body, snippet_source, principals, readers, the facet and filter fields; built
    beforehand by our layer's own code, untimed) sent in bulk requests of the same size to an
    OpenSearch index with our mapping and analyzer, so "vs raw" is our layer's overhead alone.
    Before either timed OpenSearch run, the fresh node is warmed (--warmup-docs, default 20,000, of
    the corpus's documents into a scratch index of the same mapping, then deleted): a production
    node is long-running and its JIT warm, and a cold one (node CPU per version ~4.1 ms instead of
    ~3.1) penalised whichever run came first. 5,000 documents were not enough: on a node warmed
    with them, rounds of 8,000 more still went 5.8 -> 3.8 -> 3.3 ms/version (session 12 probe). tantivy needs no such warm-up: it is compiled native code,
    and our layer's Python start-up costs are paid once in a run of minutes;
  * indexing with extraction (on the first backend): --extract-docs generated files (txt in GBK,
    DOCX, XLSX, PDF, e-mail) in a local file store, extracted and indexed by the pipeline; the other
    backend gets the same documents untimed, so both answer the queries over the same corpus;
  * queries: GET /api/search/ through Django's full stack in-process (token auth, principals, the
    engine, the database re-check, snippets, serialization) for the user nearest 10% visibility and
    for an admin, with and without all facets, Chinese and English query sets separately; and the
    same queries straight against the engine: for tantivy term/phrase queries with the same ACL
    filter and the same aggregations; for OpenSearch the very request bodies our backend sends
    (`search_body`, which fetches the stored start of each hit's text), sent with opensearch-py;
    no Django, no database, no snippets of ours;
  * index size (tantivy: on disk; OpenSearch: `_stats` store size), and the node's heap
    (`_nodes/stats/jvm`) after indexing and after the queries;
  * unrelated load: the CPU used by every other process on the (shared) machine during each timed
    phase, in cores, after waiting up to --quiet-wait seconds for it to drop under 0.3 cores.
"""

from __future__ import annotations

import argparse
import os
import shutil
import time
from pathlib import Path

from bench.common import (
    base_env,
    cleanup_on_exit,
    close_django_connections,
    create_database,
    database_exists,
    database_url,
    django_setup,
    drop_database,
    make_workdir,
    migrate,
    postgres_backend_pids,
)
from bench.machine import CpuAccount, cpu_reference, wait_until_quiet
from bench.population import choose_users
from bench.report import percentile, write_section
from bench.search.corpus import EN_QUERIES, ZH_QUERIES, seed, seeded_already
from bench.search.layer import extraction_sample, index_ours, time_api
from bench.search.opensearch_node import (
    OPENSEARCH_INDEX,
    OPENSEARCH_TIMEOUT,
    NodeFacts,
    node_versions,
    opensearch_client,
    opensearch_facts,
    start_opensearch,
    wait_for_merges,
)
from bench.search.raw import (
    index_raw,
    index_raw_opensearch,
    load_documents,
    load_texts,
    time_raw,
    time_raw_opensearch,
    warm_node,
)
from bench.search.report import BACKEND_LABEL, Indexed, render_section, slowest, summarize


def _load_meter(database: str, node_pid=lambda: None):
    """CPU seconds of this process, its PostgreSQL backends and the OpenSearch node, and of everything
    else (other load)."""
    return CpuAccount({"bench": lambda: [os.getpid()], "postgres": lambda: postgres_backend_pids(database),
                       "opensearch": lambda: [pid for pid in [node_pid()] if pid]})


def _other_cores(account, before) -> float:
    return _other(CpuAccount.delta(before, account.snapshot()))


def _other(d: dict[str, float]) -> float:
    return d["other"] / d["wall"] if d["wall"] > 0 else 0.0


def _cpu_per_version(d: dict[str, float], versions: int) -> dict[str, float]:
    """CPU milliseconds per version of this process, its PostgreSQL backends and the OpenSearch node."""
    return {name: d[name] * 1000 / versions for name in ("bench", "postgres", "opensearch")} if versions else {}


def use_search_url(url: str) -> None:
    """Point the app (settings, and the environment for anything started later) at another engine."""
    from django.conf import settings

    settings.SEARCH_URL = url
    os.environ["SEARCH_URL"] = url


def _dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.search", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=("tantivy", "opensearch", "both"), default="both",
                        help="which engines to index and query (both: tantivy first, then OpenSearch, same corpus)")
    parser.add_argument("--docs", type=int, default=100_000, help="versions in the corpus (one per document)")
    parser.add_argument("--grants", type=int, default=None, help="default: 5 per document")
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5, help="passes over each 20-query set per configuration")
    parser.add_argument("--extract-docs", type=int, default=1000)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--bulk-streams", type=int, default=2,
                        help="OpenSearch bulk requests in flight at once, for our layer (SEARCH_URL bulk_streams) "
                             "and the raw engine alike; 1 sends them one after the other")
    parser.add_argument("--warmup-docs", type=int, default=20_000,
                        help="documents of the corpus indexed into a scratch index (then deleted) to warm a fresh "
                             "OpenSearch node's JIT before either timed indexing run; 0: none")
    parser.add_argument("--database", default="dossier_bench_search")
    parser.add_argument("--opensearch-heap", default=os.environ.get("DOSSIER_OPENSEARCH_HEAP", "1g"),
                        help="the OpenSearch node's JVM heap (-Xms/-Xmx); default DOSSIER_OPENSEARCH_HEAP or 1g")
    parser.add_argument("--write", action="store_true", help="update the Search section of BENCHMARKS.md")
    parser.add_argument("--keep", action="store_true", help="keep the database and the work directory")
    parser.add_argument("--reuse", action="store_true",
                        help="for iterating: keep --database and reuse its corpus when it is complete (implies --keep;"
                             " needs a PostgreSQL that outlives the run, see BENCH_PG_HOST/BENCH_PG_PORT)")
    parser.add_argument("--index-dir", type=Path, default=None,
                        help="where our tantivy index lives (kept); default: inside the work directory")
    parser.add_argument("--skip-indexing", action="store_true",
                        help="query the tantivy index already at --index-dir instead of rebuilding it (no indexing "
                             "numbers; tantivy only: the OpenSearch node is always a fresh one)")
    parser.add_argument("--skip-raw-indexing", action="store_true", help="do not time the raw engines' indexing")
    parser.add_argument("--quiet-wait", type=float, default=60.0,
                        help="seconds to wait for unrelated processes to calm down before each timed phase")
    args = parser.parse_args(argv)
    grants = args.grants if args.grants is not None else 5 * args.docs
    backends = ("tantivy", "opensearch") if args.backend == "both" else (args.backend,)
    if args.reuse:
        args.keep = True
    if args.write and (args.skip_indexing or args.skip_raw_indexing):
        parser.error("--write needs every measurement: drop --skip-indexing/--skip-raw-indexing")
    if args.skip_indexing and args.index_dir is None:
        parser.error("--skip-indexing needs --index-dir")
    if args.skip_indexing and "opensearch" in backends:
        parser.error("--skip-indexing works with --backend tantivy only (the OpenSearch node is a fresh one)")

    total_started = time.perf_counter()
    with cleanup_on_exit() as stack:
        workdir = make_workdir(stack, "bench-search", keep=args.keep)
        if args.reuse:
            exists = database_exists(args.database)
            db_url = database_url(args.database) if exists else create_database(args.database)
        else:
            db_url = create_database(args.database)
        if not args.keep:
            stack.callback(drop_database, args.database)
        index_path = args.index_dir.resolve() if args.index_dir else workdir / "index"
        urls = {"tantivy": f"tantivy://{index_path}"}
        env = base_env(database=db_url, storage_url=f"file://{workdir / 'objects'}", data_dir=workdir / "data",
                       SEARCH_URL=urls["tantivy"], CELERY_BROKER_URL="")
        migrate(env)
        os.environ["SEARCH_URL"] = env["SEARCH_URL"]
        django_setup(env)
        seeded = seeded_already(args.docs) if args.reuse else None
        if seeded is None:
            if args.reuse:  # a partial corpus: start again
                from django.db import connection

                close_django_connections()
                connection.close()
                db_url = create_database(args.database)
                migrate(env)
            print(f"seeding {args.docs:,} versions with text, {grants:,} grants, {args.users} users ...", flush=True)
            seeded = seed(docs=args.docs, grants=grants, users=args.users)
            print(f"seeded {seeded.text_bytes / 2**20:,.0f} MiB of text in {seeded.seconds:.0f} s", flush=True)
        else:
            print(f"reusing the corpus in {args.database} ({seeded.text_bytes / 2**20:,.0f} MiB of text)", flush=True)
        narrow, narrow_count, admin, admin_count = choose_users(args.docs)
        print(f"narrow user {narrow.username} sees {narrow_count:,} ({narrow_count / args.docs:.1%}); "
              f"admin sees {admin_count:,} ({admin_count / args.docs:.1%})", flush=True)
        node = None
        meter = _load_meter(args.database, lambda: node.pid if node is not None else None)

        def quiet() -> None:
            if args.quiet_wait:
                mine = [os.getpid(), *postgres_backend_pids(args.database), *([node.pid] if node and node.pid else [])]
                wait_until_quiet(args.quiet_wait, exclude=mine)

        def index_through_our_layer(result: Indexed) -> None:
            """search_reindex's code path into the current SEARCH_URL, timed, with its CPU accounted."""
            quiet()
            before = meter.snapshot()
            result.seconds, result.versions = index_ours(args.batch_size)
            d = CpuAccount.delta(before, meter.snapshot())
            result.other, result.cpu = _other(d), _cpu_per_version(d, result.versions)

        indexed = {name: Indexed() for name in backends}

        # -- tantivy: our layer, then the raw engine
        if "tantivy" in backends:
            use_search_url(urls["tantivy"])
            result = indexed["tantivy"]
            if not args.skip_indexing:
                print("tantivy: indexing through our layer (search_reindex path) ...", flush=True)
                index_through_our_layer(result)
            result.size = _dir_size(index_path)
            if result.versions:
                print(f"  {result.versions:,} versions in {result.seconds:.0f} s = {result.rate:,.0f}/s; "
                      f"index {result.size / 2**20:,.0f} MiB; other load {result.other:.2f} cores", flush=True)
            if not args.skip_raw_indexing:
                texts = load_texts(args.docs)  # loaded after our layer's run, and dropped before the next one
                raw_path = workdir / "raw-index"
                raw_path.mkdir()
                quiet()
                before = meter.snapshot()
                result.raw_seconds = index_raw(texts, raw_path)
                result.raw_versions = len(texts)
                d = CpuAccount.delta(before, meter.snapshot())
                result.raw_other, result.raw_cpu = _other(d), _cpu_per_version(d, result.raw_versions)
                result.raw_size = _dir_size(raw_path)
                shutil.rmtree(raw_path, ignore_errors=True)
                del texts
                print(f"raw tantivy: {result.raw_rate:,.0f}/s, {result.raw_size / 2**20:,.0f} MiB; "
                      f"other load {result.raw_other:.2f} cores", flush=True)

        # -- OpenSearch: a node of our own, our layer through the bulk API, then the raw engine
        node_facts: dict[str, NodeFacts] = {}
        node_start, node_info, merge_wait = 0.0, "", 0.0
        os_client = os_index = None
        if "opensearch" in backends:
            print(f"starting an OpenSearch node (heap {args.opensearch_heap}) ...", flush=True)
            node, node_start = start_opensearch(stack, workdir / "opensearch", args.opensearch_heap)
            # A bulk request of --batch-size versions (~10 MB) can take longer than the client's default
            # 10 s on this shared machine; `timeout` is one of SEARCH_URL's documented options.
            urls["opensearch"] = (f"{node.search_url(OPENSEARCH_INDEX)}?timeout={OPENSEARCH_TIMEOUT:.0f}"
                                  f"&bulk_streams={args.bulk_streams}")
            os_client, os_index = opensearch_client(urls["opensearch"])
            node_info = node_versions(os_client)
            print(f"  {node_info} at {node.url} (pid {node.pid}) in {node_start:.1f} s", flush=True)
            use_search_url(urls["opensearch"])
            result = indexed["opensearch"]
            if args.warmup_docs:
                # a production node is long-running: its JIT has compiled the indexing code long ago
                warmup = load_documents(range(1, min(args.warmup_docs, args.docs) + 1))
                warmed = warm_node(os_client, warmup, args.batch_size, streams=args.bulk_streams)
                print(f"  warmed the node: {len(warmup):,} documents into a scratch index (deleted) in {warmed:.0f} s",
                      flush=True)
                del warmup
            print("OpenSearch: indexing through our layer (search_reindex path, bulk API) ...", flush=True)
            index_through_our_layer(result)
            merge_wait = wait_for_merges(os_client, os_index)
            node_facts["indexed"] = opensearch_facts(os_client, os_index, node.pid)
            result.size = node_facts["indexed"].size
            print(f"  {result.versions:,} versions in {result.seconds:.0f} s = {result.rate:,.0f}/s; "
                  f"index {result.size / 2**20:,.0f} MiB in {node_facts['indexed'].segments} segments "
                  f"(merges done {merge_wait:.0f} s later); heap {node_facts['indexed'].heap_used / 2**20:,.0f} of "
                  f"{node_facts['indexed'].heap_max / 2**20:,.0f} MiB; other load {result.other:.2f} cores", flush=True)
            if not args.skip_raw_indexing:
                documents = load_documents(range(1, args.docs + 1))  # what our layer sends, built untimed
                quiet()
                before = meter.snapshot()
                result.raw_seconds, result.raw_size = index_raw_opensearch(os_client, documents, args.batch_size,
                                                                           streams=args.bulk_streams)
                result.raw_versions = len(documents)
                del documents
                d = CpuAccount.delta(before, meter.snapshot())
                result.raw_other, result.raw_cpu = _other(d), _cpu_per_version(d, result.raw_versions)
                print(f"raw OpenSearch: {result.raw_rate:,.0f}/s, {result.raw_size / 2**20:,.0f} MiB; "
                      f"other load {result.raw_other:.2f} cores", flush=True)

        # -- extraction: timed on the first backend; the other gets the same documents untimed, so
        #    both answer the queries over the same corpus
        extract_seconds, extract_count, extract_kinds, extract_backend = 1.0, 0, {}, backends[0]
        if args.extract_docs:
            use_search_url(urls[extract_backend])
            print(f"extraction sample of {args.extract_docs} files ({BACKEND_LABEL[extract_backend]}) ...", flush=True)
            extract_seconds, extract_count, extract_kinds, extract_ids = extraction_sample(args.extract_docs, workdir)
            print(f"  {extract_count / extract_seconds:,.0f} versions/s with extraction", flush=True)
            from indexing.engine import search_backend
            from indexing.sync import documents_sync

            for name in backends[1:]:
                use_search_url(urls[name])
                other_backend = search_backend()
                with other_backend.bulk():
                    for start in range(0, len(extract_ids), 100):
                        documents_sync(extract_ids[start:start + 100], backend=other_backend)

        # -- queries, backend by backend
        from backend.access.policy import user_principals
        from backend.accounts.services import api_token_issue
        from indexing.engine import search_backend
        from backend.common.runtime import warm_and_freeze

        tokens = {"narrow": api_token_issue(user=narrow), "admin": api_token_issue(user=admin)}
        principals = {"narrow": user_principals(narrow), "admin": user_principals(admin)}
        rows, worst, load, speed = [], {}, {}, {}
        for name in backends:
            use_search_url(urls[name])
            backend = search_backend()
            if name == "opensearch":
                os_client.indices.refresh(index=os_index)
                wait_for_merges(os_client, os_index)
            # As backend/wsgi.py does in a server: what start-up (here also seeding and indexing) left
            # alive is frozen, so the collector's oldest generation does not walk it mid-request.
            warm_and_freeze()
            quiet()
            load_before = os.getloadavg()[0]
            speed_before = cpu_reference()
            worst[name] = {"api": 0.0, "gap": 0.0}
            for who in ("narrow", "admin"):
                for lang, queries in (("Chinese", ZH_QUERIES), ("English", EN_QUERIES)):
                    for facets in (False, True):
                        before = meter.snapshot()
                        api = time_api(tokens[who], queries, facets=facets, rounds=args.rounds)
                        if name == "tantivy":
                            raw = time_raw(backend, principals[who], queries, facets=facets, rounds=args.rounds)
                        else:
                            raw = time_raw_opensearch(os_client, os_index, backend, principals[who], queries, facets=facets,
                                                      rounds=args.rounds)
                        other = _other_cores(meter, before)
                        api95, raw95 = percentile(api, 95), percentile(raw, 95)
                        if facets:
                            worst[name]["api"] = max(worst[name]["api"], api95)
                        worst[name]["gap"] = max(worst[name]["gap"], api95 - raw95)
                        rows.append([BACKEND_LABEL[name], who, lang, "yes" if facets else "no", len(api),
                                     f"{percentile(api, 50) * 1000:.1f}", f"{api95 * 1000:.1f}",
                                     f"{percentile(raw, 50) * 1000:.1f}", f"{raw95 * 1000:.1f}",
                                     f"{(api95 - raw95) * 1000:.1f}", f"{other:.2f}"])
                        print(" | ".join(str(c) for c in rows[-1]), flush=True)
                        print("    slowest queries (API / raw median, ms): " + slowest(api, raw, queries), flush=True)
            load[name] = (load_before, os.getloadavg()[0])
            speed[name] = (speed_before * 1000, cpu_reference() * 1000)
            if name == "opensearch":
                node_facts["queried"] = opensearch_facts(os_client, os_index, node.pid)
        close_django_connections()

    total = time.perf_counter() - total_started
    indexing, table, verdicts = summarize(backends, indexed, worst, rows, extract_backend, extract_count,
                                          extract_seconds, extract_kinds, streams=args.bulk_streams)
    print("\n" + indexing + "\n\n" + table + "\n")
    for verdict in verdicts:
        print(verdict)
    for name in backends:
        r = indexed[name]
        print(f"{BACKEND_LABEL[name]}: index size {r.size / 2**20:,.0f} MiB (raw engine index {r.raw_size / 2**20:,.0f} MiB)")
    for when, facts in node_facts.items():
        print(f"OpenSearch after {'indexing' if when == 'indexed' else 'the queries'}: {facts.documents:,} documents, "
              f"{facts.size / 2**20:,.0f} MiB in {facts.segments} segments; heap used {facts.heap_used / 2**20:,.0f} "
              f"of {facts.heap_max / 2**20:,.0f} MiB; JVM RSS {facts.rss / 2**20:,.0f} MiB")
    print(f"total time {total:.0f} s")
    if args.write:
        body = render_section(
            args, backends, grants, seeded, narrow_count, admin_count, indexing, table, verdicts, indexed,
            total, load, speed, node_facts, node_info, extract_backend, extract_count,
        )
        write_section("search", body)
        print("BENCHMARKS.md updated")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
