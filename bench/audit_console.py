"""The compliance console on a large audit trail: 10 million events on PostgreSQL.

    .venv/bin/python -m bench.audit_console                  # full run (10,000,000 events)
    .venv/bin/python -m bench.audit_console --events 1000000 --rounds 10   # a quick look
    .venv/bin/python -m bench.audit_console --write          # also update BENCHMARKS.md

Seeds database `dossier_bench_console` with `INSERT … SELECT generate_series(…)` in SQL (one
statement per million rows; the table's secondary indexes are dropped for the load and rebuilt
afterwards with exactly their migrated definitions, then ANALYZE), and times the console's pages
in-process through Django's test client, signed in as a compliance officer: every view, middleware,
template and query of a real request, without the network.

The rows are plausible, not random noise: a year of activity, one event every ~3 s with ids rising
with time; 1,000 users (a few much busier than the rest), 13 event types weighted like real use
(views and downloads dominate), 80% about one of 200,000 documents, 40% carrying a customer id (of
5,000), 70% with a client IP (of ~65,000 addresses), 1.5% denied and 0.5% failed outcomes.

**The hash chain is not computed for the bench.** Each row gets a unique placeholder hash
(sha256 of its id) and the previous row's placeholder as prev_hash, so the unique index and the
column widths are real, but `audit_chain_verify` would report the chain broken at event #1. The
console's pages never read hashes for filtering, so their timings are unaffected; verification
speed is benchmarked by the audit app's own bench.

Measured, per page: p50 and p95 of `--rounds` requests (after one warm-up), the number of SQL
queries, and that none of them counts rows. Then a full CSV export of the whole trail, streamed
through the view, with the process's RSS sampled throughout (the export must stay flat).
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

import psutil

from bench.common import (
    base_env,
    cleanup_on_exit,
    close_django_connections,
    create_database,
    database_url,
    django_setup,
    drop_database,
    make_workdir,
    migrate,
    postgres_version,
)
from bench.report import fmt_mib, markdown_table, percentile, write_section

DATABASE = "dossier_bench_console"
TABLE = "audit_auditevent"
USERS = 1000
DOCUMENTS = 200_000
CUSTOMERS = 5_000
BATCH = 1_000_000
START = dt.datetime(2025, 11, 1, tzinfo=dt.timezone.utc)
SPAN_SECONDS = 365 * 24 * 3600

EVENT_TYPES = [  # (name, weight out of 100)
    ("document.viewed", 38), ("document.version.downloaded", 22), ("document.access.listed", 3),
    ("document.version.uploaded", 6), ("document.created", 3), ("document.updated", 4),
    ("document.checked_out", 3), ("document.checked_in", 3), ("document.version.status_changed", 3),
    ("crm.quote.created", 4), ("crm.opportunity.stage_changed", 4), ("crm.activity.logged", 5),
    ("web.signed_in", 2),
]


def _event_type_case() -> str:
    """SQL CASE picking an event type by weight from a value 0..99."""
    parts, upto = [], 0
    for name, weight in EVENT_TYPES:
        upto += weight
        parts.append(f"WHEN w < {upto} THEN '{name}'")
    return "CASE " + " ".join(parts) + f" ELSE '{EVENT_TYPES[0][0]}' END"


def seed_users(cursor) -> None:
    cursor.execute(
        """
        INSERT INTO accounts_user (id, password, is_superuser, username, first_name, last_name, email, is_staff,
                                   is_active, date_joined, display_name, role, preferred_language)
        SELECT g, '!', false, 'user' || g, '', '', '', false, true, now(), '用户 ' || g,
               CASE WHEN g = 1 THEN 'compliance' WHEN mod(g, 10) = 0 THEN 'sales' ELSE 'staff' END, 'en'
        FROM generate_series(1, %s) g
        """,
        [USERS],
    )
    cursor.execute("SELECT setval(pg_get_serial_sequence('accounts_user', 'id'), %s)", [USERS])


def secondary_indexes(cursor) -> tuple[list[str], list[tuple[str, str]]]:
    """(CREATE INDEX statements, (constraint name, definition)) of the table, the primary key excepted."""
    cursor.execute(
        """
        SELECT i.indexname, i.indexdef, c.conname, pg_get_constraintdef(c.oid)
        FROM pg_indexes i LEFT JOIN pg_constraint c ON c.conname = i.indexname
        WHERE i.tablename = %s AND i.indexname <> %s
        """,
        [TABLE, f"{TABLE}_pkey"],
    )
    plain, constraints = [], []
    for name, definition, constraint, constraint_def in cursor.fetchall():
        if constraint:
            constraints.append((constraint, constraint_def))
        else:
            plain.append((name, definition))
    return plain, constraints


def seed_events(cursor, total: int, log) -> dict[str, float]:
    timings = {}
    plain, constraints = secondary_indexes(cursor)
    for name, _ in plain:
        cursor.execute(f'DROP INDEX "{name}"')
    for name, _ in constraints:
        cursor.execute(f'ALTER TABLE {TABLE} DROP CONSTRAINT "{name}"')
    step = SPAN_SECONDS / total
    started = time.perf_counter()
    for first in range(1, total + 1, BATCH):
        last = min(total, first + BATCH - 1)
        cursor.execute(
            f"""
            INSERT INTO {TABLE} (id, occurred_at, event_type, actor_id, actor_label, ip, user_agent, request_id,
                                 target_type, target_id, target_label, customer_id, outcome, detail, prev_hash, hash)
            SELECT g,
                   %(start)s::timestamptz + make_interval(secs => g * %(step)s),
                   {_event_type_case()},
                   u, 'user' || u,
                   CASE WHEN h % 10 < 7 THEN ('10.' || (h % 256) || '.' || ((h / 256) % 256) || '.' || (u % 250 + 1))::inet END,
                   'Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0', md5(g::text),
                   CASE WHEN h % 10 < 8 THEN 'documents.document' ELSE 'crm.customer' END,
                   CASE WHEN h % 10 < 8 THEN ((h / 7) % {DOCUMENTS} + 1)::text ELSE ((h / 11) % {CUSTOMERS} + 1)::text END,
                   CASE WHEN h % 10 < 8 THEN '合同 Contract ' || ((h / 7) % {DOCUMENTS} + 1) ELSE '客户 ' || ((h / 11) % {CUSTOMERS} + 1) END,
                   CASE WHEN h % 5 < 2 THEN (h / 13) % {CUSTOMERS} + 1 END,
                   CASE WHEN h % 1000 < 15 THEN 'denied' WHEN h % 1000 < 20 THEN 'failure' ELSE 'success' END,
                   jsonb_build_object('version', h % 5 + 1),
                   CASE WHEN g = 1 THEN repeat('0', 64) ELSE encode(sha256((g - 1)::text::bytea), 'hex') END,
                   encode(sha256(g::text::bytea), 'hex')
            FROM (
                SELECT g,
                       abs(hashint8(g)) AS h,
                       abs(hashint8(g * 31)) % 100 AS w,
                       -- a few busy people: a quarter of all events belong to 20 users
                       CASE WHEN abs(hashint8(g * 17)) % 4 = 0 THEN abs(hashint8(g * 19)) % 20 + 1
                            ELSE abs(hashint8(g * 23)) % {USERS} + 1 END AS u
                FROM generate_series(%(first)s::bigint, %(last)s::bigint) g
            ) s
            """.replace(" % ", " %% "),  # SQL modulo, not a placeholder
            {"start": START, "step": step, "first": first, "last": last},
        )
        log(f"  inserted {last:,} events ({time.perf_counter() - started:.0f} s)")
    timings["insert"] = time.perf_counter() - started
    started = time.perf_counter()
    cursor.execute("SET maintenance_work_mem = '512MB'")
    for name, definition in plain:
        cursor.execute(definition)
        log(f"  rebuilt {name} ({time.perf_counter() - started:.0f} s)")
    for name, definition in constraints:
        cursor.execute(f'ALTER TABLE {TABLE} ADD CONSTRAINT "{name}" {definition}')
        log(f"  rebuilt {name} ({time.perf_counter() - started:.0f} s)")
    timings["indexes"] = time.perf_counter() - started
    started = time.perf_counter()
    cursor.execute(f"VACUUM (ANALYZE) {TABLE}")
    timings["analyze"] = time.perf_counter() - started
    return timings


def cases(total: int, busy_user: str, quiet_user: str, document: int, day: dt.date) -> list[tuple[str, str]]:
    deep = total // 10  # a cursor nine tenths of the way back in history
    day_s = day.isoformat()
    return [
        ("everything, first page", "/compliance/"),
        ("everything, deep page", f"/compliance/?before={deep}"),
        ("by user (busy), first page", f"/compliance/?user={busy_user}"),
        ("by user (busy), deep page", f"/compliance/?user={busy_user}&before={deep}"),
        ("by user (quiet), first page", f"/compliance/?user={quiet_user}"),
        ("by document, first page", f"/compliance/?document={document}"),
        ("by document, deep page", f"/compliance/?document={document}&before={total // 2}"),
        ("by date range (one day), first page", f"/compliance/?date_from={day_s}&date_to={day_s}"),
        ("by date range (one month), deep page",
         f"/compliance/?date_from={(day - dt.timedelta(days=30)).isoformat()}&date_to={day_s}&before=DEEP_IN_RANGE"),
        ("user + date range (one month)", f"/compliance/?user={quiet_user}&date_from={(day - dt.timedelta(days=30)).isoformat()}"
                                          f"&date_to={day_s}"),
        ("by outcome = denied", "/compliance/?outcome=denied"),
        ("by IP address", "/compliance/?ip=10.1.2.3"),
        ("by action", "/compliance/?action=document.checked_out"),
        ("what did a user access (one month)", f"/compliance/user-access/?user={quiet_user}"
                                               f"&date_from={(day - dt.timedelta(days=30)).isoformat()}&date_to={day_s}"),
    ]


def time_pages(client, page_cases, rounds: int) -> list[list[object]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    rows = []
    for label, url in page_cases:
        client.get(url)  # warm-up
        samples = []
        for _ in range(rounds):
            started = time.perf_counter()
            response = client.get(url)
            samples.append(time.perf_counter() - started)
            assert response.status_code == 200, (url, response.status_code)
        with CaptureQueriesContext(connection) as captured:
            client.get(url)
        # a paginator's total (COUNT(*)); the grouped counts of "what did a user access" are per target
        counted = any("COUNT(*)" in query["sql"].upper() for query in captured.captured_queries)
        shown = response.content.decode().count('<td class="mono small"><a href="/compliance/events/')
        rows.append([label, f"`{url}`", shown, f"{percentile(samples, 50) * 1000:.1f}",
                     f"{percentile(samples, 95) * 1000:.1f}", len(captured.captured_queries),
                     "yes" if counted else "no"])
        print(f"  {label:42} p50 {rows[-1][3]:>7} ms  p95 {rows[-1][4]:>7} ms  {rows[-1][5]} queries")
    return rows


def time_export(client, export_format: str, query: str = "") -> dict[str, float]:
    """Stream the whole export through the view; RSS of this process sampled every 20 pieces (~5 MB)."""
    process = psutil.Process()
    before = process.memory_info().rss
    started = time.perf_counter()
    response = client.get(f"/compliance/export.{export_format}{query}")
    first_byte = None
    size = lines = 0
    peak = before
    samples = []
    for chunk in response.streaming_content:
        if first_byte is None:
            first_byte = time.perf_counter() - started
        size += len(chunk)
        lines += 1
        if lines % 20 == 0:
            rss = process.memory_info().rss
            peak = max(peak, rss)
            samples.append(rss)
    elapsed = time.perf_counter() - started
    return {"seconds": elapsed, "first_byte": first_byte or 0.0, "bytes": size, "chunks": lines,
            "rss_before": before, "rss_peak": peak, "rss_first": samples[0] if samples else before,
            "rss_last": samples[-1] if samples else before}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--write", action="store_true", help="update the Compliance console section of BENCHMARKS.md")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="reuse an already seeded database (skip seeding; needs a PostgreSQL that "
                             "outlives the run, see BENCH_PG_HOST/BENCH_PG_PORT in bench/README.md)")
    args = parser.parse_args()
    log = print

    with cleanup_on_exit() as stack:
        workdir = make_workdir(stack, "console")
        # The database lives where every bench script's does (bench.common.postgres_server: the
        # configured server, else a throwaway cluster discarded with this stack).
        database = database_url(DATABASE) if args.reuse else create_database(DATABASE)
        env = base_env(database=database, storage_url=f"file://{workdir / 'objects'}", data_dir=workdir)
        seeding: dict[str, float] = {}
        if not args.reuse:
            seeding["migrate"] = migrate(env)
        if not args.keep:
            stack.callback(drop_database, DATABASE)
        django_setup(env)
        stack.callback(close_django_connections)
        from django.db import connection
        from django.test import Client

        if not args.reuse:
            log(f"seeding {args.events:,} audit events …")
            started = time.perf_counter()
            with connection.cursor() as cursor:
                seed_users(cursor)
                seeding.update(seed_events(cursor, args.events, log))
            seeding["total"] = time.perf_counter() - started
            log(f"seeded in {seeding['total']:.0f} s")
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT pg_total_relation_size('{TABLE}'), pg_relation_size('{TABLE}')")
            total_size, heap_size = cursor.fetchone()
            cursor.execute(f"SELECT max(id) FROM {TABLE}")
            total = cursor.fetchone()[0]
            cursor.execute(f"SELECT target_id FROM {TABLE} WHERE target_type = 'documents.document' "
                           f"ORDER BY id DESC LIMIT 1")
            document = int(cursor.fetchone()[0])
            cursor.execute(f"SELECT occurred_at FROM {TABLE} WHERE id = %s", [total // 2])
            middle = cursor.fetchone()[0]

        from django.utils import timezone

        from backend.accounts.models import User

        day = timezone.localtime(middle).date()
        officer = User.objects.get(pk=1)
        client = Client()
        client.force_login(officer)
        page_cases = cases(total, "user3", "user777", document, day)
        # a cursor deep inside the month range: the id at two thirds of the month
        month_start = timezone.make_aware(dt.datetime.combine(day - dt.timedelta(days=30), dt.time.min))
        from backend.audit.models import AuditEvent

        low = AuditEvent.objects.filter(occurred_at__gte=month_start).order_by("occurred_at", "id").values_list(
            "id", flat=True).first()
        deep_in_range = low + (total // 2 - low) // 3
        page_cases = [(label, url.replace("DEEP_IN_RANGE", str(deep_in_range))) for label, url in page_cases]

        log(f"timing pages ({args.rounds} rounds each) …")
        page_rows = time_pages(client, page_cases, args.rounds)
        log("exporting the whole trail as CSV …")
        export = time_export(client, "csv")
        log(f"  {export['bytes'] / 1e9:.2f} GB in {export['seconds']:.0f} s; RSS {fmt_mib(export['rss_before'])} → "
            f"peak {fmt_mib(export['rss_peak'])} MiB")
        log("exporting one month of one user as JSON …")
        export_json = time_export(client, "json", f"?user=user777&date_from={(day - dt.timedelta(days=30)).isoformat()}"
                                                  f"&date_to={day.isoformat()}")

        worst = max(float(row[4]) for row in page_rows)
        body = "\n".join([
            "## Compliance console",
            "",
            f"`bench/audit_console.py`: {total:,} audit events on PostgreSQL {postgres_version()} "
            f"(table {total_size / 2**30:.1f} GiB with indexes, heap {heap_size / 2**30:.1f} GiB), seeded with "
            "`INSERT … SELECT generate_series` in SQL"
            + (f" in {seeding['total']:.0f} s (insert {seeding['insert']:.0f} s, index rebuild "
               f"{seeding['indexes']:.0f} s, vacuum/analyze {seeding['analyze']:.0f} s)." if seeding else "."),
            "The hash chain is **not** computed for the bench (placeholder hashes, unique per row; "
            "verification is skipped): the console never filters on hashes.",
            "Pages are requested in-process through Django's test client, signed in as a compliance officer "
            f"(views, middleware, templates and SQL; no network), {args.rounds} rounds after a warm-up. "
            "50 events a page, keyset pagination on id, no COUNT.",
            "",
            markdown_table(["page", "URL", "rows", "p50 ms", "p95 ms", "queries", "COUNT(*)?"], page_rows),
            "",
            f"Worst p95: **{worst:.1f} ms** (target ≤ 200 ms).",
            "",
            "Exports stream over `QuerySet.iterator()` (a server-side cursor) through `StreamingHttpResponse`:",
            "",
            markdown_table(
                ["export", "size", "time", "first byte", "RSS before", "RSS after 5 MB", "RSS at the end",
                 "RSS peak"],
                [["whole trail, CSV", f"{export['bytes'] / 1e9:.2f} GB", f"{export['seconds']:.0f} s",
                  f"{export['first_byte'] * 1000:.0f} ms", f"{fmt_mib(export['rss_before'])} MiB",
                  f"{fmt_mib(export['rss_first'])} MiB", f"{fmt_mib(export['rss_last'])} MiB",
                  f"{fmt_mib(export['rss_peak'])} MiB"],
                 ["one user, one month, JSON", f"{export_json['bytes'] / 1e6:.1f} MB",
                  f"{export_json['seconds']:.1f} s", f"{export_json['first_byte'] * 1000:.0f} ms",
                  f"{fmt_mib(export_json['rss_before'])} MiB", f"{fmt_mib(export_json['rss_first'])} MiB",
                  f"{fmt_mib(export_json['rss_last'])} MiB", f"{fmt_mib(export_json['rss_peak'])} MiB"]],
            ),
            "",
            "How it stays fast (see `backend/audit/console.py`): every filter has an index ending in id (migration "
            "`audit.0003` adds the IP and not-success ones), so a page is one backwards index walk that stops after "
            "51 rows; date ranges are turned into id ranges with two probes of the (occurred_at, id) index, which "
            "lets them combine with any other filter's index. The table is not partitioned: at 10 million rows no "
            "query needs it.",
        ])
        print()
        print(body)
        if args.write:
            path = write_section("compliance-console", body)
            log(f"wrote {path}")


if __name__ == "__main__":
    main()
