"""`manage.py search_status`: is search up, how far behind is it, what failed, how big is the index."""

from __future__ import annotations

import json

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db.models import Count, Min, Q
from django.utils import timezone

from indexing.engine import search_backend
from backend.documents.models import DocumentVersion
from indexing.backends import SearchUnavailable
from indexing.models import IndexStatus, ReindexRun, SearchOutbox, VersionIndexState
from indexing.reindex import redacted_url


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024
    return str(n)  # pragma: no cover


def search_status(*, failures: int = 10) -> dict:
    """Everything the command prints, as data (also handy in tests and health checks)."""
    backend = search_backend()
    engine: dict = {"url": redacted_url(settings.SEARCH_URL), "up": True}
    try:
        backend.ping()
        stats = backend.stats()
        engine.update(versions=stats.documents, size_bytes=stats.size_bytes, detail=stats.detail)
    except SearchUnavailable as exc:
        engine.update(up=False, error=str(exc))
    states = dict(VersionIndexState.objects.values_list("status").annotate(n=Count("pk")))
    total_versions = DocumentVersion.objects.count()
    counts = {status: states.get(status, 0) for status in IndexStatus.values}
    counts["pending"] += max(0, total_versions - sum(states.values()))  # never seen by the pipeline yet
    outbox = SearchOutbox.objects.aggregate(
        rows=Count("pk"),
        documents=Count("document_id", distinct=True),
        oldest=Min("created_at"),
        engine=Count("pk", filter=Q(blocked_on="engine")),
        store=Count("pk", filter=Q(blocked_on="store")),
    )
    now = timezone.now()
    backlog = {
        "documents": outbox["documents"],
        "rows": outbox["rows"],
        "oldest_seconds": int((now - outbox["oldest"]).total_seconds()) if outbox["oldest"] else 0,
        "waiting_for_engine": outbox["engine"],
        "waiting_for_store": outbox["store"],
    }
    failed = (
        VersionIndexState.objects.filter(status=IndexStatus.FAILED)
        .select_related("version__document")
        .order_by("-updated_at")[:failures]
    )
    reasons = list(
        VersionIndexState.objects.filter(status=IndexStatus.FAILED)
        .values("reason").annotate(n=Count("pk")).order_by("-n")[:10]
    )
    run = ReindexRun.objects.first()
    return {
        "engine": engine,
        "versions": {"total": total_versions, **counts},
        "backlog": backlog,
        "failures": [
            {
                "document_id": state.version.document_id,
                "version": state.version.number,
                "title": state.version.document.title,
                "mime_type": state.version.mime_type,
                "reason": state.reason,
            }
            for state in failed
        ],
        "failure_reasons": [{"reason": row["reason"], "versions": row["n"]} for row in reasons],
        "last_reindex": None if run is None else {
            "id": run.pk,
            "started_at": run.started_at.isoformat(),
            "finished_at": run.finished_at.isoformat() if run.finished_at else None,
            "documents_done": run.documents_done,
            "total_documents": run.total_documents,
            "last_document_id": run.last_document_id,
        },
    }


class Command(BaseCommand):
    help = "Show the search engine's state, the indexing backlog, failed extractions and the index size."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="machine-readable output")
        parser.add_argument("--failures", type=int, default=10, help="how many recent failures to list")

    def handle(self, *args, **options):
        status = search_status(failures=options["failures"])
        if options["json"]:
            self.stdout.write(json.dumps(status, ensure_ascii=False, indent=2))
            return
        engine = status["engine"]
        if engine["up"]:
            self.stdout.write(f"Search engine: {engine['url']} (up)")
            self.stdout.write(f"Index: {engine['versions']:,} versions, {_size(engine['size_bytes'])} ({engine['detail']})")
        else:
            self.stdout.write(self.style.ERROR(f"Search engine: {engine['url']} is DOWN: {engine['error']}"))
        v = status["versions"]
        self.stdout.write(
            f"Versions: {v['total']:,} in the database; {v['indexed']:,} indexed, {v['pending']:,} pending, "
            f"{v['failed']:,} failed, {v['unsupported']:,} unsupported (metadata only)"
        )
        b = status["backlog"]
        if b["documents"]:
            self.stdout.write(self.style.WARNING(
                f"Backlog: {b['documents']:,} documents queued, oldest {b['oldest_seconds']:,} s ago "
                f"({b['waiting_for_engine']} rows waiting for the search engine, {b['waiting_for_store']} for the "
                f"document store)"
            ))
        else:
            self.stdout.write("Backlog: none")
        run = status["last_reindex"]
        if run:
            state = f"finished {run['finished_at']}" if run["finished_at"] else (
                f"UNFINISHED after document {run['last_document_id']} (search_reindex resumes it)")
            self.stdout.write(f"Last reindex: run {run['id']}, {run['documents_done']:,}/{run['total_documents']:,} "
                              f"documents, {state}")
        if status["failure_reasons"]:
            self.stdout.write("Failure reasons:")
            for row in status["failure_reasons"]:
                self.stdout.write(f"  {row['versions']:>6,}  {row['reason']}")
            self.stdout.write("Recent failures:")
            for row in status["failures"]:
                self.stdout.write(f"  document {row['document_id']} v{row['version']} {row['title']!r} "
                                  f"({row['mime_type']}): {row['reason']}")
