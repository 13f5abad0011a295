"""The audit trail in the admin: for the compliance role only (as the staff UI's audit console), read-only
for everyone, superusers included (backend/access/policy/admin.py)."""

from __future__ import annotations

from django.contrib import admin

from backend.access.policy.admin import PolicyModelAdmin
from backend.audit.events import all_event_types
from backend.audit.models import HASHED_FIELDS, AuditEvent


class EventTypeFilter(admin.SimpleListFilter):
    """Choices come from the registry: no DISTINCT scan over the whole trail."""

    title = "event type"
    parameter_name = "event_type"

    def lookups(self, request, model_admin):
        return [(item.name, item.name) for item in all_event_types()]

    def queryset(self, request, queryset):
        value = self.value()
        return queryset.filter(event_type=value) if value else queryset


@admin.register(AuditEvent)
class AuditEventAdmin(PolicyModelAdmin):
    list_display = (
        "id",
        "occurred_at",
        "event_type",
        "actor_label",
        "target_type",
        "target_id",
        "target_label",
        "outcome",
        "ip",
    )
    list_filter = (EventTypeFilter, "outcome")
    search_fields = ("=request_id", "=target_id", "actor_label")
    ordering = ("-id",)
    # Counting a large trail on every page is slow and tells nobody anything.
    show_full_result_count = False
    # Every stored field (the hashed ones and the hash), the actor as an id rather than a link.
    fields = tuple("actor_ref" if name == "actor_id" else name for name in HASHED_FIELDS) + ("hash",)
    readonly_fields = fields

    @admin.display(description="actor id")
    def actor_ref(self, obj: AuditEvent) -> str:
        # The id only: the user may have been deleted since (actor_label keeps the name).
        return "-" if obj.actor_id is None else str(obj.actor_id)
