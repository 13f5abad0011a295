"""Background work of the portal's domain."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="sharing.portal_password_reset_mail", acks_late=True)
def portal_password_reset_mail(subject: str, body: str, recipient: str) -> None:
    """Send a rendered "forgot password" e-mail. Queued on commit, so the answer to the request does not
    wait for the mail server: an address with an account answers as fast as one without (with a broker;
    without one, CELERY_TASK_ALWAYS_EAGER sends it in the request, as the invitation does)."""
    from django.conf import settings
    from django.core.mail import send_mail

    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [recipient])
