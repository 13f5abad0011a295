"""Deliveries in the admin, for administrators (backend/access/policy/admin.py): every e-mail and SMS with
its status, attempts and last error, so that failures are visible. Read-only, like the rest of the admin."""

from __future__ import annotations

from django.contrib import admin

from backend.access.policy.admin import PolicyModelAdmin
from backend.notifications.models import DeliveryRecord


@admin.register(DeliveryRecord)
class DeliveryRecordAdmin(PolicyModelAdmin):
    list_display = ("id", "created_at", "channel", "kind", "to_address", "status", "attempts", "next_attempt_at",
                    "sent_at", "short_error")
    list_filter = ("status", "channel", "kind")
    search_fields = ("=to_address", "kind", "subject")
    ordering = ("-id",)
    show_full_result_count = False
    fields = ("channel", "kind", "to_address", "subject", "body", "status", "attempts", "last_error",
              "created_at", "next_attempt_at", "sent_at", "notification", "recipient_user", "contact")
    readonly_fields = fields

    @admin.display(description="last error")
    def short_error(self, obj: DeliveryRecord) -> str:
        return (obj.last_error or "")[:120]
