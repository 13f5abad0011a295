"""The version workflow of a document: a new version's row, check-out locks, approval, restore and compare.

Versions are immutable: a new version never rewrites an old one, and restoring copies an old version's
content into a new draft. One version per document is the valid one. A check-out stops everyone else
from changing the document until it is checked in, expires or is broken by someone who may manage it.
`version_insert`, `locked_document` and `ensure_not_locked_by_other` are the steps the document
services (backend.documents.services) share with the workflow here.
"""

from __future__ import annotations

import datetime as dt

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from backend.access.policy import Action, four_eyes_forbids
from backend.access.services import require
from backend.audit import services as audit
from backend.common.errors import Conflict, DomainError, FourEyesRequired, NotFound, VersionLocked
from backend.documents.audit_events import (
    DOCUMENT_ACCESS_DENIED,
    DOCUMENT_CHECKED_IN,
    DOCUMENT_CHECKED_OUT,
    DOCUMENT_LOCK_BROKEN,
    DOCUMENT_VERSION_PREVIEWED,
    DOCUMENT_VERSION_RESTORED,
    DOCUMENT_VERSION_STATUS_CHANGED,
)
from backend.documents.intake import StoredUpload
from backend.documents.models import Document, DocumentVersion, VersionStatus
from indexing import hooks as search_index


# --- locks and the next version (the caller holds the document row lock) -------------------


def _lock_conflict(document: Document) -> VersionLocked:
    holder = document.checked_out_by
    since = timezone.localtime(document.checked_out_at)
    return VersionLocked(
        f"Checked out by {holder} since {since:%Y-%m-%d %H:%M %Z}; "
        f"nobody else can change it until it is checked in.",
        holder={"id": holder.pk, "username": holder.username, "name": str(holder)},
        since=document.checked_out_at.isoformat(),
        expires_at=document.checkout_expires_at.isoformat(),
    )


def ensure_not_locked_by_other(document: Document, actor) -> None:
    holder = document.lock_holder()
    if holder is not None and holder.pk != actor.pk:
        raise _lock_conflict(document)


def locked_document(document: Document) -> Document:
    return (
        Document.objects.select_for_update(of=("self",))
        .select_related("checked_out_by", "valid_version")
        .get(pk=document.pk)
    )


def version_insert(
    *,
    document: Document,
    actor,
    upload: StoredUpload | None = None,
    copy_of: DocumentVersion | None = None,
    comment: str = "",
    idempotency_key: str | None = None,
    idempotency_fingerprint: str = "",
) -> DocumentVersion:
    """Insert the next version. The caller holds the document row lock."""
    number = document.version_count + 1
    if upload is not None:
        content = {
            "object_key": upload.stored.key,
            "sha256": upload.stored.sha256,
            "size": upload.stored.size,
            "mime_type": upload.mime_type,
            "original_filename": upload.original_filename,
            "filename": upload.filename,
        }
    else:
        assert copy_of is not None
        content = {
            field: getattr(copy_of, field)
            for field in ("object_key", "sha256", "size", "mime_type", "original_filename", "filename")
        }
    now = timezone.now()
    version = DocumentVersion.objects.create(
        document=document,
        number=number,
        comment=comment,
        uploaded_by=actor,
        created_at=now,
        restored_from=copy_of,
        idempotency_key=idempotency_key,
        idempotency_fingerprint=idempotency_fingerprint,
        **content,
    )
    document.version_count = number
    document.updated_at = now
    update_fields = ["version_count", "updated_at"]
    current = document.valid_version if document.valid_version_id is not None else None
    if current is None or current.status != VersionStatus.APPROVED:
        document.valid_version = version
        update_fields.append("valid_version")
    document.save(update_fields=update_fields)
    return version


def version_audit_detail(version: DocumentVersion, stored: StoredUpload | None = None) -> dict:
    detail = {
        "version": version.number,
        "sha256": version.sha256,
        "size": version.size,
        "mime_type": version.mime_type,
        "filename": version.original_filename,
    }
    if stored is not None and stored.submitted_filename != version.original_filename:
        detail["submitted_filename"] = stored.submitted_filename  # as sent, before cleaning
    return detail



# --- check-out -------------------------------------------------------------------------------


def document_checkout(*, actor, document: Document) -> Document:
    require(actor=actor, action=Action.CHANGE, obj=document)
    with transaction.atomic():
        locked = locked_document(document)
        ensure_not_locked_by_other(locked, actor)
        now = timezone.now()
        if locked.lock_holder(now=now) is None:
            locked.checked_out_at = now
        locked.checked_out_by = actor
        locked.checkout_expires_at = now + dt.timedelta(seconds=settings.CHECKOUT_TTL_SECONDS)
        locked.save(update_fields=["checked_out_by", "checked_out_at", "checkout_expires_at"])
        audit.record(
            DOCUMENT_CHECKED_OUT,
            actor=actor,
            target=locked,
            detail={"expires_at": locked.checkout_expires_at.isoformat()},
        )
    return locked


def _clear_lock(document: Document) -> None:
    document.checked_out_by = None
    document.checked_out_at = None
    document.checkout_expires_at = None
    document.save(update_fields=["checked_out_by", "checked_out_at", "checkout_expires_at"])


def _checked_out(document: Document):
    """The document locked for update and whoever holds its check-out (a Conflict when nobody does)."""
    locked = locked_document(document)
    holder = locked.lock_holder()
    if holder is None:
        raise Conflict("The document is not checked out.")
    return locked, holder


def document_checkin(*, actor, document: Document) -> Document:
    require(actor=actor, action=Action.CHANGE, obj=document)
    with transaction.atomic():
        locked, holder = _checked_out(document)
        if holder.pk != actor.pk:
            raise _lock_conflict(locked)
        _clear_lock(locked)
        audit.record(DOCUMENT_CHECKED_IN, actor=actor, target=locked)
    return locked


def document_lock_break(*, actor, document: Document, reason: str = "") -> Document:
    """An administrator (manage access) releases someone else's check-out."""
    require(actor=actor, action=Action.MANAGE, obj=document)
    with transaction.atomic():
        locked, holder = _checked_out(document)
        detail = {
            "holder_id": holder.pk,
            "holder": holder.username,
            "since": locked.checked_out_at.isoformat(),
            "reason": reason,
        }
        _clear_lock(locked)
        audit.record(DOCUMENT_LOCK_BROKEN, actor=actor, target=locked, detail=detail)
    return locked


# --- status, restore -----------------------------------------------------------------------


NOT_NEWEST = "Only the newest version can be approved."


def approval_refusal(*, actor, version: DocumentVersion) -> DomainError | None:
    """Why `actor` may not approve `version` now, or None when they may (change access aside, which the
    caller has): only the newest version, only while it is a draft, not by its uploader where the
    four-eyes rule of the classification applies (backend.access.policy.approval), and not while someone
    else holds the document's check-out (VersionLocked, naming them and since when). For the page to say
    why the button is not offered; the approval service enforces the same."""
    document = version.document
    if version.status != VersionStatus.DRAFT:
        return Conflict(f"Version {version.number} is {version.get_status_display().lower()}; "
                        f"only a draft can be approved.")
    if version.number != document.version_count:
        return Conflict(NOT_NEWEST)
    if four_eyes_forbids(actor, version):
        return FourEyesRequired()
    holder = document.lock_holder()
    if holder is not None and holder.pk != actor.pk:
        return _lock_conflict(document)
    return None


def document_version_approve(
    *, actor, version: DocumentVersion, valid_until: dt.date | None = None
) -> DocumentVersion:
    """Approve the newest draft: it becomes the valid version and the previously approved one is superseded.

    Under the four-eyes rule of the document's classification its uploader may not approve it: the
    refusal (FourEyesRequired, 403) is recorded as a denial, like any other, in its own transaction.
    """
    document = version.document
    require(actor=actor, action=Action.CHANGE, obj=document)
    if four_eyes_forbids(actor, version):
        audit.record(DOCUMENT_ACCESS_DENIED, actor=actor, target=document, outcome="denied",
                     detail={"action": "approve", "rule": "four_eyes", "version": version.number,
                             "classification": document.classification})
        raise FourEyesRequired()
    with transaction.atomic():
        locked = locked_document(document)
        # Approving changes which version is valid: refused while someone else holds the check-out, like an upload.
        ensure_not_locked_by_other(locked, actor)
        current = DocumentVersion.objects.select_for_update().get(pk=version.pk)
        if current.status != VersionStatus.DRAFT:
            raise Conflict(
                f"Version {current.number} is {current.get_status_display().lower()}; "
                f"only a draft can be approved."
            )
        if current.number != locked.version_count:
            raise Conflict(NOT_NEWEST, newest=locked.version_count)
        superseded = list(
            locked.versions.filter(status=VersionStatus.APPROVED).values_list("number", flat=True)
        )
        locked.versions.filter(status=VersionStatus.APPROVED).update(status=VersionStatus.SUPERSEDED)
        now = timezone.now()
        current.status = VersionStatus.APPROVED
        current.approved_by = actor
        current.approved_at = now
        current.valid_until = valid_until
        current.save(update_fields=["status", "approved_by", "approved_at", "valid_until"])
        locked.valid_version = current
        locked.updated_at = now
        locked.save(update_fields=["valid_version", "updated_at"])
        search_index.index_document_changed(document_id=locked.pk, reason="status")
        from backend.notifications import triggers as notifications

        current.document = locked
        notifications.version_approved(version=current, actor=actor)
        audit.record(
            DOCUMENT_VERSION_STATUS_CHANGED,
            actor=actor,
            target=locked,
            detail={
                "version": current.number,
                "from": VersionStatus.DRAFT,
                "to": VersionStatus.APPROVED,
                "superseded": superseded,
                "valid_until": valid_until.isoformat() if valid_until else None,
            },
        )
    current.document = locked
    return current


def document_version_restore(*, actor, version: DocumentVersion, comment: str = "") -> DocumentVersion:
    """A new draft version with an old version's content. History is never rewritten."""
    document = version.document
    require(actor=actor, action=Action.CHANGE, obj=document)
    ensure_not_locked_by_other(document, actor)
    with transaction.atomic():
        locked = locked_document(document)
        ensure_not_locked_by_other(locked, actor)
        new_version = version_insert(
            document=locked,
            actor=actor,
            copy_of=version,
            comment=comment or f"Restored from version {version.number}",
        )
        search_index.index_document_changed(document_id=locked.pk, reason="version")
        audit.record(
            DOCUMENT_VERSION_RESTORED,
            actor=actor,
            target=locked,
            detail={"version": new_version.number, "restored_from": version.number, "sha256": version.sha256},
        )
    return new_version



# --- compare -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ComparedVersions:
    old: DocumentVersion
    new: DocumentVersion
    old_text: str  # the text extracted for search ("" while it waits, or for a file without text)
    new_text: str


def document_versions_compare(*, actor, document: Document, old_number: int, new_number: int) -> ComparedVersions:
    """The extracted texts of two versions of a document, to show side by side.

    Reading a version's text shows its content, so it is checked and recorded as a preview is: the
    right to read the document (a read-level user sees previews, never downloads; view is metadata only), and one
    `document.version.previewed` event per version compared, naming the other one.
    """
    from indexing.selectors import version_extracted_text  # indexing imports documents, not the reverse

    require(actor=actor, action=Action.READ, obj=document)
    found = {v.number: v for v in DocumentVersion.objects.select_related("uploaded_by", "approved_by")
             .filter(document=document, number__in=(old_number, new_number))}
    if old_number not in found or new_number not in found:
        raise NotFound()
    old, new = found[old_number], found[new_number]
    for version, other in ((old, new), (new, old)):
        version.document = document
        audit.record(DOCUMENT_VERSION_PREVIEWED, actor=actor, target=document,
                     detail={"version": version.number, "sha256": version.sha256, "view": "compare",
                             "compared_with": other.number})
    return ComparedVersions(old=old, new=new, old_text=version_extracted_text(version_id=old.pk),
                            new_text=version_extracted_text(version_id=new.pk))
