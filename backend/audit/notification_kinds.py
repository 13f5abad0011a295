"""Audit notification kinds (imported by the notifications app at start-up)."""

from django.utils.translation import gettext_lazy as _

from backend.notifications.kinds import Delivery, register_kind

# backend/audit/alerts.py: one kind for every rule; the title says which rule fired.
COMPLIANCE_ALERT = register_kind("compliance.alert", label=_("A compliance alert rule fires (compliance officers)"), group="compliance", default=Delivery.EMAIL)
