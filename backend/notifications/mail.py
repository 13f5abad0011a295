"""Sending deliveries: e-mail through Django's mail backends, SMS through the gateway of settings.

A delivery is sent at most once: the row is locked, skipped when already sent, and marked sent in the
same transaction that sent it. A failed try is recorded (attempts, last error) and tried again by the
``notifications.retry_deliveries`` beat task after a growing pause, up to NOTIFICATIONS_MAX_ATTEMPTS;
then it stays "failed", where admins see it (the Django admin's Deliveries list).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.notifications.models import DeliveryChannel, DeliveryRecord, DeliveryStatus, Notification

logger = logging.getLogger("dossier.notifications")


@functools.lru_cache(maxsize=1)
def _preferences_path() -> str:
    try:
        return reverse("web:notification_preferences")
    except NoReverseMatch:
        return "/inbox/preferences/"


def _preferences_link() -> str:
    return settings.SITE_URL.rstrip("/") + _preferences_path()


def notification_email(notification: Notification) -> tuple[str, str]:
    """Subject and text of one notification's e-mail, in the active language."""
    lines = [notification.title]
    if notification.body:
        lines += ["", notification.body]
    if notification.link:
        lines += ["", settings.SITE_URL.rstrip("/") + notification.link]
    lines += ["", "--", _("Choose which notifications reach you by e-mail: %(link)s") % {"link": _preferences_link()}]
    return "[Dossier] " + notification.title, "\n".join(lines)


def digest_email(notifications: list[Notification]) -> tuple[str, str]:
    """Subject and text of a daily digest, in the active language."""
    subject = _("[Dossier] Your daily digest: %(count)s notifications") % {"count": len(notifications)}
    lines = [_("What happened since your last digest:"), ""]
    for row in notifications:
        lines.append("• " + row.title)
        if row.body:
            lines.append("  " + row.body.replace("\n", "\n  "))
        if row.link:
            lines.append("  " + settings.SITE_URL.rstrip("/") + row.link)
    lines += ["", "--", _("Choose which notifications reach you by e-mail: %(link)s") % {"link": _preferences_link()}]
    return subject, "\n".join(lines)


def _backoff(attempts: int) -> dt.timedelta:
    base = int(settings.NOTIFICATIONS_RETRY_SECONDS)
    return dt.timedelta(seconds=base * (2 ** max(0, attempts - 1)))


def _send(delivery: DeliveryRecord) -> None:
    if delivery.channel == DeliveryChannel.SMS:
        from backend.notifications.sms import sms_gateway

        sms_gateway().send(to=delivery.to_address, text=delivery.body)
        return
    message = EmailMessage(subject=delivery.subject, body=delivery.body, from_email=settings.DEFAULT_FROM_EMAIL,
                           to=[delivery.to_address], headers=dict(delivery.headers or {}))
    message.send(fail_silently=False)


def send_delivery(delivery_id: int) -> str:
    """Send one delivery unless it was sent (or given up) already; return its status afterwards."""
    with transaction.atomic():
        delivery = DeliveryRecord.objects.select_for_update().filter(pk=delivery_id).first()
        if delivery is None:
            return "missing"
        if delivery.status in (DeliveryStatus.SENT, DeliveryStatus.FAILED, DeliveryStatus.CANCELLED):
            return delivery.status
        now = timezone.now()
        delivery.attempts += 1
        try:
            _send(delivery)
        except Exception as error:  # noqa: BLE001 - any failure of the backend is recorded and retried
            delivery.last_error = f"{type(error).__name__}: {error}"[:2000]
            if delivery.attempts >= int(settings.NOTIFICATIONS_MAX_ATTEMPTS):
                delivery.status = DeliveryStatus.FAILED
                delivery.next_attempt_at = None
            else:
                delivery.status = DeliveryStatus.RETRYING
                delivery.next_attempt_at = now + _backoff(delivery.attempts)
            logger.warning("delivery %s to %s failed (attempt %s): %s", delivery.pk, delivery.to_address,
                           delivery.attempts, delivery.last_error)
        else:
            delivery.status = DeliveryStatus.SENT
            delivery.sent_at = now
            delivery.next_attempt_at = None
        delivery.save(update_fields=["attempts", "last_error", "status", "next_attempt_at", "sent_at"])
        return delivery.status


def retry_due_deliveries(*, now=None, limit: int = 500) -> int:
    """Try again every delivery whose pause is over (and pending ones a lost task never sent)."""
    now = now or timezone.now()
    stale = now - dt.timedelta(seconds=int(settings.NOTIFICATIONS_RETRY_SECONDS))
    due = list(
        DeliveryRecord.objects.filter(status=DeliveryStatus.RETRYING, next_attempt_at__lte=now)
        .union(DeliveryRecord.objects.filter(status=DeliveryStatus.PENDING, created_at__lte=stale))
        .values_list("pk", flat=True)[:limit])
    for pk in due:
        send_delivery(pk)
    return len(due)
