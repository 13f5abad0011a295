"""import_documents of a folder of old files: files/s and the importing process's RSS.

    .venv/bin/python -m bench.import_documents                 # 1,000 files of 100 KB, as a ZIP
    .venv/bin/python -m bench.import_documents --files 50      # a quick look
    .venv/bin/python -m bench.import_documents --folder        # a folder instead of a ZIP
    .venv/bin/python -m bench.import_documents --write         # also update BENCHMARKS.md

The files are distinct PDFs (bench.bulk_upload's), 5 % of them repeating another's content (reported as
duplicates, not stored); the manifest (GBK CSV) spreads them over 50 customers, names a kind and a date
for each and a quote number for some. The import runs in this process (as `manage.py import_documents`
does) on a fresh, migrated PostgreSQL database with the local file store; its RSS is sampled every 20 ms
(the growth is the peak during the run minus the baseline before it: files are streamed, never held).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import zipfile
from pathlib import Path

from bench.bulk_upload import pdf_bytes
from bench.common import MiB, app_database, cleanup_on_exit, close_django_connections, make_workdir
from bench.machine import RssSampler
from bench.report import markdown_table, write_section

CUSTOMERS = 50


def make_source(workdir: Path, files: int, size: int, *, folder: bool) -> tuple[Path, bytes]:
    lines = ["文件,客户,类型,日期,报价单号"]
    contents = {}
    for n in range(files):
        name = f"{'报价' if n % 3 == 0 else '合同'}/{2015 + n % 10}/file-{n:05d}.pdf"
        contents[name] = pdf_bytes(n - 7 if n % 20 == 19 else n, size)  # 5 %: another file's content
        kind = "报价单" if n % 3 == 0 else "合同"
        quote = f"Q-BENCH-{n:05d}" if n % 3 == 0 and n % 2 == 0 else ""
        lines.append(f"{name},客户{n % CUSTOMERS:03d},{kind},{2015 + n % 10}年{1 + n % 12}月{1 + n % 28}日,{quote}")
    manifest = ("\r\n".join(lines) + "\r\n").encode("gbk")
    if folder:
        root = workdir / "laptop"
        for name, data in contents.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        return root, manifest
    path = workdir / "laptop.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in contents.items():
            archive.writestr(name, data)
    return path, manifest


def seed(files: int):
    from backend.accounts.services import user_create
    from backend.crm.models import Customer, Quote

    admin = user_create(actor=None, username="bench-importer", role="admin", display_name="Bench importer")
    customers = Customer.objects.bulk_create(
        [Customer(name=f"客户{k:03d}", region="上海", owner=admin) for k in range(CUSTOMERS)])
    Quote.objects.bulk_create([Quote(customer=customers[n % CUSTOMERS], number=f"Q-BENCH-{n:05d}", owner=admin)
                               for n in range(0, files, 6)])
    return admin


def measure(admin, source: Path, manifest: bytes, files: int) -> dict:
    from backend.crm.imports.documents import import_documents

    sampler = RssSampler(lambda: [os.getpid()])
    try:
        baseline = sampler.baseline(0.5)
        sampler.reset()
        started = time.perf_counter()
        run = import_documents(actor=admin, source_path=source, manifest=manifest, manifest_name="manifest.csv")
        elapsed = time.perf_counter() - started
        peak, samples = sampler.peak()
    finally:
        sampler.stop()
    return {"files": files, "seconds": elapsed, "files_per_s": files / elapsed, "rss_baseline": baseline,
            "rss_peak": peak, "rss_growth": max(0, peak - baseline), "samples": samples,
            "outcomes": run.report["outcomes"]}


def section(result: dict) -> str:
    row = (f"{result['files']:,}", result["source"], f"{result['size']:,}", f"{result['seconds']:.1f}",
           f"{result['files_per_s']:.1f}", f"{result['rss_baseline'] / MiB:.0f}", f"{result['rss_growth'] / MiB:.1f}")
    return (f"## Import of documents\n\n`python -m bench.import_documents --files {result['files']}`: old files "
            f"with a GBK manifest, each a document linked to its customer (and quote), 5 % content duplicates "
            f"reported, not stored. Outcomes: {result['outcomes']}. Load average {result['load_1min']:.2f} on "
            f"{os.cpu_count()} cores.\n\n"
            + markdown_table(["files", "source", "bytes each", "seconds", "files/s", "RSS MiB", "RSS growth MiB"],
                             [row]) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--folder", action="store_true", help="a folder instead of a ZIP")
    parser.add_argument("--database", default="dossier_bench_import_documents")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args(argv)
    with cleanup_on_exit() as stack:
        workdir = make_workdir(stack, "bench-import-documents")
        app_database(stack, args.database, keep=False, storage_url=f"file://{workdir / 'objects'}",
                     data_dir=workdir / "data", CELERY_BROKER_URL="memory://")
        stack.callback(close_django_connections)
        admin = seed(args.files)
        source, manifest = make_source(workdir, args.files, args.size, folder=args.folder)
        print(f"importing {args.files:,} files of {args.size:,} bytes from a {'folder' if args.folder else 'ZIP'} ...",
              flush=True)
        result = measure(admin, source, manifest, args.files)
        result.update(source="folder" if args.folder else "ZIP", size=args.size, load_1min=os.getloadavg()[0])
    print(section(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    if args.write:
        write_section("import-documents", section(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
