"""Background work of the CRM (Celery; scheduled in CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="crm.service_levels_escalate")
def service_levels_escalate() -> dict:
    """Every SERVICE_LEVEL_SCAN_SECONDS: escalate breached and unconfirmed service records, once each, at most
    SERVICE_LEVEL_ESCALATIONS_PER_PASS in one pass. When more are due, the next pass is queued at once (after
    this one's last commit), so a backlog does not wait for the beat; an overlapping pass takes other rows."""
    from django.db import transaction

    from backend.crm.services.service_levels import service_levels_escalate_pass

    result = service_levels_escalate_pass()
    if result.more:
        transaction.on_commit(lambda: service_levels_escalate.delay())
    return result.counts


@shared_task(name="crm.import_commit", ignore_result=True)
def import_commit(run_id: int, user_id: int) -> None:
    """Write an import run's rows (the wizard's "Import now"); resumes a run an earlier attempt left
    half-done, does nothing for a finished one."""
    from backend.accounts.models import User
    from backend.crm.imports.runs import import_run_commit
    from backend.crm.models import ImportRun

    run = ImportRun.objects.filter(pk=run_id).first()
    user = User.objects.filter(pk=user_id).first()
    if run is not None and user is not None:
        import_run_commit(actor=user, run=run)
