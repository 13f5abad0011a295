"""Notifications: what was said to whom (Notification), how each user wants to hear about each kind
(Preference), what they follow (Watch), each e-mail or SMS sent or still to send (Delivery, with its
attempts and last error), and each customer contact's consent to e-mail (ContactEmailConsent, with the
token of the unsubscribe link).

No side effects in save(): the services in ``services.py`` write these rows.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backend.notifications.kinds import DELIVERY_LABELS, Delivery


class Notification(models.Model):
    """One thing one user was told. `title` and `body` are already in the recipient's language; `link` is a
    path on this site. `once_key` (with kind and recipient) makes a notification happen at most once."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=100)
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    link = models.CharField(max_length=500, blank=True)
    target_type = models.CharField(max_length=100, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    once_key = models.CharField(max_length=200, null=True, blank=True)
    # the recipient's preference when it was recorded: inbox, email or digest
    delivery = models.CharField(max_length=10, default=Delivery.INBOX)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    # set when a daily digest e-mail included it (only for delivery == digest)
    digested_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "recipient", "once_key"], condition=Q(once_key__isnull=False),
                                    name="notification_once"),
        ]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread_idx"),
            models.Index(fields=["delivery", "digested_at"], name="notification_digest_idx"),
            # the beat passes ask "was this row told already?" (triggers.reminders_due)
            models.Index(fields=["kind", "target_type", "target_id"], name="notification_target_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient_id}: {self.title}"


class Preference(models.Model):
    """A user's choice for one kind; without a row the kind's default applies."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences")
    kind = models.CharField(max_length=100)
    delivery = models.CharField(max_length=10, choices=[(k, v) for k, v in DELIVERY_LABELS.items()])

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="notification_preference_once")]


class Watch(models.Model):
    """A user following a document or a customer (exactly one of them)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="watches")
    document = models.ForeignKey("documents.Document", null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="watches")
    customer = models.ForeignKey("crm.Customer", null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="watches")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(document__isnull=False, customer__isnull=True)
                           | Q(document__isnull=True, customer__isnull=False)),
                name="watch_one_target"),
            models.UniqueConstraint(fields=["user", "document"], condition=Q(document__isnull=False),
                                    name="watch_document_once"),
            models.UniqueConstraint(fields=["user", "customer"], condition=Q(customer__isnull=False),
                                    name="watch_customer_once"),
        ]


class DeliveryChannel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENT = "sent", _("Sent")
    # a try failed; it is tried again at next_attempt_at, up to NOTIFICATIONS_MAX_ATTEMPTS
    RETRYING = "retrying", _("Failed, will retry")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Not sent")


class DeliveryRecord(models.Model):
    """One message to send by e-mail or SMS: the rendered text, where it goes, and how sending went.
    A notification's e-mail, a daily digest (several notifications) or a customer e-mail."""

    channel = models.CharField(max_length=10, choices=DeliveryChannel.choices, default=DeliveryChannel.EMAIL)
    kind = models.CharField(max_length=100)
    notification = models.ForeignKey(Notification, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="deliveries")
    recipient_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                       related_name="notification_deliveries")
    contact = models.ForeignKey("crm.Contact", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="notification_deliveries")
    to_address = models.CharField(max_length=254)
    subject = models.CharField(max_length=300, blank=True)
    body = models.TextField()
    # extra headers (List-Unsubscribe for customer e-mails)
    headers = models.JSONField(default=dict, blank=True)
    # a customer e-mail's once-only key (kind, contact, once_key)
    once_key = models.CharField(max_length=200, null=True, blank=True)
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("delivery")
        constraints = [
            models.UniqueConstraint(fields=["kind", "contact", "once_key"],
                                    condition=Q(once_key__isnull=False, contact__isnull=False),
                                    name="delivery_contact_once"),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due_idx")]

    def __str__(self) -> str:
        return f"{self.channel} {self.kind} → {self.to_address} ({self.status})"


def _unsubscribe_token() -> str:
    return secrets.token_urlsafe(32)


class ContactEmailConsent(models.Model):
    """Whether a customer's contact agreed to e-mails from us about their service, shares and quotes.
    `token` is the secret of the unsubscribe link in every such e-mail (it works without signing in)."""

    contact = models.OneToOneField("crm.Contact", on_delete=models.CASCADE, related_name="email_consent")
    consented = models.BooleanField(default=False)
    consented_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    token = models.CharField(max_length=64, unique=True, default=_unsubscribe_token)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.contact_id}: {'yes' if self.consented else 'no'}"
