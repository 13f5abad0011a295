"""import_records of a customer file with duplicate detection: the dry run (read, clean, match against the
file and the database) and the commit (customers and their contacts written in chunks of 5,000, each
record audited under the importer with record_many; the trail is verified afterwards, untimed).

    .venv/bin/python -m bench.import_records                  # 100,000 rows against 10,000 customers
    .venv/bin/python -m bench.import_records --rows 2000 --existing 500   # a quick look
    .venv/bin/python -m bench.import_records --write          # also update BENCHMARKS.md

The file is GBK CSV, as old Chinese spreadsheets are: 5 % of its rows repeat an earlier row with
full-width letters and extra spaces, 5 % name a customer already in the database, 2 % carry an invalid
phone. The database is fresh, migrated PostgreSQL, its existing customers loaded with COPY. The target:
the whole import (dry run and commit) of 100,000 rows in ≤ 60 s; each part is reported with its rows/s.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from bench.common import app_database, cleanup_on_exit, close_django_connections, copy_rows, make_workdir
from bench.report import markdown_table, write_section

TARGET_SECONDS = 60.0
REGIONS = ["上海", "江苏", "浙江", "广东", "北京", "山东", "四川", "湖北"]


def _full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def make_file(rows: int, existing: int) -> bytes:
    lines = ["客户名称,地区,税号,行业,联系人,电话,邮箱"]
    for n in range(rows):
        region = REGIONS[n % len(REGIONS)]
        if n % 20 == 7 and n > 20:  # a repeat of an earlier row, full-width and spaced
            m = n - 13
            lines.append(f" {_full_width(f'Firm {m} 精密机械')} ,{REGIONS[m % len(REGIONS)]},,,,,")
            continue
        if n % 20 == 11 and existing:  # a customer the database has
            k = (n // 20) % existing
            lines.append(f"Existing {k} 有限公司,{REGIONS[k % len(REGIONS)]},,,,,")
            continue
        phone = "12345" if n % 50 == 3 else f"13{n % 10}{n:08d}"[:11]
        lines.append(f"Firm {n} 精密机械,{region},91{n:016d},机械,联系人{n},{phone},c{n}@firm{n}.cn")
    return ("\r\n".join(lines) + "\r\n").encode("gbk")


def seed(existing: int):
    from django.utils import timezone

    from backend.accounts.services import user_create
    from backend.crm.models import Customer

    admin = user_create(actor=None, username="bench-importer", role="admin", display_name="Bench importer")
    now = timezone.now()
    copy_rows(Customer, ["name", "region", "owner_id", "owner_since", "created_at", "updated_at", "tier", "status"],
              ((f"Existing {k} 有限公司", REGIONS[k % len(REGIONS)], admin.pk, now, now, now, "normal", "active")
               for k in range(existing)))
    return admin


def measure(rows: int, existing: int, data: bytes, admin) -> dict:
    from backend.audit.models import AuditEvent
    from backend.audit.selectors import audit_chain_verify
    from backend.crm.imports import runs
    from backend.crm.models import Customer

    started, cpu = time.perf_counter(), time.process_time()
    run = runs.import_run_analyse(actor=admin, entity="customer", filename="customers.csv", data=data)
    analysed, analyse_cpu = time.perf_counter() - started, time.process_time() - cpu
    started, cpu = time.perf_counter(), time.process_time()
    run = runs.import_run_commit(actor=admin, run=run)
    committed, commit_cpu = time.perf_counter() - started, time.process_time() - cpu
    total = analysed + committed
    return {
        "rows": rows, "existing": existing, "bytes": len(data), "analyse_s": analysed, "commit_s": committed,
        "total_s": total, "analyse_cpu_s": analyse_cpu, "commit_cpu_s": commit_cpu, "analyse_rows_per_s": rows / analysed, "commit_rows_per_s": rows / committed,
        "issues": run.report["issues"], "outcomes": run.report["outcomes"],
        "customers_after": Customer.objects.count(), "target_s": TARGET_SECONDS,
        "audit_events": AuditEvent.objects.count(), "chain_ok": audit_chain_verify().ok,
        "ok": total <= TARGET_SECONDS * max(rows, 1) / 100_000,
    }


def section(result: dict) -> str:
    rows = [("dry run (read, clean, match)", f"{result['analyse_s']:.1f}", f"{result['analyse_cpu_s']:.1f}",
             f"{result['analyse_rows_per_s']:,.0f}"),
            ("commit (chunks, audited)", f"{result['commit_s']:.1f}", f"{result['commit_cpu_s']:.1f}",
             f"{result['commit_rows_per_s']:,.0f}"),
            ("whole import", f"{result['total_s']:.1f}", f"{result['analyse_cpu_s'] + result['commit_cpu_s']:.1f}",
             f"{result['rows'] / result['total_s']:,.0f}")]
    return (f"## Import of records\n\n`python -m bench.import_records --rows {result['rows']} --existing "
            f"{result['existing']}`: a GBK customer file of {result['rows']:,} rows against {result['existing']:,} "
            f"customers (target: the whole import ≤ {result['target_s']:.0f} s for 100,000 rows; "
            f"{'met' if result['ok'] else 'missed'}). Outcomes: {result['outcomes']}; {result['audit_events']:,} "
            f"audit events, chain {'intact' if result['chain_ok'] else 'BROKEN'}; load {result['load_1min']:.1f}.\n\n"
            + markdown_table(["step", "seconds", "CPU s (this process)", "rows/s"], rows) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--existing", type=int, default=10_000)
    parser.add_argument("--database", default="dossier_bench_import_records")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args(argv)
    with cleanup_on_exit() as stack:
        workdir = make_workdir(stack, "bench-import-records")
        app_database(stack, args.database, keep=False, storage_url=f"file://{workdir / 'objects'}",
                     data_dir=workdir / "data", CELERY_BROKER_URL="memory://")
        stack.callback(close_django_connections)
        admin = seed(args.existing)
        data = make_file(args.rows, args.existing)
        print(f"importing {args.rows:,} rows ({len(data) / 1e6:.1f} MB) against {args.existing:,} customers ...",
              flush=True)
        result = measure(args.rows, args.existing, data, admin)
        result["load_1min"] = os.getloadavg()[0]
    print(section(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    if args.write:
        write_section("import-records", section(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
