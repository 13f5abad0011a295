"""Background work of the mail intake (Celery; scheduled in CELERY_BEAT_SCHEDULE when MAIL_INTAKE_URL is set)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="intake.poll_mailbox", ignore_result=True)
def poll_mailbox() -> dict:
    """Every MAIL_INTAKE_POLL_SECONDS: take the mailbox's unseen messages (each exactly once)."""
    from django.conf import settings

    from backend.intake.services import mail_intake_poll

    if not settings.MAIL_INTAKE_URL:
        return {"mailbox": "", "taken": 0, "already": 0, "failed": 0}
    return mail_intake_poll().as_dict()
