"""Stamped downloads: a 100-page PDF downloaded stamped (confidential) and as it is (internal).

    .venv/bin/python -m bench.stamped_download                   # 100 pages, 8 downloads of each kind
    .venv/bin/python -m bench.stamped_download --runs 20 --write # also update BENCHMARKS.md
    .venv/bin/python -m bench.stamped_download --pages 5 --runs 2 --json out.json   # tests/bench

Server time in-process (Django's test Client, signed in as the owner), the staff page's download URL:
access check, and for the stamped copy a new mark (ViewMark row), the stamping child (pypdf + reportlab,
one overlay per page size) and the download's audit event with both digests, in one transaction. The
same PDF (about 40 lines of text a page) is stored twice on a local-disk store, once confidential and
once internal. "First byte" is the time until the response's first chunk is in hand (a stamped copy is
made whole before it is sent: this is its stamping time); "whole" until the last byte; throughput is the
file's size over "whole". Each stamped download is a new copy (its own code, time and address), so there
is no warm cache to measure. No target is set by the issue; the figures sit beside the unstamped download's.
The CPU time each download used (this process and the stamping child together) is reported beside the
wall time: it is the figure that holds on a loaded machine. The machine's load while measuring is reported.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import time

from bench.common import app_database, cleanup_on_exit, close_django_connections, make_workdir
from bench.previews import pdf_of
from bench.report import fmt_ms, markdown_table, percentile, write_section


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=100, help="pages of the PDF")
    parser.add_argument("--runs", type=int, default=8, help="downloads of each kind (stamped, unstamped)")
    parser.add_argument("--json", help="write the figures to this file")
    parser.add_argument("--write", action="store_true", help="update BENCHMARKS.md")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    with cleanup_on_exit() as stack:
        work = make_workdir(stack, "bench-stamped", keep=args.keep)
        app_database(stack, "dossier_bench_stamped", keep=args.keep, storage_url=f"file://{work / 'objects'}",
                     data_dir=work)
        stack.callback(close_django_connections)
        result = run(args, work)
    body = report(result)
    print(body)
    if args.json:
        with open(args.json, "w") as out:
            json.dump(result, out, indent=2)
    if args.write:
        print("wrote", write_section("stamped-download", body))


def run(args, work) -> dict:
    from django.conf import settings
    from django.test import Client

    from backend.accounts.models import Role
    from backend.documents.services import UploadSource, document_create
    from tests.factories import UserFactory

    settings.PREVIEW_CACHE_DIR = work / "previews"
    owner = UserFactory(username="bench.stamped", role=Role.SALES)
    client = Client()
    client.force_login(owner)
    data = pdf_of(args.pages, f"stamped-{os.getpid()}-{time.time_ns()}")

    def stored(classification: str) -> int:
        document, _ = document_create(actor=owner, title=f"Bench {classification}", kind="contract",
                                      classification=classification,
                                      upload=UploadSource(stream=io.BytesIO(data), filename=f"{classification}.pdf",
                                                          declared_size=len(data)))
        return document.pk

    documents = {"stamped": stored("confidential"), "unstamped": stored("internal")}
    result: dict = {"pages": args.pages, "runs": args.runs, "source_bytes": len(data), "kinds": {}}
    loads = []
    for kind, document_id in documents.items():
        url = f"/documents/{document_id}/versions/1/download/"
        first_byte, whole, sizes, cpu = [], [], [], []
        for _ in range(args.runs):
            loads.append(os.getloadavg()[0])
            cpu_before = _cpu_seconds()
            started = time.perf_counter()
            response = client.get(url)
            assert response.status_code == 200, (kind, response.status_code)
            chunks = iter(response.streaming_content)
            first = next(chunks, b"")
            first_byte.append(time.perf_counter() - started)
            size = len(first) + sum(len(chunk) for chunk in chunks)
            whole.append(time.perf_counter() - started)
            cpu.append(_cpu_seconds() - cpu_before)
            sizes.append(size)
            assert size > 0 and first.startswith(b"%PDF")
            assert (size != len(data)) == (kind == "stamped"), f"the {kind} download is not what it should be"
        result["kinds"][kind] = {
            "first_byte_p50_ms": percentile(first_byte, 50) * 1000, "first_byte_p95_ms": percentile(first_byte, 95) * 1000,
            "whole_p50_ms": percentile(whole, 50) * 1000, "whole_p95_ms": percentile(whole, 95) * 1000,
            "bytes": max(sizes), "mib_per_s": max(sizes) / percentile(whole, 50) / 1024**2,
            "cpu_p50_ms": percentile(cpu, 50) * 1000,
        }
    result["load"] = [min(loads), max(loads)]
    result["cores"] = os.cpu_count()
    return result


def _cpu_seconds() -> float:
    """CPU used so far by this process and its finished children (the stamping child)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def report(result: dict) -> str:
    rows = []
    for kind, figures in result["kinds"].items():
        rows.append([kind, fmt_ms(figures["first_byte_p50_ms"] / 1000), fmt_ms(figures["first_byte_p95_ms"] / 1000),
                     fmt_ms(figures["whole_p50_ms"] / 1000), fmt_ms(figures["whole_p95_ms"] / 1000),
                     fmt_ms(figures["cpu_p50_ms"] / 1000), f"{figures['bytes'] / 1024:.0f}", f"{figures['mib_per_s']:.1f}"])
    stamped, plain = result["kinds"]["stamped"], result["kinds"]["unstamped"]
    notes = [
        f"A {result['pages']}-page PDF of {result['source_bytes'] / 1024:.0f} KiB, {result['runs']} downloads of each kind.",
        f"Stamping costs {stamped['whole_p50_ms'] - plain['whole_p50_ms']:.0f} ms at the median "
        f"({stamped['whole_p50_ms'] / max(plain['whole_p50_ms'], 0.001):.0f}x the unstamped download).",
        f"Load average while measuring (1 min, {result['cores']} cores): {result['load'][0]:.1f}-{result['load'][1]:.1f}",
    ]
    return (f"## Stamped downloads ({result['pages']}-page PDF)\n\n" + markdown_table(
        ["download", "first byte p50 (ms)", "first byte p95 (ms)", "whole p50 (ms)", "whole p95 (ms)", "CPU p50 (ms)", "KiB",
         "MiB/s (p50)"], rows) + "\n\n" + "\n".join(f"- {note}" for note in notes) + "\n")


if __name__ == "__main__":
    main()
