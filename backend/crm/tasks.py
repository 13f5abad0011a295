"""Background work of the CRM (Celery; scheduled in CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="crm.service_levels_escalate")
def service_levels_escalate() -> dict:
    """Every SERVICE_LEVEL_SCAN_SECONDS: escalate breached and unconfirmed service records, once each."""
    from backend.crm.services.service_levels import service_levels_escalate as escalate

    return escalate()
