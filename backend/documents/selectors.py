"""Reads of documents. Visibility is applied in SQL by the access policy, never row by row."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet

from backend.access.policy import Action, visible
from backend.common.errors import InvalidInput
from backend.documents.filters import DocumentFilter
from backend.documents.models import Document, DocumentVersion, Tag


def _visible_filtered(user, filters: dict[str, Any] | None) -> QuerySet[Document]:
    queryset = visible(user, Document.objects.all(), Action.VIEW)
    if filters:
        filterset = DocumentFilter(filters, queryset=queryset)
        if not filterset.is_valid():
            raise InvalidInput("The filters are invalid.", fields=filterset.errors)
        queryset = filterset.qs
    return queryset


def document_rows_visible(*, user, filters: dict[str, Any] | None = None) -> QuerySet[Document]:
    """Documents `user` may see, for a short list that shows each one's title, kind, dates and valid version
    (home): only the valid version joined, no people and no tags (document_list_visible joins six more tables
    and reads the tags with a query of its own)."""
    return _visible_filtered(user, filters).select_related("valid_version")


def document_list_visible(*, user, filters: dict[str, Any] | None = None) -> QuerySet[Document]:
    """Documents `user` may see, newest first, with what a list renders already joined."""
    queryset = _visible_filtered(user, filters)
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


def versions_with_content_visible(*, user, sha256: str, limit: int = 5) -> list[DocumentVersion]:
    """Versions holding exactly these bytes (by sha256) in documents `user` may see, newest first, with their
    document joined; at most `limit`. Documents the user may not see are never among them, so an answer
    says nothing about them (the new-document page's duplicate check)."""
    sha256 = (sha256 or "").strip().lower()
    if len(sha256) != 64:
        return []
    documents = visible(user, Document.objects.all(), Action.VIEW)
    return list(
        DocumentVersion.objects.filter(sha256=sha256, document__in=documents.values("pk"))
        .select_related("document", "uploaded_by")
        .order_by("-created_at", "-id")[:limit]
    )


def document_created_by_request(*, user, idempotency_key: str | None) -> Document | None:
    """The document `user` created with this Idempotency-Key, if any (a retried upload: the page answers with
    it instead of offering it as a duplicate of itself)."""
    if not idempotency_key:
        return None
    return Document.objects.filter(owner=user, idempotency_key=idempotency_key).only("pk").first()
