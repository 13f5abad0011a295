"""Template helpers for previews: whether a version has a thumbnail and a preview."""

from __future__ import annotations

from django import template

from backend.documents.previews import preview_kind

register = template.Library()


@register.filter
def has_preview(mime_type: str) -> bool:
    """True for the types the server draws as page images or shows as text."""
    return preview_kind(mime_type or "") is not None
