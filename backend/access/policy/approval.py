"""Who may approve a version: the four-eyes rule.

For documents of the classifications in settings.DOCUMENT_FOUR_EYES_CLASSIFICATIONS (confidential and
secret unless configured otherwise), the person who uploaded a version may not approve it: another
person with change access must. Everyone else approves as the document rules allow (change access).
The version workflow (backend.documents.versions) enforces it; the document page asks it to say why
the approve button is not offered.
"""

from __future__ import annotations

from django.conf import settings

from backend.documents.models import Document, DocumentVersion


def four_eyes_applies(document: Document) -> bool:
    """Does the four-eyes rule govern approvals of this document (by its classification)?"""
    return document.classification in set(getattr(settings, "DOCUMENT_FOUR_EYES_CLASSIFICATIONS", ()) or ())


def four_eyes_forbids(user, version: DocumentVersion) -> bool:
    """True when `user` may not approve `version` because they uploaded it and the rule applies."""
    return version.uploaded_by_id == user.pk and four_eyes_applies(version.document)
