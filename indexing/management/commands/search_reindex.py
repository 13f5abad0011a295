"""`manage.py search_reindex`: rebuild the search index from the database, resumably, with a progress bar."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from backend.audit import services as audit
from indexing.engine import search_backend
from indexing import reindex
from indexing.outbox import outbox_drain
from indexing.backends import SearchUnavailable
from indexing.backends.base import IndexOutdated


class ProgressBar:
    """A one-line bar on a terminal; a line every 10% otherwise (logs, CI)."""

    def __init__(self, stream, total: int, enabled: bool, ocr_since=None):
        self.ocr_since = ocr_since  # a run with OCR: the line also counts the pages read since then
        self.stream = stream
        self.total = max(total, 1)
        self.enabled = enabled
        self.tty = enabled and hasattr(stream, "isatty") and stream.isatty()
        self.started = time.monotonic()
        self.first_done: int | None = None
        self.last_decile = -1

    def update(self, done: int, versions: int) -> None:
        if not self.enabled:
            return
        if self.first_done is None:
            self.first_done = done
        elapsed = max(time.monotonic() - self.started, 1e-6)
        rate = versions / elapsed
        fraction = min(done / self.total, 1.0)
        remaining = (self.total - done) * (elapsed / max(done - (self.first_done or 0), 1))
        width = 30
        bar = "#" * int(fraction * width) + "-" * (width - int(fraction * width))
        line = (f"[{bar}] {fraction:5.1%} {done:,}/{self.total:,} documents, {rate:,.0f} versions/s, "
                f"ETA {int(remaining // 60)}:{int(remaining % 60):02d}")
        if self.ocr_since is not None:
            line += f", {reindex.ocr_pages_since(self.ocr_since):,} pages read by OCR"
        if self.tty:
            self.stream.write("\r" + line, ending="")
            self.stream.flush()
        elif int(fraction * 10) > self.last_decile:
            self.last_decile = int(fraction * 10)
            self.stream.write(line)

    def close(self) -> None:
        if self.tty:
            self.stream.write("")


class Command(BaseCommand):
    help = (
        "Rebuild the search index from the database. An interrupted run resumes where it stopped "
        "(pass --restart to start over). Text already extracted is reused unless --re-extract."
    )

    def add_arguments(self, parser):
        parser.add_argument("--clear", action="store_true", help="empty the index first (a new run)")
        parser.add_argument("--restart", action="store_true", help="ignore an unfinished run; start from the first document")
        parser.add_argument("--re-extract", action="store_true", help="read every file again")
        parser.add_argument("--retry-failed", action="store_true", help="extract versions that failed before again")
        parser.add_argument("--if-outdated", action="store_true",
                            help="rebuild (as --clear) only when the index was built by another version of Dossier; "
                                 "otherwise do nothing")
        parser.add_argument("--ocr", action="store_true",
                            help="read again, with OCR, only the images and PDFs (e.g. after installing Tesseract); "
                                 "only their documents are rewritten")
        parser.add_argument("--batch-size", type=int, default=None,
                            help="documents per batch (default 500; 5 with --ocr, whose pages take seconds each)")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, **options):
        if options["ocr"]:
            from django.conf import settings

            from indexing.extract import ocr_enabled

            if not ocr_enabled(settings.SEARCH_OCR_LANGUAGES):
                raise CommandError("OCR is not available: install tesseract-ocr (with tesseract-ocr-chi-sim and "
                                   "tesseract-ocr-chi-tra) and set SEARCH_OCR_LANGUAGES.")
        batch_size = options["batch_size"] or (5 if options["ocr"] else 500)
        backend = search_backend()
        try:
            backend.ping()
            outdated = backend.stats().outdated
        except IndexOutdated as exc:
            if not (options["clear"] or options["if_outdated"]):
                raise CommandError(str(exc)) from exc
            outdated = True  # --clear empties it below, whatever version wrote it
        except SearchUnavailable as exc:
            raise CommandError(str(exc)) from exc
        if options["if_outdated"]:
            if not outdated:
                self.stdout.write("The search index is up to date; nothing to do.")
                return
            self.stdout.write("The search index was built by another version of Dossier: rebuilding it.")
            options["clear"] = True
        fresh = options["restart"] or options["clear"] or options["re_extract"] or options["ocr"]
        run = None if fresh else reindex.reindex_resume_point()
        if run is not None:
            self.stdout.write(
                f"Resuming run {run.pk} after document {run.last_document_id} "
                f"({run.documents_done:,}/{run.total_documents:,} done)."
            )
        else:
            if options["clear"]:
                audit.record("search.index.cleared", actor=None, target_type="search.index",
                             target_id=reindex.redacted_url(backend_url()), target_label="search index")
            run = reindex.reindex_start(clear=options["clear"], re_extract=options["re_extract"],
                                        ocr_only=options["ocr"], backend=backend)
            what = "documents with images or PDFs (OCR)" if run.ocr_only else "documents"
            self.stdout.write(f"Reindexing {run.total_documents:,} {what} into {run.backend} (run {run.pk}).")
        audit.record("search.reindex.started", actor=None, target=run,
                     detail={"resumed_after": run.last_document_id, "clear": options["clear"],
                             "re_extract": run.extract, "ocr": run.ocr_only})
        bar = ProgressBar(self.stderr, run.total_documents, enabled=not options["no_progress"],
                          ocr_since=run.started_at if run.ocr_only else None)
        started = time.monotonic()
        versions_before = run.versions_done
        try:
            reindex.reindex_run(
                run,
                batch_size=batch_size,
                retry_failed=options["retry_failed"],
                backend=backend,
                progress=lambda r: bar.update(r.documents_done, r.versions_done - versions_before),
            )
        except SearchUnavailable as exc:
            bar.close()
            raise CommandError(f"{exc} Run the command again to resume after document {run.last_document_id}.") from exc
        except KeyboardInterrupt:
            bar.close()
            raise CommandError(f"Interrupted; run the command again to resume after document {run.last_document_id}.")
        bar.close()
        drained = outbox_drain(backend=backend)
        elapsed = time.monotonic() - started
        written = run.versions_done - versions_before
        audit.record("search.reindex.finished", actor=None, target=run,
                     detail={"documents": run.documents_done, "versions": run.versions_done,
                             "seconds": round(elapsed, 1)})
        self.stdout.write(self.style.SUCCESS(
            f"Indexed {written:,} versions of {run.documents_done:,} documents in {elapsed:.1f} s "
            f"({written / max(elapsed, 1e-6):,.0f} versions/s); {drained.documents} queued documents written."
        ))
        if run.ocr_only:
            self.stdout.write(reindex.ocr_summary(since=run.started_at))
        # The knowledge base's own collection is small: rebuilt whole every time.
        from indexing.articles import articles_reindex

        try:
            articles = articles_reindex()
        except SearchUnavailable as exc:
            raise CommandError(f"Documents are indexed, but the knowledge base is not: {exc}") from exc
        self.stdout.write(f"Knowledge base: {articles:,} published articles indexed.")


def backend_url() -> str:
    from django.conf import settings

    return settings.SEARCH_URL
