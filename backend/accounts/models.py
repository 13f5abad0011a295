"""People and organisation: users, departments, roles.

A Department owns one auth Group so that object permissions granted to a
department are ordinary guardian group grants, and membership is kept in step
by the accounts services (never by signals).
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, Group
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    SALES = "sales", _("Sales")
    SERVICE = "service", _("Service")
    COMPLIANCE = "compliance", _("Compliance")
    ADMIN = "admin", _("Administrator")
    STAFF = "staff", _("Staff")


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
