"""What recording an audit event adds to a request.

    .venv/bin/python -m bench.audit_overhead                 # N=500 per setting
    .venv/bin/python -m bench.audit_overhead -n 100          # a quick look
    .venv/bin/python -m bench.audit_overhead --write         # also update BENCHMARKS.md

`GET /api/documents/{id}/` records `document.viewed` (the chain lock: one `SELECT … FOR UPDATE` of
the `audit_chainhead` row that also reads the head; INSERT, COMMIT). The same request is timed
through gunicorn with AUDIT_ENABLED=1 and =0 on PostgreSQL database `dossier_bench_audit`. To keep
drift and background load from favouring one side, the server is started four times, in the order
on, off, off, on, each serving N/2 timed requests (after a warm-up); every setting thus gets N
requests. In-process, the cost of `audit.record()` alone is timed too (its own transaction, as in
the view).
"""

from __future__ import annotations

import argparse
import os
import time

import requests

from bench.common import (
    app_database,
    cleanup_on_exit,
    close_django_connections,
    make_workdir,
    postgres_backend_pids,
    seed_user_with_token,
)
from bench.machine import CpuAccount, wait_until_quiet
from bench.report import markdown_table, percentile, write_section
from bench.servers import start_gunicorn

PHASES = ("on", "off", "off", "on")


def seed_document():
    """A department, its member with a token, and one internal document with one version."""
    import hashlib

    from django.utils import timezone

    from backend.accounts.services import department_create
    from backend.documents.models import Document, DocumentVersion

    department = department_create(actor=None, code="audit", name="Audit bench")
    user, token = seed_user_with_token("bench.audit", department=department)
    now = timezone.now()
    document = Document.objects.create(title="Audited read", kind="contract", classification="internal",
                                       owner=user, department=department, created_at=now, updated_at=now,
                                       version_count=1)
    digest = hashlib.sha256(b"audit bench").hexdigest()
    version = DocumentVersion.objects.create(
        document=document, number=1, object_key=f"sha256/{digest[:2]}/{digest[2:4]}/{digest}", sha256=digest,
        size=11, mime_type="application/pdf", original_filename="a.pdf", filename="a.pdf", uploaded_by=user,
        created_at=now)
    Document.objects.filter(pk=document.pk).update(valid_version=version)
    return user, token, document.pk


def time_record_in_process(user, document_id: int, n: int) -> list[float]:
    """audit.record() on its own, each in its own transaction with a commit, as in the view."""
    from django.db import transaction

    from backend.audit import services as audit
    from backend.documents.models import Document

    document = Document.objects.get(pk=document_id)
    samples = []
    for _ in range(n + 20):
        started = time.perf_counter()
        with transaction.atomic():
            audit.record("document.viewed", actor=user, target=document)
        samples.append(time.perf_counter() - started)
    return samples[20:]


def count_viewed() -> int:
    from backend.audit.models import AuditEvent

    return AuditEvent.objects.filter(event_type="document.viewed").count()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=500, help="timed requests per setting (default 500)")
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--quiet-wait", type=float, default=60.0,
                        help="before each phase wait up to this many seconds for other processes to use "
                             "< 0.3 cores (default 60; 0 disables)")
    parser.add_argument("--database", default="dossier_bench_audit")
    parser.add_argument("--write", action="store_true", help="update the audit section of BENCHMARKS.md")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    args = parser.parse_args(argv)
    per_phase = (args.n + 1) // 2

    samples: dict[str, list[float]] = {"on": [], "off": []}
    cpu: dict[str, dict[str, float]] = {"on": {}, "off": {}}
    events: dict[str, int] = {"on": 0, "off": 0}
    started_all = time.perf_counter()
    with cleanup_on_exit() as stack:
        workdir = make_workdir(stack, "bench-audit", keep=args.keep)
        env = app_database(stack, args.database, keep=args.keep, storage_url=f"file://{workdir / 'objects'}",
                           data_dir=workdir / "data", CELERY_BROKER_URL="memory://")
        user, token, document_id = seed_document()
        record_only = time_record_in_process(user, document_id, args.n)
        close_django_connections()

        url = f"/api/documents/{document_id}/"
        for index, phase in enumerate(PHASES):
            server = start_gunicorn(stack, {**env, "AUDIT_ENABLED": "1" if phase == "on" else "0"},
                                    workdir / f"gunicorn-{index}", workers=args.workers, threads=args.threads)
            session = requests.Session()
            session.headers["Authorization"] = f"Token {token}"
            for _ in range(args.warmup):
                session.get(server.base_url + url).raise_for_status()
            backends = postgres_backend_pids(args.database)  # persistent connections, known after warm-up
            account = CpuAccount({"gunicorn": server.pids, "postgres": lambda: backends})
            if args.quiet_wait:
                wait_until_quiet(args.quiet_wait, exclude=[*server.pids(), *backends, os.getpid()])
            before_events = count_viewed()
            close_django_connections()
            before = account.snapshot()
            for _ in range(per_phase):
                t0 = time.perf_counter()
                response = session.get(server.base_url + url)
                samples[phase].append(time.perf_counter() - t0)
                if response.status_code != 200:
                    raise RuntimeError(f"{response.status_code} {response.text[:300]}")
            d = CpuAccount.delta(before, account.snapshot())
            for key, value in d.items():
                cpu[phase][key] = cpu[phase].get(key, 0.0) + value
            events[phase] += count_viewed() - before_events
            close_django_connections()
            session.close()
            server.stop()
            print(f"phase {index + 1}/{len(PHASES)} AUDIT_ENABLED={phase}: p50 "
                  f"{percentile(samples[phase][-per_phase:], 50) * 1000:.2f} ms, other load "
                  f"{d['other'] / d['wall']:.2f} cores", flush=True)

    rows = []
    for phase in ("on", "off"):
        values = samples[phase]
        rows.append([f"AUDIT_ENABLED={1 if phase == 'on' else 0}", len(values),
                     f"{percentile(values, 50) * 1000:.2f}", f"{percentile(values, 95) * 1000:.2f}",
                     f"{sum(values) / len(values) * 1000:.2f}",
                     f"{cpu[phase]['gunicorn'] / len(values) * 1000:.2f}",
                     f"{cpu[phase]['postgres'] / len(values) * 1000:.2f}", events[phase],
                     f"{cpu[phase]['other'] / cpu[phase]['wall']:.2f}"])
    d50 = (percentile(samples["on"], 50) - percentile(samples["off"], 50)) * 1000
    d95 = (percentile(samples["on"], 95) - percentile(samples["off"], 95)) * 1000
    rows.append(["difference", "", f"{d50:+.2f}", f"{d95:+.2f}",
                 f"{(sum(samples['on']) / len(samples['on']) - sum(samples['off']) / len(samples['off'])) * 1000:+.2f}",
                 "", "", "", ""])
    table = markdown_table(["server", "requests", "p50 (ms)", "p95 (ms)", "mean (ms)", "gunicorn CPU/request (ms)",
                            "PostgreSQL CPU/request (ms)", "document.viewed rows written",
                            "unrelated load (cores)"], rows)
    record_line = (f"`audit.record()` alone, in-process, in its own transaction ({len(record_only)} calls): "
                   f"p50 {percentile(record_only, 50) * 1000:.2f} ms, p95 {percentile(record_only, 95) * 1000:.2f} ms.")
    verdict = (f"Added latency ≤ 3 ms: {'met' if max(d50, d95) <= 3.0 else 'missed'} "
               f"(p50 {d50:+.2f} ms, p95 {d95:+.2f} ms).")
    print("\n" + table + "\n\n" + record_line + "\n" + verdict)
    print(f"total time {time.perf_counter() - started_all:.0f} s")
    if args.write:
        write_section("audit_overhead", render_section(args, table, record_line, verdict))
        print("BENCHMARKS.md updated")
    return 0


def render_section(args, table, record_line, verdict) -> str:
    return (
        "## Audit overhead per request\n\n"
        f"Measured {time.strftime('%Y-%m-%d %H:%M %Z')}. "
        f"Command: `.venv/bin/python -m bench.audit_overhead -n {args.n} --write`\n\n"
        f"`GET /api/documents/{{id}}/` (records `document.viewed`) through gunicorn gthread "
        f"{args.workers}×{args.threads}, one keep-alive client, sequential requests; servers started in the "
        f"order on, off, off, on with {(args.n + 1) // 2} timed requests each (after {args.warmup} warm-up "
        "requests).\n\n"
        f"{table}\n\n- {record_line}\n- {verdict}\n"
    )


if __name__ == "__main__":
    raise SystemExit(main())
