"""The daily digest: each user's notifications held for it, gathered into one e-mail.

Idempotent: the notifications a digest includes are marked in the same transaction that records the
digest's delivery, so a second run (a retried beat) finds nothing left to send.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone, translation

from backend.accounts.models import User
from backend.notifications.kinds import Delivery
from backend.notifications.models import DeliveryChannel, DeliveryRecord, Notification

DIGEST_KIND = "notifications.digest"


def send_daily_digests() -> int:
    """Record (and queue) one digest e-mail per user with held notifications; return how many."""
    from backend.notifications.mail import digest_email
    from backend.notifications.services import queue_deliveries, user_language

    user_ids = list(Notification.objects.filter(delivery=Delivery.DIGEST, digested_at__isnull=True)
                    .values_list("recipient_id", flat=True).distinct())
    sent = 0
    for user in User.objects.filter(pk__in=user_ids).order_by("pk"):
        with transaction.atomic():
            rows = list(Notification.objects.select_for_update()
                        .filter(recipient=user, delivery=Delivery.DIGEST, digested_at__isnull=True)
                        .order_by("created_at", "pk"))
            if not rows:
                continue
            now = timezone.now()
            Notification.objects.filter(pk__in=[row.pk for row in rows]).update(digested_at=now)
            if not (user.is_active and user.email):
                continue
            with translation.override(user_language(user)):
                subject, body = digest_email(rows)
            delivery = DeliveryRecord.objects.create(channel=DeliveryChannel.EMAIL, kind=DIGEST_KIND,
                                                     recipient_user=user, to_address=user.email,
                                                     subject=subject[:300], body=body)
            queue_deliveries([delivery.pk])
            sent += 1
    return sent
