"""Reads of documents. Visibility is applied in SQL by the access policy, never row by row."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet

from backend.access.policy import Action, visible
from backend.common.errors import InvalidInput
from backend.documents.filters import DocumentFilter
from backend.documents.models import Document, DocumentVersion, Tag


def document_list_visible(*, user, filters: dict[str, Any] | None = None) -> QuerySet[Document]:
    """Documents `user` may see, newest first, with what a list renders already joined."""
    queryset = visible(user, Document.objects.all(), Action.VIEW)
    if filters:
        filterset = DocumentFilter(filters, queryset=queryset)
        if not filterset.is_valid():
            raise InvalidInput("The filters are invalid.", fields=filterset.errors)
        queryset = filterset.qs
    # Everything DocumentSerializer renders, so a page costs the same number of queries whether its
    # versions are drafts, approved (approved_by) or restored (restored_from).
    return queryset.select_related(
        "owner",
        "department",
        "valid_version",
        "valid_version__uploaded_by",
        "valid_version__approved_by",
        "valid_version__restored_from",
        "checked_out_by",
    ).prefetch_related(Prefetch("tags", queryset=Tag.objects.only("id", "name")))


def version_list_for_document(*, document: Document) -> QuerySet[DocumentVersion]:
    """All versions of a document the caller is already allowed to view, newest first."""
    return (
        DocumentVersion.objects.filter(document=document)
        .select_related("uploaded_by", "approved_by", "restored_from")
        .order_by("-number")
    )
