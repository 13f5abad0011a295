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
