"""The document list under realistic permissions: 100,000 documents, 500,000 grants.

    .venv/bin/python -m bench.document_list                          # full run
    .venv/bin/python -m bench.document_list --docs 10000 --grants 50000 --rounds 10   # a quick look
    .venv/bin/python -m bench.document_list --write                  # also update BENCHMARKS.md

Seeds PostgreSQL database `dossier_bench_list` directly with COPY (no services: seeding speed is
what matters here), runs ANALYZE, then times `GET /api/documents/?page_size=50` through gunicorn
with token auth for a non-admin user who sees about 10% of the documents and for an admin:
the first page and deeper pages reached through the `next` cursor. Queries per page are counted
in-process with CaptureQueriesContext and the test Client.

The data (fixed random seed):
  * 20 departments (each with its auth group), 60 project-team groups, 1000 users (each in its
    department group and 1-3 teams); roles mostly staff/sales/service, 10 admins, 5 compliance;
  * documents: 4% public, 46% internal, 42% confidential, 8% secret; owner uniform, department =
    the owner's; created_at rising with the id (with jitter) over three years; one version each
    (half of them approved, by someone in the owner's department) and 0-3 of 40 tags;
  * grants: 80% user grants, 20% group grants (department or team); 80% of them on
    confidential/secret documents; levels view 50%, download 30%, change 15%, manage 5%;
  * CRM: 2000 customers owned by sales users, 2 account-team members each, --links document links
    (default 20,000; the relationship rule lets owners and teams view linked internal documents).
The non-admin is the candidate (among 40 non-admin users) whose visible count is nearest 10%;
the count is computed with the policy itself and reported exactly.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import os
import random
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests

from bench.common import (
    app_database,
    cleanup_on_exit,
    close_django_connections,
    copy_rows,
    make_workdir,
    postgres_backend_pids,
    reset_sequences,
)
from bench.machine import CpuAccount, wait_until_quiet
from bench.population import CLASSIFICATION_WEIGHTS, DEPARTMENTS, KINDS, TEAMS, choose_users, seed_people, weighted
from bench.report import markdown_table, percentile, write_section
from bench.servers import start_gunicorn

SEED = 20260101
TAGS = 40
CUSTOMERS = 2000
LEVEL_WEIGHTS = (("view_document", 50), ("download_document", 30), ("change_document", 15),
                 ("manage_document", 5))
PAGES_DEEP = 5  # pages 1..5 of every walk


@dataclass
class Seeded:
    users: int
    documents: int
    user_grants: int
    group_grants: int
    seconds: float
    analyze_seconds: float


def seed(*, docs: int, grants: int, users: int, links: int, customers: int = CUSTOMERS) -> Seeded:
    """Write the data set with COPY (`customers` customers, the page benchmark asks for more); returns counts
    and timings."""
    from django.contrib.auth.models import Group, Permission
    from django.db import connection, transaction

    from backend.access.models import DocumentGroupObjectPermission, DocumentUserObjectPermission
    from backend.accounts.models import Department, User
    from backend.crm.models import AccountTeamMember, Customer, DocumentLink
    from backend.documents.models import Document, DocumentVersion, Tag

    rng = random.Random(SEED)
    started = time.perf_counter()
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    span = dt.timedelta(days=3 * 365)
    with transaction.atomic():
        with connection.cursor() as cursor:
            # Rows are consistent by construction; skipping the per-row FK triggers makes the load
            # several times faster. (Local superuser only; session-scoped.)
            cursor.execute("SET LOCAL session_replication_role = replica")
        # groups (departments, then teams), departments, users and their memberships
        people = seed_people(rng, users=users, joined=now - span)
        roles, user_dept = people.roles, people.user_dept

        # tags
        copy_rows(Tag, ["id", "name"], [(t, f"tag-{t:02d}") for t in range(1, TAGS + 1)])

        # documents and their one version
        classifications = weighted(rng, CLASSIFICATION_WEIGHTS, docs)
        owners = [rng.randint(1, users) for _ in range(docs)]
        step = span / docs
        created = [now - span + step * i + dt.timedelta(seconds=rng.randint(0, 3600)) for i in range(1, docs + 1)]
        dept_members: dict[int, list[int]] = {}
        for u, d in user_dept.items():
            dept_members.setdefault(d, []).append(u)

        def document_rows():
            for i in range(1, docs + 1):
                owner = owners[i - 1]
                yield (i, f"Document {i} {rng.choice(KINDS)}", rng.choice(KINDS), classifications[i - 1], "",
                       created[i - 1], created[i - 1], 1, owner, user_dept[owner], i)

        copy_rows(Document, ["id", "title", "kind", "classification", "description", "created_at", "updated_at",
                             "version_count", "owner_id", "department_id", "valid_version_id"], document_rows())

        def version_rows():
            for i in range(1, docs + 1):
                digest = hashlib.sha256(str(i).encode()).hexdigest()
                owner = owners[i - 1]
                approved = rng.random() < 0.5
                approver = rng.choice(dept_members[user_dept[owner]]) if approved else None
                yield (i, i, 1, f"sha256/{digest[:2]}/{digest[2:4]}/{digest}", digest, rng.randint(10_000, 5_000_000),
                       "application/pdf", f"document-{i}.pdf", f"document-{i}.pdf", "",
                       "approved" if approved else "draft", owner, created[i - 1],
                       approver, created[i - 1] if approved else None)

        copy_rows(DocumentVersion, ["id", "document_id", "number", "object_key", "sha256", "size", "mime_type",
                                    "original_filename", "filename", "comment", "status", "uploaded_by_id",
                                    "created_at", "approved_by_id", "approved_at"], version_rows())

        def tag_rows():
            for i in range(1, docs + 1):
                for t in rng.sample(range(1, TAGS + 1), rng.randint(0, 3)):
                    yield (i, t)

        copy_rows(Document.tags.through, ["document_id", "tag_id"], tag_rows())

        # grants
        perms = dict(Permission.objects.filter(content_type__app_label="documents",
                                               content_type__model="document").values_list("codename", "id"))
        restricted = [i for i in range(1, docs + 1) if classifications[i - 1] in ("confidential", "secret")]
        n_user = grants * 4 // 5
        n_group = grants - n_user

        def pick_doc() -> int:
            return rng.choice(restricted) if rng.random() < 0.8 else rng.randint(1, docs)

        def unique_grants(n: int, principal) -> list[tuple[int, int, int]]:
            seen: set[tuple[int, int, int]] = set()
            while len(seen) < n:
                level = weighted(rng, LEVEL_WEIGHTS, 1)[0]
                seen.add((principal(), perms[level], pick_doc()))
            return sorted(seen, key=lambda row: row[2])  # stored roughly in document order

        user_grant_rows = unique_grants(n_user, lambda: rng.randint(1, users))
        copy_rows(DocumentUserObjectPermission, ["user_id", "permission_id", "content_object_id"], user_grant_rows)
        group_grant_rows = unique_grants(n_group, lambda: rng.randint(1, DEPARTMENTS + TEAMS))
        copy_rows(DocumentGroupObjectPermission, ["group_id", "permission_id", "content_object_id"], group_grant_rows)

        # CRM: customers, account teams, document links
        sales = [u for u in range(1, users + 1) if roles[u - 1] == "sales"] or list(range(1, users + 1))
        copy_rows(Customer, ["id", "name", "owner_id", "region"],
                  [(c, f"Customer {c:04d}", rng.choice(sales), f"R{c % 7}") for c in range(1, customers + 1)])
        team_rows = set()
        for c in range(1, customers + 1):
            for u in rng.sample(range(1, users + 1), 2):
                team_rows.add((c, u))
        copy_rows(AccountTeamMember, ["customer_id", "user_id", "role"], [(c, u, "member") for c, u in team_rows])
        link_rows = [(rng.randint(1, docs), rng.randint(1, customers), "customer", rng.randint(1, users))
                     for _ in range(links)]
        copy_rows(DocumentLink, ["document_id", "customer_id", "target_type", "created_by_id"], link_rows)

        reset_sequences(Group, Department, User, Tag, Document, DocumentVersion, DocumentUserObjectPermission,
                        DocumentGroupObjectPermission, Customer, AccountTeamMember, DocumentLink)
    seeded = time.perf_counter() - started
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return Seeded(users=users, documents=docs, user_grants=len(user_grant_rows), group_grants=len(group_grant_rows),
                  seconds=seeded, analyze_seconds=time.perf_counter() - started)


def token_for(user) -> str:
    from backend.accounts.services import api_token_issue

    return api_token_issue(user=user)


def queries_per_page(token: str, pages: int) -> tuple[list[int], list[float], str]:
    """In-process: queries for pages 1..pages (following `next`), the SQL time of each page's
    biggest query, and the SQL of the first page's biggest query (for EXPLAIN)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_AUTHORIZATION=f"Token {token}")
    url = "/api/documents/?page_size=50"
    counts, sql_first = [], ""
    slowest = []
    for page in range(pages):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200, response.content[:300]
        counts.append(len(captured.captured_queries))
        biggest = max(captured.captured_queries, key=lambda q: float(q["time"]))
        slowest.append(float(biggest["time"]))
        if page == 0:
            sql_first = max(captured.captured_queries, key=lambda q: len(q["sql"]))["sql"]
        body = response.json()
        if not body["next"]:
            break
        parts = urlsplit(body["next"])
        url = f"{parts.path}?{parts.query}"
    return counts, slowest, sql_first


def explain(sql: str) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


def _next_path(body: dict) -> str | None:
    if not body.get("next"):
        return None
    parts = urlsplit(body["next"])
    return f"{parts.path}?{parts.query}"


def time_pages(base_url: str, tokens: dict[str, str], rounds: int, warmup: int = 5):
    """Each round walks pages 1..PAGES_DEEP for every user in turn (interleaved, so background noise
    hits both alike). Returns {user: {"first": [s...], "deeper": [s...]}} and the rows seen."""
    sessions = {}
    for name, token in tokens.items():
        session = requests.Session()
        session.headers["Authorization"] = f"Token {token}"
        sessions[name] = session
    timings = {name: {"first": [], "deeper": []} for name in tokens}
    for round_no in range(warmup + rounds):
        for name, session in sessions.items():
            path = "/api/documents/?page_size=50"
            for page in range(PAGES_DEEP):
                started = time.perf_counter()
                response = session.get(base_url + path)
                elapsed = time.perf_counter() - started
                if response.status_code != 200:
                    raise RuntimeError(f"{name}: {response.status_code} {response.text[:300]}")
                body = response.json()
                if round_no >= warmup:
                    timings[name]["first" if page == 0 else "deeper"].append(elapsed)
                path = _next_path(body)
                if path is None:
                    break
    return timings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--grants", type=int, default=500_000)
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--links", type=int, default=20_000, help="CRM document links (default 20,000)")
    parser.add_argument("--quiet-wait", type=float, default=60.0,
                        help="wait up to this many seconds for other processes to use < 0.3 cores before "
                             "timing (default 60; 0 disables)")
    parser.add_argument("--rounds", type=int, default=50,
                        help=f"page walks per user; each walk is {PAGES_DEEP} requests (default 50 -> 250)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--database", default="dossier_bench_list")
    parser.add_argument("--write", action="store_true", help="update the document-list section of BENCHMARKS.md")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    args = parser.parse_args(argv)

    total_started = time.perf_counter()
    with cleanup_on_exit() as stack:
        workdir = make_workdir(stack, "bench-list", keep=args.keep)
        env = app_database(stack, args.database, keep=args.keep, storage_url=f"file://{workdir / 'objects'}",
                           data_dir=workdir / "data", CELERY_BROKER_URL="memory://")
        print(f"seeding {args.docs} documents, {args.grants} grants, {args.users} users ...", flush=True)
        seeded = seed(docs=args.docs, grants=args.grants, users=args.users, links=args.links)
        print(f"seeded in {seeded.seconds:.1f} s, ANALYZE {seeded.analyze_seconds:.1f} s", flush=True)
        chosen, chosen_count, admin, admin_count = choose_users(args.docs)
        print(f"non-admin {chosen.username} ({chosen.role}) sees {chosen_count} documents "
              f"({chosen_count / args.docs:.1%}); admin {admin.username} sees {admin_count} "
              f"({admin_count / args.docs:.1%})", flush=True)
        tokens = {"non-admin": token_for(chosen), "admin": token_for(admin)}

        query_counts, sql_times, plans = {}, {}, {}
        for name, token in tokens.items():
            counts, slowest, sql = queries_per_page(token, PAGES_DEEP)
            query_counts[name], sql_times[name] = counts, slowest
            plans[name] = explain(sql)
        close_django_connections()
        for name in tokens:
            print(f"{name}: queries per page {query_counts[name]}; page query "
                  f"{[round(s * 1000, 1) for s in sql_times[name]]} ms", flush=True)

        server = start_gunicorn(stack, env, workdir / "gunicorn", workers=args.workers, threads=args.threads)
        print(f"gunicorn at {server.base_url}; timing {args.rounds} walks of {PAGES_DEEP} pages per user ...",
              flush=True)
        if args.quiet_wait:
            wait_until_quiet(args.quiet_wait, exclude=[*server.pids(), os.getpid()])
        # Persistent connections: after a warm-up walk the backends serving gunicorn are known.
        time_pages(server.base_url, tokens, rounds=0, warmup=1)
        backends = postgres_backend_pids(args.database)
        account = CpuAccount({"gunicorn": server.pids, "postgres": lambda: backends, "client": lambda: [os.getpid()]})
        before = account.snapshot()
        timings = time_pages(server.base_url, tokens, args.rounds)
        cpu = CpuAccount.delta(before, account.snapshot())
        other_load = cpu["other"] / cpu["wall"]
        print(f"CPU while timing: gunicorn {cpu['gunicorn']:.1f} s, PostgreSQL {cpu['postgres']:.1f} s, client "
              f"{cpu['client']:.1f} s over {cpu['wall']:.1f} s; unrelated processes {other_load:.2f} cores", flush=True)

    rows, p95_all = [], {}
    for name in tokens:
        first, deeper = timings[name]["first"], timings[name]["deeper"]
        both = first + deeper
        p95_all[name] = percentile(both, 95)
        count = chosen_count if name == "non-admin" else admin_count
        for label, values in (("page 1", first), (f"pages 2-{PAGES_DEEP}", deeper), ("all", both)):
            rows.append([name, f"{count} ({count / args.docs:.1%})", label, len(values),
                         f"{percentile(values, 50) * 1000:.1f}", f"{percentile(values, 95) * 1000:.1f}",
                         f"{max(values) * 1000:.1f}", max(query_counts[name]) if label == "all" else ""])
    table = markdown_table(["user", "visible docs", "pages", "requests", "p50 (ms)", "p95 (ms)", "max (ms)",
                            "queries/page"], rows)
    ratio = p95_all["non-admin"] / p95_all["admin"]
    worst_p95 = max(p95_all.values())
    worst_queries = max(max(c) for c in query_counts.values())
    verdicts = [
        f"p95 ≤ 150 ms: {'met' if worst_p95 <= 0.150 else 'missed'} (worst {worst_p95 * 1000:.1f} ms).",
        f"≤ 6 queries per page: {'met' if worst_queries <= 6 else 'missed'} ({worst_queries}).",
        f"non-admin p95 ≤ 1.5 × admin p95: {'met' if ratio <= 1.5 else 'missed'} ({ratio:.2f}×).",
    ]
    print("\n" + table + "\n")
    for v in verdicts:
        print(v)
    for name, plan in plans.items():
        print(f"\nEXPLAIN ANALYZE, first page, {name}:\n{plan}")
    print(f"\ntotal time {time.perf_counter() - total_started:.0f} s")
    if args.write:
        plan_lines = {name: _plan_summary(plan) for name, plan in plans.items()}
        write_section("document_list",
                      render_section(args, seeded, table, verdicts, plan_lines, chosen, admin, other_load))
        print("BENCHMARKS.md updated")
    return 0


def _plan_summary(plan: str) -> str:
    lines = [line for line in plan.splitlines() if "Execution Time" in line or "Planning Time" in line]
    return "; ".join(line.strip() for line in lines)


def render_section(args, seeded: Seeded, table, verdicts, plan_lines, chosen, admin, other_load) -> str:
    return (
        f"## Document list: {args.docs:,} documents, {args.grants:,} grants\n\n"
        f"Measured {time.strftime('%Y-%m-%d %H:%M %Z')}. "
        f"Command: `.venv/bin/python -m bench.document_list --docs {args.docs} --grants {args.grants} "
        f"--users {args.users} --links {args.links} --rounds {args.rounds} --write`\n\n"
        f"Seeded {seeded.documents:,} documents (one version each), {seeded.user_grants:,} user and "
        f"{seeded.group_grants:,} group grants, {seeded.users:,} users with COPY in {seeded.seconds:.1f} s "
        f"(ANALYZE {seeded.analyze_seconds:.1f} s). gunicorn gthread {args.workers}×{args.threads}, token auth, "
        f"`GET /api/documents/?page_size=50`; each walk requests page 1 then follows `next` to page "
        f"{PAGES_DEEP}; the two users' walks are interleaved. Non-admin: `{chosen.username}` (role "
        f"{chosen.role}); admin: `{admin.username}`. {args.links:,} CRM document links. Unrelated processes "
        f"used {other_load:.2f} cores while timing.\n\n"
        f"{table}\n\n" + "\n".join(f"- {v}" for v in verdicts) + "\n\n"
        "Page query, first page, `EXPLAIN (ANALYZE, BUFFERS)` in-process: "
        + "; ".join(f"{name}: {line}" for name, line in plan_lines.items()) + "\n"
    )


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        raise SystemExit(main())
