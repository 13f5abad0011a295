"""Notification kinds whose triggers live in the documents app (imported by the notifications app at
start-up). One line a kind. (The documents kinds whose triggers live in the notifications app are
registered there.)"""

from django.utils.translation import gettext_lazy as _

from backend.notifications.kinds import Delivery, register_kind

# backend/documents/retention.py: documents reached their disposal date (compliance officers).
DOCUMENT_DISPOSAL_DUE = register_kind("documents.disposal_due", label=_("Documents are due for disposal review (compliance officers)"), group="compliance", default=Delivery.DIGEST)
