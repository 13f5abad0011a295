"""Previews: the first page of a 20-page PDF and of a 20-page DOCX, the first time and from the cache.

    .venv/bin/python -m bench.previews                 # 3 first-time rounds and 30 cached reads per type
    .venv/bin/python -m bench.previews --rounds 5 --write   # also update BENCHMARKS.md

Server time in-process (Django's test Client, signed in, the whole view: access check, cache, audit
row), on a fresh PostgreSQL database and a local-disk store. "First time" is what a person waits for
when they open a document nobody has previewed: the preview panel's request (LibreOffice converts the
DOCX, PDFium counts the pages and draws page 1) plus the request for page 1's image. Each round uses a
document with new bytes, so nothing is cached; the LibreOffice profile template is made once before
(the first conversion on a machine costs about two seconds more; reported separately). "Cached" is the
page 1 image again. Targets (issue 14): cached <= 300 ms, first time <= 3 s. The machine's load while
measuring is reported: other processes on a small machine stretch LibreOffice's start a lot.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import time

from bench.common import app_database, cleanup_on_exit, close_django_connections, make_workdir
from bench.report import fmt_ms, markdown_table, percentile, write_section

PAGES = 20
WARMED = ("With a task queue (CELERY_BROKER_URL set) every upload draws its first page and thumbnail in the "
          "background (documents.preview_warm), so the first reader gets the cached time.")


def pdf_of(pages: int, marker: str) -> bytes:
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    drawing = canvas.Canvas(out, pagesize=(595, 842))
    for number in range(1, pages + 1):
        y = 780
        drawing.drawString(72, y, f"Supply contract {marker} - page {number}")
        for line in range(40):
            y -= 16
            drawing.drawString(72, y, "The supplier delivers the goods described in schedule A, clause %d." % line)
        drawing.showPage()
    drawing.save()
    return out.getvalue()


def docx_of(pages: int, marker: str) -> bytes:
    import docx

    document = docx.Document()
    for number in range(1, pages + 1):
        document.add_heading(f"供货合同 Supply contract {marker} — 第 {number} 页", 1)
        for _ in range(6):
            document.add_paragraph("供方按附件 A 所列交付货物。The supplier delivers the goods described in "
                                   "schedule A, within thirty days of the order, at the buyer's site.")
        if number < pages:
            document.add_page_break()
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="first-time previews per type (new bytes each)")
    parser.add_argument("--cached", type=int, default=30, help="cached reads of page 1 per type")
    parser.add_argument("--write", action="store_true", help="update BENCHMARKS.md")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    with cleanup_on_exit() as stack:
        work = make_workdir(stack, "bench-previews", keep=args.keep)
        app_database(stack, "dossier_bench_previews", keep=args.keep, storage_url=f"file://{work / 'objects'}",
                     data_dir=work)
        stack.callback(close_django_connections)
        rows, notes = run(args, work)
        body = "## Previews (first page of a 20-page file)\n\n" + markdown_table(
            ["file", "first time p50 (ms)", "first time max (ms)", "cached p50 (ms)", "cached p95 (ms)", "pages"],
            rows) + "\n\n" + "\n".join(f"- {note}" for note in notes + [WARMED]) + "\n"
        print(body)
        if args.write:
            print("wrote", write_section("previews", body))


def run(args, work) -> tuple[list[list[str]], list[str]]:
    from django.conf import settings
    from django.test import Client

    from backend.accounts.models import Role
    from backend.documents.services import UploadSource, document_create
    from tests.factories import UserFactory

    settings.PREVIEW_CACHE_DIR = work / "previews"
    owner = UserFactory(username="bench.previews", role=Role.SALES)
    client = Client()
    client.force_login(owner)

    def new_version(kind: str, marker: str):
        data = pdf_of(PAGES, marker) if kind == "pdf" else docx_of(PAGES, marker)
        document, _ = document_create(actor=owner, title=f"Bench {kind} {marker}", kind="contract",
                                      classification="internal",
                                      upload=UploadSource(stream=io.BytesIO(data), filename=f"bench-{marker}.{kind}",
                                                          declared_size=len(data)))
        return document.pk

    def get(url: str) -> float:
        started = time.perf_counter()
        response = client.get(url)
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, (url, response.status_code, response.content[:300])
        return elapsed

    # the LibreOffice profile template, made once per cache directory (a first start costs seconds)
    warm = new_version("docx", "warm-up")
    started = time.perf_counter()
    get(f"/documents/{warm}/versions/1/preview/panel/")
    profile_seconds = time.perf_counter() - started

    rows, notes = [], []
    loads = []
    for kind in ("pdf", "docx"):
        first, cached, pages = [], [], 0
        for round_number in range(args.rounds):
            document_id = new_version(kind, f"{kind}-{round_number}-{os.getpid()}-{time.time_ns()}")
            base = f"/documents/{document_id}/versions/1"
            loads.append(os.getloadavg()[0])
            cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            panel = client.get(f"{base}/preview/panel/")
            assert panel.status_code == 200 and b"preview-pages" in panel.content, panel.content[:300]
            get(f"{base}/pages/1.png")
            first.append(time.perf_counter() - started)
            cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
            pages = panel.content.decode().count(f"{base}/pages/")
            notes.append(f"{kind} round {round_number + 1}: children used "
                         f"{(cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime):.2f} s CPU")
        for _ in range(args.cached):
            cached.append(get(f"{base}/pages/1.png"))
        rows.append([kind.upper(), fmt_ms(percentile(first, 50)), fmt_ms(max(first)),
                     fmt_ms(percentile(cached, 50)), fmt_ms(percentile(cached, 95)), str(pages)])
    notes.insert(0, f"First LibreOffice conversion on this cache (profile template made): {profile_seconds:.2f} s")
    notes.append(f"Load average while measuring (1 min, {os.cpu_count()} cores): "
                 f"{min(loads):.1f}-{max(loads):.1f}")
    return rows, notes


if __name__ == "__main__":
    main()
