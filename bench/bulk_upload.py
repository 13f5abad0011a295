"""Bulk upload through the staff UI's endpoint: 1,000 files of 100 KB, each its own new document.

    .venv/bin/python -m bench.bulk_upload                    # 1,000 files of 100 KB (~1-2 min)
    .venv/bin/python -m bench.bulk_upload --files 50 --size 20000   # a quick look
    .venv/bin/python -m bench.bulk_upload --write            # also update BENCHMARKS.md

What the new-document page's script (web/static/web/upload.js) does for each dropped file, from
`--parallel` client threads (the page sends 3 at a time): `POST /documents/new/upload/` with the file as
the raw body, its details in the query string (title, kind, classification, tags, customer), an
`Idempotency-Key`, `X-Content-SHA256`, the session cookie and the CSRF header. Every file is a
distinct PDF (no duplicates), so every request creates a document, links it to a customer and answers 201.

The server is gunicorn (`backend.wsgi`, gthread, `--workers` × `--threads`, as `./dossier demo` runs
it) on a fresh, migrated PostgreSQL database, with the local file store (`file://`) and Celery tasks
(search indexing) sent to `memory://`, a broker nobody consumes, as in production where a worker does
that work elsewhere. The RSS of gunicorn's master and workers is sampled every 20 ms: the baseline is
taken after a warm-up of `--warmup` files, the growth is the peak during the run minus that baseline
(target ≤ 64 MiB). The CPU of gunicorn, of the PostgreSQL cluster (its backends, also those whose
connection closed meanwhile) and of the client is accounted, and so is what every other process on the
(shared) machine used meanwhile.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

import requests

from bench.common import MiB, app_database, cleanup_on_exit, close_django_connections, make_workdir
from bench.machine import CpuAccount, RssSampler
from bench.report import markdown_table, percentile, write_section
from bench.servers import start_gunicorn

RSS_TARGET = 64 * MiB
URL = "/documents/new/upload/"


def pdf_bytes(n: int, size: int) -> bytes:
    """A small valid PDF of exactly `size` bytes (padded in a comment), different for every n."""
    text = f"Bulk upload file {n}"
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    seed = hashlib.sha256(str(n).encode()).hexdigest()

    def build(pad: bytes) -> bytearray:
        out = bytearray(b"%PDF-1.4\n" + pad)  # comment lines (ignored by readers), unique per file
        offsets = []
        for i, body in enumerate(objects, start=1):
            offsets.append(len(out))
            out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
        xref = len(out)
        out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
        for offset in offsets:
            out += f"{offset:010d} 00000 n \n".encode()
        out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
        return out

    bare = len(build(b""))
    pad = bytearray()
    while len(pad) < size - bare:
        pad += f"% {seed} {len(pad)}\n".encode()
    pad = pad[: max(0, size - bare)]
    out = build(bytes(pad))
    if len(out) > size and pad:  # startxref grew by a digit or more
        pad = pad[: max(0, len(pad) - (len(out) - size))]
        out = build(bytes(pad))
    if pad:
        pad[-1:] = b"\n"
        out = build(bytes(pad))
    return bytes(out)


def signed_in_session(base_url: str, user) -> requests.Session:
    """A session as a signed-in browser has it: the session cookie (made in-process on the same database and
    secret key as the server) and a CSRF cookie with its header."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    session = requests.Session()
    session.cookies.set(settings.SESSION_COOKIE_NAME, client.cookies[settings.SESSION_COOKIE_NAME].value)
    token = secrets.token_hex(16)  # 32 characters: a CSRF secret as Django's cookie holds it
    session.cookies.set(settings.CSRF_COOKIE_NAME, token)
    session.headers.update({"X-CSRFToken": token, "X-Requested-With": "XMLHttpRequest",
                            "Accept": "application/json"})
    return session


def postmaster_process(database: str):
    """The PostgreSQL server process of the cluster holding `database` (the parent of a backend)."""
    import psycopg
    import psutil

    from bench.common import postgres_server

    server = postgres_server()
    with psycopg.connect(host=server.host, port=server.port, user=server.user, dbname=database) as conn:
        backend = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        # asked while the connection is open: once it closes, the backend process exits
        return psutil.Process(backend).parent()


def cluster_cpu(postmaster) -> float:
    """CPU seconds of the whole cluster: the server process, its live children, and the children it has reaped
    (a backend whose connection closed). On a shared server this counts other databases' work too."""
    import psutil

    times = postmaster.cpu_times()
    total = times.user + times.system + times.children_user + times.children_system
    for child in postmaster.children():
        with contextlib.suppress(psutil.NoSuchProcess):
            child_times = child.cpu_times()
            total += child_times.user + child_times.system
    return total


def seed_uploader():
    """A sales rep in a department, and a customer of theirs to link the batch to (through the services)."""
    from backend.accounts.models import Role
    from backend.accounts.services import department_create, user_create
    from backend.crm.models import Customer

    department = department_create(actor=None, code="sales-east", name="Sales East")
    user = user_create(actor=None, username="uploader", role=Role.SALES, department=department,
                       display_name="Uploader")
    customer = Customer.objects.create(name="Bulk Upload Customer", owner=user, region="East")
    return user, customer


def upload_all(base_url: str, sessions: list[requests.Session], numbers: range, size: int, customer_id: int,
               parallel: int) -> tuple[list[float], dict[int, int]]:
    """Send files `numbers`, `parallel` at a time; (per-file seconds, answers by status)."""
    local = threading.local()
    lock = threading.Lock()
    statuses: dict[int, int] = {}
    latencies: list[float] = []
    counter = iter(range(len(sessions) * 1000))

    def one(n: int) -> None:
        if not hasattr(local, "session"):
            with lock:
                local.session = sessions[next(counter) % len(sessions)]
        body = pdf_bytes(n, size)
        query = urlencode({"title": f"Bulk file {n}", "kind": "contract", "classification": "internal",
                           "tags": "bulk, bench", "customer": customer_id})
        headers = {"Content-Type": "application/pdf", "Idempotency-Key": f"bench-bulk-{n}",
                   "Content-Disposition": f"attachment; filename*=UTF-8''bulk-{n}.pdf",
                   "X-Content-SHA256": hashlib.sha256(body).hexdigest()}
        started = time.perf_counter()
        response = local.session.post(f"{base_url}{URL}?{query}", data=body, headers=headers, timeout=120)
        elapsed = time.perf_counter() - started
        with lock:
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            latencies.append(elapsed)
            if response.status_code != 201 and statuses[response.status_code] <= 3:
                print(f"  file {n}: {response.status_code} {response.text[:300]}", flush=True)

    with ThreadPoolExecutor(max_workers=parallel) as pool:
        list(pool.map(one, numbers))
    return latencies, statuses


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--size", type=int, default=100_000, help="bytes per file (default 100,000)")
    parser.add_argument("--warmup", type=int, default=30, help="files sent before the RSS baseline (default 30)")
    parser.add_argument("--parallel", type=int, default=3, help="files in flight at once (the page sends 3)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--database", default="dossier_bench_bulk_upload")
    parser.add_argument("--json", type=Path, help="also write the results as JSON to this file")
    parser.add_argument("--write", action="store_true", help="update the bulk-upload section of BENCHMARKS.md")
    parser.add_argument("--from-json", type=Path,
                        help="measure nothing: report (and with --write, write) the result a --json run saved")
    args = parser.parse_args(argv)
    if args.from_json:
        saved = json.loads(args.from_json.read_text())
        saved.setdefault("measured", time.strftime("%Y-%m-%d %H:%M %Z", time.localtime(args.from_json.stat().st_mtime)))
        return finish(args, saved)

    load_before = os.getloadavg()
    with cleanup_on_exit() as stack:
        workdir = make_workdir(stack, "bench-bulk-upload")
        env = app_database(stack, args.database, keep=False, storage_url=f"file://{workdir / 'objects'}",
                           data_dir=workdir / "data", CELERY_BROKER_URL="memory://")
        stack.callback(close_django_connections)
        user, customer = seed_uploader()
        server = start_gunicorn(stack, env, workdir / "gunicorn", workers=args.workers, threads=args.threads)
        sessions = [signed_in_session(server.base_url, user) for _ in range(args.parallel)]
        close_django_connections()
        print(f"gunicorn at {server.base_url} ({args.workers}×{args.threads}); warm-up {args.warmup} files ...",
              flush=True)
        _, warm = upload_all(server.base_url, sessions, range(1, args.warmup + 1), args.size, customer.pk,
                             args.parallel)
        if set(warm) != {201}:
            raise RuntimeError(f"warm-up answers {warm}")
        sampler = RssSampler(server.pids)
        stack.callback(sampler.stop)
        baseline = sampler.baseline(1.0)
        sampler.reset()
        postmaster = postmaster_process(args.database)
        account = CpuAccount({"gunicorn": server.pids, "client": lambda: [os.getpid()]})
        before, pg_before = account.snapshot(), cluster_cpu(postmaster)
        print(f"RSS baseline {baseline / MiB:.1f} MiB; sending {args.files} files of {args.size:,} bytes, "
              f"{args.parallel} at a time ...", flush=True)
        started = time.perf_counter()
        first = args.warmup + 1
        latencies, statuses = upload_all(server.base_url, sessions, range(first, first + args.files), args.size,
                                         customer.pk, args.parallel)
        elapsed = time.perf_counter() - started
        cpu = CpuAccount.delta(before, account.snapshot())
        # gunicorn's threads open and close connections: the cluster's CPU counts backends that have exited too
        cpu["postgres"] = cluster_cpu(postmaster) - pg_before
        cpu["other"] = max(0.0, cpu["other"] - cpu["postgres"])
        peak, samples = sampler.peak()
        after = sampler.sample()

        from backend.crm.models import DocumentLink
        from backend.documents.models import Document

        created = Document.objects.filter(title__startswith="Bulk file ").count()
        linked = DocumentLink.objects.filter(customer=customer).count()
    load_after = os.getloadavg()

    growth = peak - baseline
    result = {
        "files": args.files, "size": args.size, "parallel": args.parallel, "workers": args.workers,
        "threads": args.threads, "seconds": elapsed, "files_per_second": args.files / elapsed,
        "mb_per_second": args.files * args.size / elapsed / 1e6,
        "p50_ms": percentile(latencies, 50) * 1000, "p95_ms": percentile(latencies, 95) * 1000,
        "statuses": statuses, "created": created, "linked": linked,
        "rss_baseline_mib": baseline / MiB, "rss_peak_mib": peak / MiB, "rss_after_mib": after / MiB,
        "rss_growth_mib": growth / MiB, "rss_samples": samples,
        "cpu_gunicorn_ms_per_file": cpu["gunicorn"] / args.files * 1000,
        "cpu_postgres_ms_per_file": cpu["postgres"] / args.files * 1000,
        "cpu_client_ms_per_file": cpu["client"] / args.files * 1000,
        "other_cores": cpu["other"] / cpu["wall"], "load_before": load_before[0], "load_after": load_after[0],
    }
    result["ok"] = statuses == {201: args.files} and created == args.files + args.warmup and linked == created
    result.update(warmup=args.warmup, commit=_commit())
    return finish(args, result)


def report(result: dict) -> tuple[str, list[str]]:
    """The table and the verdicts of one run's result."""
    rows = [[f"{result['files']:,} × {result['size']:,} B", result["parallel"],
             f"{result['workers']}×{result['threads']}", f"{result['seconds']:.1f}",
             f"{result['files_per_second']:.1f}", f"{result['mb_per_second']:.2f}", f"{result['p50_ms']:.0f}",
             f"{result['p95_ms']:.0f}",
             f"{result['cpu_gunicorn_ms_per_file']:.1f} + {result['cpu_postgres_ms_per_file']:.1f}",
             f"{result['rss_baseline_mib']:.1f}", f"{result['rss_peak_mib']:.1f}", f"{result['rss_growth_mib']:.1f}",
             f"{result['other_cores']:.2f}", f"{result['load_before']:.1f} / {result['load_after']:.1f}"]]
    text = markdown_table(["files", "in flight", "gunicorn", "seconds", "files/s", "MB/s", "p50 ms/file",
                           "p95 ms/file", "CPU ms/file (gunicorn + PostgreSQL)", "RSS baseline MiB",
                           "RSS peak MiB", "RSS growth MiB", "other load (cores)", "load avg 1 min before / after"],
                          rows)
    verdicts = [
        f"Every file answered 201 and became a document linked to the customer: {'yes' if result['ok'] else 'no'} "
        f"(answers {result['statuses']}, {result['created']} documents with the warm-up's, {result['linked']} links).",
        f"Server RSS growth ≤ 64 MiB: {'met' if result['rss_growth_mib'] * MiB <= RSS_TARGET else 'missed'} "
        f"({result['rss_growth_mib']:.1f} MiB).",
    ]
    return text, verdicts


def finish(args, result: dict) -> int:
    text, verdicts = report(result)
    print("\n" + text + "\n")
    for verdict in verdicts:
        print(verdict)
    if args.json and not args.from_json:
        args.json.write_text(json.dumps(result, indent=1))
    if args.write:
        write_section("bulk-upload", render_section(result, text, verdicts))
        print("BENCHMARKS.md updated")
    return 0 if result["ok"] else 1


def _commit() -> str:
    """The measured code's commit (BENCH_COMMIT when it runs from an exported tree, e.g. `git archive`)."""
    import subprocess

    from bench.common import REPO

    if os.environ.get("BENCH_COMMIT"):
        return os.environ["BENCH_COMMIT"]
    return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                          text=True).stdout.strip() or "unknown"


def render_section(result: dict, text: str, verdicts: list[str]) -> str:
    return (
        "## Bulk upload through the new-document page\n\n"
        f"Measured {result.get('measured') or time.strftime('%Y-%m-%d %H:%M %Z')} at commit "
        f"`{result.get('commit', 'unknown')}`. Command: "
        f"`.venv/bin/python -m bench.bulk_upload --files {result['files']} --size {result['size']} "
        f"--parallel {result['parallel']} --write`.\n\n"
        f"Each file is what the page's script sends: `POST {URL}` with the file as the body, its details "
        "(title, kind, classification, tags, customer) in the query string, an Idempotency-Key, its sha256, the "
        "session cookie and the CSRF header; every file is a distinct PDF, so each one becomes its own document "
        "linked to a customer (201). gunicorn gthread on a fresh PostgreSQL database, local file store, search "
        "indexing queued to a broker nobody consumes (a worker does it in production). RSS is gunicorn's master "
        f"and workers, sampled every 20 ms; the baseline is taken after {result.get('warmup', 30)} warm-up files.\n\n"
        "**Taken under load**: six other helpers were building and testing on the same 2 cores; \"other load\" is "
        "the CPU every process other than gunicorn, its PostgreSQL backends and the client used during the run, "
        "in cores out of 2. Files/s is bounded by that: the CPU per file is the steadier figure.\n\n"
        f"{text}\n\n" + "\n".join(f"- {v}" for v in verdicts) + "\n"
    )


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        raise SystemExit(main())
