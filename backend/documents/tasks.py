"""Periodic maintenance run by Celery beat in production."""

from celery import shared_task
from django.conf import settings

from backend.documents.integrity import storage_orphans_sweep


@shared_task(name="documents.storage_gc")
def storage_gc() -> int:
    return len(storage_orphans_sweep(grace_seconds=settings.STORAGE_GC_GRACE_SECONDS).deleted)
