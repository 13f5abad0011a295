"""Background work of the search index (Celery; in-process when CELERY_BROKER_URL is empty)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from celery import shared_task

from indexing.outbox import expired_outbox_add, outbox_drain

logger = logging.getLogger(__name__)


@shared_task(
    name="indexing.sync_documents",
    bind=True,
    acks_late=True,
    max_retries=8,
    soft_time_limit=15 * 60,
    time_limit=16 * 60,
)
def sync_documents(self, document_ids: list[int]) -> dict:
    """Index these documents (queued by a write that just committed), then whatever else is due.

    Extraction failures are recorded per version and never retried here; an unreachable search
    engine or document store is retried with back-off (and by the periodic drain in any case).
    """
    report = outbox_drain(document_ids=document_ids, respect_breaker=True)
    if (report.engine_error or report.store_retry) and not self.request.is_eager:
        raise self.retry(countdown=min(300, 10 * 2**self.request.retries))
    return {"documents": report.documents, "versions": report.versions, "error": report.engine_error}


def sync_documents_start(document_ids: Sequence[int]) -> None:
    """Start `sync_documents` for queued documents. Never raises: if the broker is down, the periodic
    drain picks the rows up."""
    ids = list(document_ids)
    if not ids:
        return
    try:
        sync_documents.delay(ids)
    except Exception:  # noqa: BLE001 - broker down: the periodic drain picks the rows up
        logger.warning("could not start indexing of %s; the periodic drain will", ids, exc_info=True)


@shared_task(name="indexing.drain_outbox", soft_time_limit=50 * 60, time_limit=55 * 60)
def drain_outbox() -> dict:
    """Every minute (Celery beat): write the backlog left by a search engine or store outage."""
    report = outbox_drain()
    return {"documents": report.documents, "versions": report.versions, "error": report.engine_error}


@shared_task(name="indexing.enqueue_expired")
def enqueue_expired() -> int:
    """Approved versions past their valid-until date read as "expired" in search too: re-index the
    documents whose version expired in the past week."""
    ids = expired_outbox_add()
    sync_documents_start(ids)
    return len(ids)
