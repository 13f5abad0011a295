from django.contrib import admin

from backend.documents.models import Document, DocumentVersion, Tag


class DocumentVersionInline(admin.TabularInline):
    model = DocumentVersion
    extra = 0
    can_delete = False
    fields = ("number", "status", "original_filename", "mime_type", "size", "uploaded_by", "created_at")
    readonly_fields = fields
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    """Read-only: uploads, approvals and grants go through the services so they are audited."""

    list_display = ("id", "title", "kind", "classification", "owner", "version_count", "created_at")
    list_filter = ("kind", "classification")
    search_fields = ("title",)
    readonly_fields = ("owner", "department", "valid_version", "version_count", "checked_out_by",
                       "checked_out_at", "checkout_expires_at", "created_at", "updated_at", "idempotency_key")
    inlines = [DocumentVersionInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


admin.site.register(Tag)
