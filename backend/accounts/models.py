"""People and organisation: users, departments, roles.

A Department owns one auth Group so that object permissions granted to a
department are ordinary guardian group grants, and membership is kept in step
by the accounts services (never by signals).
"""

from __future__ import annotations

import hashlib

from django.contrib.auth.models import AbstractUser, Group
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    SALES = "sales", _("Sales")
    SERVICE = "service", _("Service")
    COMPLIANCE = "compliance", _("Compliance")
    ADMIN = "admin", _("Administrator")
    STAFF = "staff", _("Staff")
    # A customer's contact using the portal. Never staff: the access policy gives this role none
    # of the staff rules, and the portal boundary keeps it out of every staff URL.
    PORTAL = "portal", _("Customer portal user")


class Department(models.Model):
    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    group = models.OneToOneField(Group, on_delete=models.PROTECT, related_name="department")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    display_name = models.CharField(_("display name"), max_length=150, blank=True)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.STAFF)
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    preferred_language = models.CharField(max_length=10, default="en")

    class Meta:
        ordering = ["username"]

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    @property
    def is_admin_role(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_compliance(self) -> bool:
        return self.role == Role.COMPLIANCE

    @property
    def is_portal_user(self) -> bool:
        return self.role == Role.PORTAL


class ApiToken(models.Model):
    """A staff user's API token. Only the SHA-256 of the key is stored: the key itself is shown once,
    when it is issued (`/api/auth/token/`), and a database dump or an admin page cannot give it away.

    A token expires (API_TOKEN_TTL_SECONDS after it was issued) and is deleted when its user's
    password is set or the user is deactivated (accounts services; each revocation is audited).
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    key_sha256 = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user"], name="api_token_user_idx")]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.user} ({self.created_at:%Y-%m-%d %H:%M})"

    @staticmethod
    def digest(key: str) -> str:
        """What is stored for, and looked up by, a key: its SHA-256 in hex."""
        return hashlib.sha256(key.encode("utf-8")).hexdigest()
