"""Periodic maintenance run by Celery beat in production, and previews drawn after an upload."""

from celery import shared_task
from django.conf import settings

from backend.documents.integrity import storage_orphans_sweep


@shared_task(name="documents.storage_gc")
def storage_gc() -> int:
    return len(storage_orphans_sweep(grace_seconds=settings.STORAGE_GC_GRACE_SECONDS).deleted)


@shared_task(name="documents.preview_warm", ignore_result=True)
def preview_warm(version_id: int) -> str:
    from backend.documents.previews import preview_warm as draw

    return draw(version_id=version_id)


@shared_task(name="documents.trash_purge")
def trash_purge() -> int:
    """Delete for good the documents in the trash past TRASH_RETENTION_DAYS (idempotent)."""
    from backend.documents.trash import trash_purge_expired

    return len(trash_purge_expired().purged)


@shared_task(name="documents.legal_holds_sync")
def legal_holds_sync() -> int:
    """Make the store hold what active legal holds cover and release the rest (idempotent)."""
    from backend.documents.holds import legal_holds_sync_store

    report = legal_holds_sync_store()
    return len(report.held) + len(report.released)


@shared_task(name="documents.retention_refresh")
def retention_refresh() -> int:
    """Recompute disposal dates and fill the disposal review queue (idempotent); returns how many became due."""
    from backend.documents.retention import retention_refresh as refresh

    return len(refresh().newly_due)
