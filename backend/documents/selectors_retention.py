"""Reads of retention policies and the disposal review (the writes are in backend/documents/retention.py).

The pages using them are for the roles of backend/access/policy/retention.py only; each selector asks the
policy itself, so a caller that forgot to is told "not found" rather than shown the queue.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from backend.access.policy.retention import (
    may_manage_retention_policies,
    may_review_disposals,
    may_set_retention_product,
)
from backend.common.errors import NotFound, PermissionDenied
from backend.documents.models import DisposalState, Document, DocumentRetention, RetentionPolicy

UPCOMING_DAYS = 90
LIST_LIMIT = 200


def retention_policy_list(*, user) -> list[RetentionPolicy]:
    if not (may_manage_retention_policies(user) or may_review_disposals(user)):
        raise PermissionDenied()
    return list(RetentionPolicy.objects.select_related("created_by").order_by("kind", "classification", "id"))


def retention_policy_get(*, user, policy_id: int | None) -> RetentionPolicy:
    if not may_manage_retention_policies(user):
        raise PermissionDenied()
    policy = RetentionPolicy.objects.filter(pk=policy_id).first() if policy_id else None
    if policy is None:
        raise NotFound()
    return policy


def _rows():
    return DocumentRetention.objects.select_related("policy", "product", "reviewed_by", "document")


def disposal_queue(*, user, today: dt.date | None = None) -> list[DocumentRetention]:
    """Documents due for disposal review, the longest overdue first; `held` on each row under a legal hold."""
    from backend.documents.holds import held_documents_q

    if not may_review_disposals(user):
        raise PermissionDenied()
    today = today or timezone.localdate()
    rows = list(_rows().filter(state=DisposalState.DUE, document__isnull=False, document__trashed_at__isnull=True,
                               due_on__lte=today)
                .order_by("due_on", "id")[:LIST_LIMIT])
    held = set(Document.objects.filter(held_documents_q(), pk__in=[row.document_id for row in rows])
               .values_list("pk", flat=True)) if rows else set()
    for row in rows:
        row.held = row.document_id in held  # a legal hold: disposal is refused until it is lifted
    return rows


def disposal_upcoming(*, user, today: dt.date | None = None, days: int = UPCOMING_DAYS) -> list[DocumentRetention]:
    """Documents whose disposal date comes within `days` (extended ones included)."""
    if not may_review_disposals(user):
        raise PermissionDenied()
    today = today or timezone.localdate()
    return list(_rows().filter(state=DisposalState.SCHEDULED, document__isnull=False,
                               due_on__lte=today + dt.timedelta(days=days)).order_by("due_on", "id")[:LIST_LIMIT])


def disposal_records(*, user, limit: int = 50) -> list[DocumentRetention]:
    """The latest disposals: what was disposed of, under which policy, who approved and when."""
    if not may_review_disposals(user):
        raise PermissionDenied()
    return list(_rows().filter(state=DisposalState.DISPOSED).order_by("-disposed_at", "-id")[:limit])


def disposal_get_due(*, user, retention_id: int | None) -> DocumentRetention:
    """One row of the review queue (still naming its document), or NotFound."""
    if not may_review_disposals(user):
        raise PermissionDenied()
    row = _rows().filter(pk=retention_id, document__isnull=False).first() if retention_id else None
    if row is None:
        raise NotFound()
    return row


def retention_for_document(*, user, document: Document, may_change: bool | None = None) -> DocumentRetention | None:
    """The document's retention row (its disposal date and why), for whoever may set its product.
    `may_change`: can(user, CHANGE, document) if the caller already knows it (see may_set_retention_product)."""
    if not may_set_retention_product(user, document, may_change=may_change):
        raise PermissionDenied()
    return _rows().filter(document=document).first()
