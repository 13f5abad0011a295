"""What the mail intake remembers: each message it took (by mailbox, UIDVALIDITY and UID, and by Message-ID),
and what became of each of its parts (a document, or a rejection with its reason)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class MessageStatus(models.TextChoices):
    FILED = "filed", _("Filed")                  # matched on arrival; its documents exist
    QUEUED = "queued", _("Waiting for a customer")  # unmatched; in the intake queue
    ASSIGNED = "assigned", _("Assigned")          # staff chose its customer; its documents exist
    DUPLICATE = "duplicate", _("Duplicate")       # the same Message-ID was taken before; nothing new made


class MatchedBy(models.TextChoices):
    NONE = "", _("Not matched")
    ADDRESS = "address", _("Sender's address")
    DOMAIN = "domain", _("Sender's domain")
    NUMBER = "number", _("Number in the subject")
    STAFF = "staff", _("Assigned by staff")


class IntakeMessage(models.Model):
    mailbox = models.CharField(max_length=300)  # user@host:port/folder, never the password
    uidvalidity = models.BigIntegerField()
    uid = models.BigIntegerField()
    message_id = models.CharField(max_length=500, blank=True, db_index=True)
    sender = models.CharField(max_length=320, blank=True)
    sender_name = models.CharField(max_length=200, blank=True)
    subject = models.CharField(max_length=500, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    # The raw message in the document store (content-addressed), kept for the queue and the .eml document.
    object_key = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64)
    size = models.BigIntegerField()
    status = models.CharField(max_length=16, choices=MessageStatus.choices)
    matched_by = models.CharField(max_length=16, choices=MatchedBy.choices, blank=True, default="")
    customer = models.ForeignKey("crm.Customer", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="intake_messages")
    quote = models.ForeignKey("crm.Quote", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="intake_messages")
    order = models.ForeignKey("crm.Order", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="intake_messages")
    documents_owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="+")
    duplicate_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    assigned_at = models.DateTimeField(null=True, blank=True)
    # Why it was queued (a stable code: "no_match", "ambiguous", "conflict", "no_owner").
    queue_reason = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("mailed message")
        verbose_name_plural = _("mailed messages")
        constraints = [
            models.UniqueConstraint(fields=["mailbox", "uidvalidity", "uid"], name="intake_message_uid_uniq"),
        ]
        indexes = [models.Index(fields=["status", "received_at"], name="intake_status_idx")]

    def __str__(self) -> str:
        return self.subject or f"#{self.pk}"


class PartKind(models.TextChoices):
    MESSAGE = "message", _("The message")
    ATTACHMENT = "attachment", _("Attachment")


class RejectReason(models.TextChoices):
    TYPE = "type", _("Type not allowed")
    SIZE = "size", _("Too large")
    EMPTY = "empty", _("Empty")


class IntakePart(models.Model):
    """One part of a message: the message itself (as .eml) or an attachment; a document, or rejected."""

    message = models.ForeignKey(IntakeMessage, on_delete=models.CASCADE, related_name="parts")
    position = models.PositiveIntegerField()
    kind = models.CharField(max_length=16, choices=PartKind.choices)
    filename = models.CharField(max_length=255, blank=True)
    mime_type = models.CharField(max_length=200, blank=True)
    size = models.BigIntegerField(default=0)
    document = models.ForeignKey("documents.Document", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    rejected = models.CharField(max_length=16, choices=RejectReason.choices, blank=True)

    class Meta:
        ordering = ["message", "position"]
        constraints = [models.UniqueConstraint(fields=["message", "position"], name="intake_part_position_uniq")]
