"""The search outbox: documents waiting to be (re)indexed, and the drain that writes them.

A row says "this document changed; bring its index entries up to date". Rows are added by the hooks
(`indexing.hooks`) and the expiry job, and drained by the `indexing.sync_documents` task right
after the change and by the periodic `indexing.drain_outbox` task. A drain leases due rows, syncs
their documents (`indexing.sync.documents_sync`) and deletes the rows it handled. If the search
engine is down the rows stay, back off, and are written as soon as a write succeeds again (or the
next periodic drain finds the engine back); if the store is down only the text waits.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from backend.documents.models import DocumentVersion, VersionStatus
from indexing.backends import SearchBackend, SearchUnavailable
from indexing.engine import search_backend
from indexing.models import SearchOutbox
from indexing.sync import documents_sync

logger = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 300
BLOCKED_ENGINE = "engine"
BLOCKED_STORE = "store"
BLOCKED_LEASE = "lease"


def outbox_add(*, document_ids: Iterable[int], reason: str) -> list[int]:
    """Queue documents for re-indexing; returns the ids queued (none if the rows could not be written).

    Never raises: it runs after the caller's change, which must stand (inside a transaction the rows
    are written in a savepoint of their own). Rows that could not be written are found again by
    the next `search_reindex`.
    """
    ids = sorted({int(document_id) for document_id in document_ids})
    if not ids:
        return []
    try:
        with transaction.atomic():
            SearchOutbox.objects.bulk_create([SearchOutbox(document_id=i, reason=reason[:40]) for i in ids])
    except Exception:  # noqa: BLE001 - the caller's change is committed; the reconcile job will find it
        logger.exception("could not queue documents %s for indexing", ids)
        return []
    return ids


def expired_outbox_add(*, today: dt.date | None = None, days: int = 7) -> list[int]:
    """Queue documents whose approved version expired in the last `days` days (they now read "expired")."""
    today = today or timezone.localdate()
    ids = set(
        DocumentVersion.objects.filter(
            status=VersionStatus.APPROVED, valid_until__lt=today, valid_until__gte=today - dt.timedelta(days=days)
        ).values_list("document_id", flat=True)
    )
    return outbox_add(document_ids=ids, reason="expired") if ids else []


# --- draining -----------------------------------------------------------------------------------

_breaker = {"open_until": 0.0}


@dataclass
class DrainReport:
    documents: int = 0
    versions: int = 0
    rows: int = 0
    engine_error: str = ""
    store_retry: int = 0

    @property
    def ok(self) -> bool:
        return not self.engine_error


def _backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(MAX_BACKOFF_SECONDS, 5 * 2 ** max(0, attempts)))


def _claim(*, batch: int, document_ids: Sequence[int] | None, include_engine_backlog: bool) -> dict[int, list[int]]:
    """Lease due outbox rows of up to `batch` documents: {document_id: [row ids]}."""
    now = timezone.now()
    due = Q(available_at__lte=now)
    if include_engine_backlog:
        due |= Q(blocked_on=BLOCKED_ENGINE)
    with transaction.atomic():
        rows = SearchOutbox.objects.filter(due)
        if document_ids is not None:
            rows = rows.filter(document_id__in=document_ids)
        picked = list(
            rows.select_for_update(skip_locked=True).order_by("id").values_list("id", "document_id")[: batch * 4]
        )
        claimed: dict[int, list[int]] = {}
        for row_id, document_id in picked:
            if document_id not in claimed and len(claimed) >= batch:
                continue
            claimed.setdefault(document_id, []).append(row_id)
        if claimed:
            SearchOutbox.objects.filter(id__in=[r for rows_ in claimed.values() for r in rows_]).update(
                available_at=now + dt.timedelta(seconds=settings.SEARCH_OUTBOX_LEASE_SECONDS), blocked_on=BLOCKED_LEASE
            )
    return claimed


def _release(row_ids: list[int], *, blocked_on: str, error: str) -> None:
    """Give leased rows back, due again after a back-off that grows with their attempts."""
    rows = SearchOutbox.objects.filter(id__in=row_ids)
    attempts = max(rows.values_list("attempts", flat=True), default=0)
    rows.update(
        attempts=F("attempts") + 1,
        available_at=timezone.now() + _backoff(attempts),
        blocked_on=blocked_on,
        last_error=error[:2000],
    )


def _engine_back(backend: SearchBackend) -> bool:
    """True when rows wait for the engine and it answers again."""
    if not SearchOutbox.objects.filter(blocked_on=BLOCKED_ENGINE).exists():
        return False
    try:
        backend.ping()
    except Exception:  # noqa: BLE001 - still down (or unreadable): the rows keep their back-off
        return False
    return True


def outbox_drain(
    *,
    document_ids: Sequence[int] | None = None,
    max_batches: int | None = None,
    backend: SearchBackend | None = None,
    respect_breaker: bool = False,
) -> DrainReport:
    """Sync queued documents until the outbox has nothing due (or the engine fails).

    After the first successful write the engine is known to be up, so rows held back by an
    earlier engine failure are drained too, without waiting for their back-off. The periodic drain
    (no `document_ids`) asks the engine first when such rows wait, so the backlog of an outage is
    written within one drain interval of the engine's return, not after the rows' back-off.
    """
    report = DrainReport()
    if respect_breaker and time.monotonic() < _breaker["open_until"]:
        report.engine_error = "search engine recently unavailable; queued"
        return report
    backend = backend or search_backend()
    batch = settings.SEARCH_OUTBOX_BATCH
    engine_up = document_ids is None and _engine_back(backend)
    batches = 0
    scope = list(document_ids) if document_ids is not None else None
    while max_batches is None or batches < max_batches:
        claimed = _claim(batch=batch, document_ids=scope, include_engine_backlog=engine_up)
        if not claimed:
            if scope is not None and engine_up:
                scope = None  # our documents are done: now the rest of the backlog
                continue
            break
        batches += 1
        row_ids = [row_id for rows in claimed.values() for row_id in rows]
        try:
            synced = documents_sync(list(claimed), backend=backend)
        except SearchUnavailable as exc:
            _release(row_ids, blocked_on=BLOCKED_ENGINE, error=str(exc))
            _breaker["open_until"] = time.monotonic() + 30
            report.engine_error = str(exc)
            logger.warning("search engine unavailable; %d documents stay queued: %s", len(claimed), exc)
            break
        except Exception as exc:  # noqa: BLE001 - keep the rows; report and stop this drain
            _release(row_ids, blocked_on=BLOCKED_ENGINE, error=f"{type(exc).__name__}: {exc}")
            logger.exception("indexing documents %s failed", sorted(claimed))
            report.engine_error = f"{type(exc).__name__}: {exc}"
            break
        _breaker["open_until"] = 0.0
        engine_up = True
        retry_rows = [row_id for document_id in synced.store_retry for row_id in claimed[document_id]]
        done_rows = [row_id for row_id in row_ids if row_id not in set(retry_rows)]
        SearchOutbox.objects.filter(id__in=done_rows).delete()
        if retry_rows:
            _release(retry_rows, blocked_on=BLOCKED_STORE, error="the document store is unavailable")
        report.documents += synced.documents
        report.versions += synced.versions
        report.rows += len(done_rows)
        report.store_retry += len(synced.store_retry)
    return report
