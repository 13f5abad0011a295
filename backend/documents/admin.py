"""Documents in the admin: read-only, and only the documents the access policy lets the viewer see.

Uploads, approvals and grants go through the services so they are audited. The list, search,
detail and history pages are filtered with the policy's visible() (backend/access/policy/admin.py):
a confidential or secret document is not there for an administrator who has no grant on it, not
even its title or its file names.
"""

from django.contrib import admin

from backend.access.policy.admin import PolicyInline, PolicyModelAdmin
from backend.documents.models import Document, DocumentVersion, Tag


class DocumentVersionInline(PolicyInline):
    model = DocumentVersion
    fields = ("number", "status", "original_filename", "mime_type", "size", "uploaded_by", "created_at")


@admin.register(Document)
class DocumentAdmin(PolicyModelAdmin):
    list_display = ("id", "title", "kind", "classification", "owner", "version_count", "created_at")
    list_filter = ("kind", "classification")
    search_fields = ("title",)
    readonly_fields = ("owner", "department", "valid_version", "version_count", "checked_out_by",
                       "checked_out_at", "checkout_expires_at", "created_at", "updated_at", "idempotency_key")
    inlines = [DocumentVersionInline]


@admin.register(Tag)
class TagAdmin(PolicyModelAdmin):
    search_fields = ("name",)
