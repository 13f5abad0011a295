"""What one user may do with one document, every right asked once (the document page shows them all)."""

from __future__ import annotations

from dataclasses import dataclass

from backend.access.policy.actions import Action
from backend.access.policy.compliance import review_rule
from backend.access.policy.registry import can
from backend.access.policy.sharing import sharing_rule
from backend.access.policy.users import is_active_staff
from backend.documents.models import Document


@dataclass(frozen=True)
class DocumentRights:
    change: bool
    read: bool  # the pages on screen, marked with the reader's name (and a version's text, to compare)
    download: bool
    manage: bool
    share: bool  # with customers' portal users (may_share_document; the customer is checked when sharing)
    review_access: bool  # who can access it and why, and its access log (can_review_access, may_read_access_log)


def document_rights(user, document: Document) -> DocumentRights:
    """The same answers as can(), may_share_document() and can_review_access(), with no right asked twice."""
    change = can(user, Action.CHANGE, document)
    download = can(user, Action.DOWNLOAD, document)
    # Every rule that allows downloading allows reading: asked only of those who may not download.
    read = download or can(user, Action.READ, document)
    # Every rule that allows managing allows changing: no need to ask about managing without it.
    manage = change and can(user, Action.MANAGE, document)
    staff = is_active_staff(user)
    return DocumentRights(
        change=change,
        read=read,
        download=download,
        manage=manage,
        share=staff and sharing_rule(document, may_download=lambda: download, may_manage=lambda: manage),
        review_access=staff and review_rule(user, may_manage=lambda: manage),
    )
