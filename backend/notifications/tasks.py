"""Background work of notifications (Celery). Every task is idempotent."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="notifications.deliver", acks_late=True)
def deliver(delivery_id: int) -> str:
    """Send one e-mail or SMS (queued on commit by notify() and the customer e-mails)."""
    from backend.notifications.mail import send_delivery

    return send_delivery(delivery_id)


@shared_task(name="notifications.retry_deliveries", acks_late=True)
def retry_deliveries() -> int:
    """Beat: try failed deliveries again after their pause."""
    from backend.notifications.mail import retry_due_deliveries

    return retry_due_deliveries()


@shared_task(name="notifications.daily_digest", acks_late=True)
def daily_digest() -> int:
    """Beat, once a day: one e-mail per user with what they chose to hear about in a digest."""
    from backend.notifications.digest import send_daily_digests

    return send_daily_digests()


@shared_task(name="notifications.scan_due", acks_late=True)
def scan_due() -> dict:
    """Beat: reminders that came due (often); idempotent, so a retried pass notifies nobody twice."""
    from backend.notifications import triggers

    return {"reminders": triggers.reminders_due()}


@shared_task(name="notifications.scan_daily", acks_late=True)
def scan_daily() -> dict:
    """Beat, a few times a day: quotes about to expire, overdue invoices, shares and approvals about to end."""
    from backend.notifications import triggers

    return {"quotes": triggers.quotes_expiring(), "invoices": triggers.invoices_overdue(),
            "documents": triggers.documents_expiring()}
