"""The full rebuild behind `manage.py search_reindex`: every document, in batches, resumable.

A run (`ReindexRun`) walks the documents in id order, syncing each batch (`indexing.sync`), and
commits the engine with a checkpoint every `commit_seconds`; an interrupted run resumes after its
last checkpoint. At the end, entries of documents deleted while nobody was indexing are removed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.utils import timezone

from backend.documents.models import Document
from indexing.backends import SearchBackend
from indexing.engine import search_backend
from indexing.extract.registry import OCR_READABLE
from indexing.models import IndexStatus, ReindexRun, VersionIndexState
from indexing.sync import documents_sync


def redacted_url(url: str) -> str:
    """SEARCH_URL without credentials, for logs and the reindex table."""
    parts = urlsplit(url)
    if parts.password or parts.username:
        netloc = parts.hostname or ""
        if parts.port:
            netloc += f":{parts.port}"
        parts = parts._replace(netloc=f"***@{netloc}")
    return urlunsplit(parts)


def _documents(run_ocr_only: bool):
    """The documents a run walks: all, or (`--ocr`) those with a version OCR may read (images, PDFs)."""
    documents = Document.objects.all()
    if run_ocr_only:
        documents = documents.filter(versions__mime_type__in=sorted(OCR_READABLE)).distinct()
    return documents


def reindex_start(*, clear: bool, re_extract: bool = False, ocr_only: bool = False,
                  backend: SearchBackend | None = None) -> ReindexRun:
    """A new run (resuming is reindex_resume_point()). With `clear` the index is emptied first. With
    `ocr_only` the run reads again only the versions OCR may read (images and PDFs, e.g. after Tesseract
    was installed) and rewrites only their documents."""
    backend = backend or search_backend()
    if clear:
        backend.clear()
    return ReindexRun.objects.create(
        backend=redacted_url(settings.SEARCH_URL),
        total_documents=_documents(ocr_only).count(),
        extract=re_extract or ocr_only,
        ocr_only=ocr_only,
    )


def reindex_resume_point() -> ReindexRun | None:
    """The newest unfinished run for this SEARCH_URL, if any."""
    return ReindexRun.objects.filter(
        backend=redacted_url(settings.SEARCH_URL), finished_at__isnull=True
    ).first()


def reindex_run(
    run: ReindexRun,
    *,
    batch_size: int = 500,
    retry_failed: bool = False,
    commit_seconds: float = 60.0,
    backend: SearchBackend | None = None,
    progress: Callable[[ReindexRun], None] | None = None,
) -> ReindexRun:
    """Rewrite every document after the run's checkpoint.

    The engine commits (and the checkpoint moves) every `commit_seconds`: committing each batch
    would stall the writer's indexing threads while we read and analyze the next one, and every
    commit ends the writer's segments early, so the engine has more small segments to merge (a
    60-second interval with the 1 GB bulk heap cut the engine's CPU per version by a fifth against
    10 seconds and 256 MB, measured over 30,000 versions; see the Search notes in BENCHMARKS.md).
    An interrupted run resumes from the last checkpoint, so at most that interval's work is done again.
    """
    backend = backend or search_backend()
    pending = {"documents": 0, "versions": 0, "last": run.last_document_id}
    last_commit = time.monotonic()

    def checkpoint() -> None:
        backend.commit()
        run.last_document_id = pending["last"]
        run.documents_done += pending["documents"]
        run.versions_done += pending["versions"]
        pending["documents"] = pending["versions"] = 0
        run.save(update_fields=["last_document_id", "documents_done", "versions_done"])

    with backend.bulk():
        cursor = run.last_document_id
        while True:
            ids = list(_documents(run.ocr_only).filter(pk__gt=cursor).order_by("pk")
                       .values_list("pk", flat=True)[:batch_size])
            if not ids:
                break
            reset = VersionIndexState.objects.filter(version__document_id__in=ids)
            if run.ocr_only:
                reset = reset.filter(version__mime_type__in=sorted(OCR_READABLE))
            if run.extract:
                reset.update(extracted_at=None, status=IndexStatus.PENDING, attempts=0, text="", reason="",
                             ocr_pages=0, ocr_pages_wanted=0, ocr_confidence=None)
            elif retry_failed:
                reset.filter(status=IndexStatus.FAILED).update(
                    extracted_at=None, status=IndexStatus.PENDING, attempts=0, reason=""
                )
            synced = documents_sync(ids, backend=backend)
            cursor = ids[-1]
            pending["last"] = cursor
            pending["documents"] += len(ids)
            pending["versions"] += synced.versions
            if time.monotonic() - last_commit >= commit_seconds:
                checkpoint()
                last_commit = time.monotonic()
            if progress:
                progress(ReindexRun(pk=run.pk, documents_done=run.documents_done + pending["documents"],
                                    versions_done=run.versions_done + pending["versions"],
                                    total_documents=run.total_documents, last_document_id=cursor))
        checkpoint()
        # Entries of documents deleted while nobody was indexing (a run limited to OCR leaves the rest alone).
        gone = [] if run.ocr_only else sorted(backend.document_ids() - set(Document.objects.values_list("pk", flat=True)))
        for start in range(0, len(gone), 1000):
            backend.delete_documents(gone[start : start + 1000])
    run.finished_at = timezone.now()
    run.save(update_fields=["finished_at"])
    return run


def ocr_pages_since(since) -> int:
    """Pages read by OCR in versions extracted since `since` (a run's progress line)."""
    from django.db.models import Sum

    return VersionIndexState.objects.filter(extracted_at__gte=since).aggregate(
        pages=Sum("ocr_pages"))["pages"] or 0


def ocr_summary(*, since) -> str:
    """One line on what OCR did in versions extracted since `since`: versions, pages, mean confidence."""
    from django.db.models import Avg, Count, Sum

    facts = VersionIndexState.objects.filter(extracted_at__gte=since, ocr_pages_wanted__gt=0).aggregate(
        versions=Count("pk"), pages=Sum("ocr_pages"), wanted=Sum("ocr_pages_wanted"),
        confidence=Avg("ocr_confidence"))
    if not facts["versions"]:
        return "OCR: no scanned pages or images found."
    line = (f"OCR: {facts['pages'] or 0:,} of {facts['wanted'] or 0:,} scanned pages read in "
            f"{facts['versions']:,} versions")
    if facts["confidence"] is not None:
        line += f", mean confidence {facts['confidence']:.0f}%"
    return line + "."
