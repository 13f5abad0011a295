"""The portal's domain: documents shared with customers, and the portal accounts of customer contacts.

Invariants live here (fields, constraints); writes live in shares.py (document shares) and
portal_accounts.py (invitations, sign-in, disable). The tables keep the names they had when these
models lived in the documents and accounts apps (`db_table`), so moving them here copied no row.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ShareSuspension(models.TextChoices):
    # The document was raised to confidential or secret and whoever vouched for the share may not manage it.
    RECLASSIFIED = "reclassified", _("The document's classification was raised")


class DocumentShare(models.Model):
    """A document shared with one customer's portal users.

    It follows the document's valid version, or pins one version. It may expire, and is either
    downloadable or view-only (pages rendered as images in the browser; the file itself is never
    sent). Revoking keeps the row, so the record of what was shared stays.

    A share is only as good as the colleague who vouches for it: whoever last re-confirmed it, else
    whoever created it. Each portal read re-checks that they may still share the document under its
    current classification (backend.access.policy). Raising the classification suspends the shares
    whose voucher may not manage the document; someone who may manage it re-confirms (and so vouches
    for) them, or revokes them.
    """

    document = models.ForeignKey("documents.Document", on_delete=models.CASCADE, related_name="shares")
    customer = models.ForeignKey("crm.Customer", on_delete=models.CASCADE, related_name="document_shares")
    # None: follow the valid version. Set: always this version.
    version = models.ForeignKey(
        "documents.DocumentVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="shares"
    )
    downloadable = models.BooleanField(default=True)
    # When the pinned version is no longer the valid one, may the customer be pointed to the valid one?
    offer_valid_version = models.BooleanField(default=False)
    note = models.CharField(max_length=500, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Set while the share is suspended (portal users get a 404); cleared by a re-confirmation.
    suspended_at = models.DateTimeField(null=True, blank=True)
    suspended_reason = models.CharField(max_length=32, choices=ShareSuspension.choices, blank=True)
    # Who last re-confirmed the share: from then on they vouch for it instead of its creator.
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # The table it had in the documents app: moving the model moved no row (migration sharing 0001).
        db_table = "documents_documentshare"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-created_at"], name="share_customer_idx"),
            models.Index(fields=["document"], name="share_document_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(suspended_at__isnull=True, suspended_reason="")
                | Q(suspended_at__isnull=False) & ~Q(suspended_reason=""),
                name="share_suspension_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.document_id} → customer {self.customer_id}"

    def is_expired(self, *, now: dt.datetime | None = None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())

    @property
    def voucher_id(self) -> int:
        """The colleague whose right to share the document keeps this share alive."""
        return self.confirmed_by_id or self.created_by_id

    @property
    def voucher(self):
        return self.confirmed_by if self.confirmed_by_id else self.created_by


class PortalAccount(models.Model):
    """A customer contact's way into the portal: one per contact, tied to that contact's customer.

    The user row is created with the invitation (inactive, no usable password) and activated when
    the contact sets a password through the invitation link. Disabling deactivates the user,
    which ends every session at once (Django refuses inactive users on each request).
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="portal_account")
    contact = models.OneToOneField("crm.Contact", on_delete=models.PROTECT, related_name="portal_account")
    # The contact's customer, copied so every portal rule is one indexed equality.
    customer = models.ForeignKey("crm.Customer", on_delete=models.PROTECT, related_name="portal_accounts")
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    invited_at = models.DateTimeField(default=timezone.now)
    activated_at = models.DateTimeField(null=True, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    last_signin_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # The tables they had in the accounts app: moving the models moved no row (migration sharing 0001).
        db_table = "accounts_portalaccount"
        ordering = ["customer_id", "id"]
        indexes = [models.Index(fields=["customer"], name="portal_account_customer_idx")]

    def __str__(self) -> str:
        return f"{self.user.email} ({self.customer_id})"

    @property
    def state(self) -> str:
        if self.disabled_at:
            return "disabled"
        if self.activated_at:
            return "active"
        return "invited"


class PortalInvitation(models.Model):
    """A single-use, expiring link to set a portal password. Only the token's SHA-256 is stored."""

    account = models.ForeignKey(PortalAccount, on_delete=models.CASCADE, related_name="invitations")
    token_sha256 = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    # Set when a newer invitation replaces this one, or the account is disabled.
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "accounts_portalinvitation"
        ordering = ["-created_at", "-id"]
