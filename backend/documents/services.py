"""Writes (and audited reads) of documents and versions.

Every function here is keyword-only, checks access with the policy before
anything else, streams bytes to the object store *outside* any transaction,
then writes rows and the audit event in one transaction. If the store fails,
no row is written; if the rows fail after the bytes landed, the unreferenced
object is swept later by `manage.py storage_gc`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.access.policy import Action, is_active_staff
from backend.access.services import require_access
from backend.audit import services as audit
from backend.audit.context import current_request_context, reset_request_context, set_request_context
from backend.documents.store import object_store
from backend.common.metrics import DOWNLOAD_BYTES, UPLOAD_BYTES
from backend.common.errors import (
    Conflict,
    FileTooLarge,
    IdempotencyKeyReused,
    InvalidInput,
    NotFound,
    UnsupportedFileType,
    VersionLocked,
)
from backend.common.text import clean_line
from backend.documents.filenames import display_filename, sanitize_filename
from backend.documents.filetypes import SNIFF_BYTES, describe_mime, sniff_mime
from backend.documents.models import (
    Classification,
    Document,
    DocumentKind,
    DocumentVersion,
    Tag,
    VersionStatus,
)
from indexing import hooks as search_index
from storage import PrefixedReader, StoredObject
from storage.errors import ObjectCorrupt, ObjectTooLarge, StoreUnavailable

logger = logging.getLogger(__name__)


# --- uploads -------------------------------------------------------------------------------


@dataclass(frozen=True)
class UploadSource:
    """An upload as the interface layer hands it over: a readable stream and what the client said."""

    stream: BinaryIO
    filename: str
    declared_size: int | None = None
    declared_sha256: str | None = None


@dataclass(frozen=True)
class StoredUpload:
    stored: StoredObject
    mime_type: str
    original_filename: str
    filename: str
    # The name exactly as the client sent it (for the audit trail when cleaning changed it).
    submitted_filename: str = ""


def _too_large(limit: int, size: int | None = None) -> FileTooLarge:
    if size is not None:
        message = f"The file is {filesizeformat(size)}; the upload limit is {filesizeformat(limit)}."
    else:
        message = f"The file is larger than the upload limit of {filesizeformat(limit)}."
    return FileTooLarge(message, limit_bytes=limit)


def _read_head(stream: BinaryIO, size: int) -> bytes:
    parts: list[bytes] = []
    remaining = size
    while remaining > 0:
        chunk = stream.read(remaining)
        if not chunk:
            break
        parts.append(chunk)
        remaining -= len(chunk)
    return b"".join(parts)


# The most a single read asks of a stream that cannot seek (a request body on the socket).
_STREAM_READ_BYTES = 1 << 20


class _ModestReads:
    """Caps every read of a socket-backed stream at _STREAM_READ_BYTES.

    The store fills 8 MiB part buffers; asked for 8 MiB in one read, a WSGI server (gunicorn)
    assembles the whole 8 MiB in its own buffers first, in pieces that malloc keeps in
    per-thread arenas: the worker's peak RSS rose by ~15 MiB per upload and its idle RSS by
    ~75 MiB over a few dozen uploads. 1 MiB reads cost nothing measurable (bench/transfer.py).
    """

    def __init__(self, stream: BinaryIO):
        self._stream = stream

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0 or n > _STREAM_READ_BYTES:
            n = _STREAM_READ_BYTES
        return self._stream.read(n)

    def readable(self) -> bool:
        return True


def _in_modest_reads(stream: BinaryIO):
    """`stream` itself if it can seek (a spooled file: the store reads it twice), else capped reads."""
    try:
        if stream.seekable():
            return stream
    except (AttributeError, OSError, ValueError):
        pass
    return _ModestReads(stream)


def _store_upload(upload: UploadSource) -> StoredUpload:
    """Check type and size, then stream the bytes to the store under their content key."""
    return store_checked_upload(upload, max_bytes=settings.UPLOAD_MAX_BYTES,
                                allowed_types=settings.UPLOAD_ALLOWED_TYPES)


def store_checked_upload(upload: UploadSource, *, max_bytes: int, allowed_types) -> StoredUpload:
    """Sniff the type, enforce the limits, stream to the store. Shared by every upload Dossier takes.

    415 for a type outside `allowed_types` (detected from the content), 413 above `max_bytes`,
    400 for an empty file, 503 when the store is down; nothing is written in any of these cases.
    """
    limit = max_bytes
    if upload.declared_size is not None and upload.declared_size > limit:
        raise _too_large(limit, upload.declared_size)
    head = _read_head(upload.stream, SNIFF_BYTES)
    if not head:
        raise InvalidInput("The file is empty.", fields={"file": ["The file is empty."]})
    mime = sniff_mime(head, upload.filename)
    if mime not in allowed_types:
        raise UnsupportedFileType(
            f"Files of type {describe_mime(mime)} are not allowed. The type was detected from the "
            f"content, not the file name.",
            detected_type=mime,
        )
    try:
        stored = object_store().put_stream(
            PrefixedReader(head, _in_modest_reads(upload.stream)),
            content_type=mime,
            max_size=limit,
            expected_sha256=upload.declared_sha256,
        )
    except ObjectTooLarge:
        raise _too_large(limit) from None
    UPLOAD_BYTES.inc(stored.size)
    return StoredUpload(
        stored=stored,
        mime_type=mime,
        original_filename=display_filename(upload.filename),
        filename=sanitize_filename(upload.filename),
        submitted_filename=upload.filename or "",
    )


def _content_sha256(upload: UploadSource) -> str:
    """The sha256 of an upload's bytes, read and dropped (for a replayed Idempotency-Key: nothing is stored)."""
    limit = settings.UPLOAD_MAX_BYTES
    digest = hashlib.sha256()
    total = 0
    while chunk := upload.stream.read(_STREAM_READ_BYTES):
        total += len(chunk)
        if total > limit:
            raise _too_large(limit)
        digest.update(chunk)
    return digest.hexdigest()


def _fingerprint(content_sha256: str, **fields) -> str:
    """What a request sent, in 64 hex characters: its content and its metadata."""
    payload = json.dumps({"content": content_sha256, **fields}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


def _ensure_same_request(existing, *, key: str, fingerprint: str) -> None:
    """A replayed Idempotency-Key must carry the request it was first used for (rows from before
    fingerprints were kept have none and are taken as the same)."""
    if existing.idempotency_fingerprint and existing.idempotency_fingerprint != fingerprint:
        raise IdempotencyKeyReused(
            _("The Idempotency-Key %(key)s was already used for a different request (another file or other "
              "details). Nothing was saved; send a new key for a new request.") % {"key": key},
            key=key,
        )


# --- reading with access checks ------------------------------------------------------------


def document_get_for_action(*, actor, document_id: int, action: Action = Action.VIEW) -> Document:
    """The document, if `actor` may `action` it; NotFound (404) otherwise, missing or not."""
    document = (
        Document.objects.select_related("owner", "department", "valid_version", "checked_out_by")
        .filter(pk=document_id)
        .first()
    )
    if document is None:
        raise NotFound()
    require_access(actor=actor, action=action, document=document)
    return document


def document_view(*, actor, document_id: int) -> Document:
    """Read a document's metadata: an audited access."""
    document = document_get_for_action(actor=actor, document_id=document_id, action=Action.VIEW)
    audit.record("document.viewed", actor=actor, target=document)
    return document


def document_list_searched(*, actor, query: str, filters: dict, shown: Iterable[int]) -> None:
    """A document list narrowed by a title query was read: the query, the other filters and the ids of the
    documents shown (the titles disclosed), recorded as `document.list.searched`."""
    shown = list(shown)
    audit.record("document.list.searched", actor=actor, target_type="search.query", target_label=query[:200],
                 detail={"q": query, "filters": filters, "shown": len(shown), "document_ids": shown})


def version_get(*, document: Document, number: int) -> DocumentVersion:
    version = (
        DocumentVersion.objects.select_related("uploaded_by", "approved_by")
        .filter(document=document, number=number)
        .first()
    )
    if version is None:
        raise NotFound()
    version.document = document
    return version


# --- create --------------------------------------------------------------------------------


MAX_DESCRIPTION_CHARS = 20_000
MAX_COMMENT_CHARS = 5_000
MAX_TAGS = 50
MAX_TAG_CHARS = 64


def _clean_tags(names: Iterable[str] | None) -> list[str] | None:
    if names is None:
        return None
    return sorted({clean_line(name) for name in names if isinstance(name, str) and clean_line(name)})


def _validate_metadata(
    *, title: str, kind: str, classification: str, description: str = "", tags: list[str] | None = None,
    comment: str = "",
) -> None:
    errors: dict[str, list[str]] = {}
    if not title or not title.strip():
        errors["title"] = ["A title is required."]
    elif len(title) > 300:
        errors["title"] = ["Keep the title under 300 characters."]
    if description and len(description) > MAX_DESCRIPTION_CHARS:
        errors["description"] = [_("At most %(count)d characters.") % {"count": MAX_DESCRIPTION_CHARS}]
    if comment and len(comment) > MAX_COMMENT_CHARS:
        errors["comment"] = [_("At most %(count)d characters.") % {"count": MAX_COMMENT_CHARS}]
    if tags is not None:
        if len(tags) > MAX_TAGS:
            errors["tags"] = [_("At most %(count)d tags.") % {"count": MAX_TAGS}]
        elif any(len(tag) > MAX_TAG_CHARS for tag in tags):
            errors["tags"] = [_("A tag has at most %(count)d characters.") % {"count": MAX_TAG_CHARS}]
    if kind not in DocumentKind.values:
        errors["kind"] = [f"Choose one of: {', '.join(DocumentKind.values)}."]
    if classification not in Classification.values:
        errors["classification"] = [f"Choose one of: {', '.join(Classification.values)}."]
    if errors:
        raise InvalidInput("The document details are invalid.", fields=errors)


def _tags_for(names: Iterable[str]) -> list[Tag]:
    cleaned = sorted({name.strip()[:64] for name in names if name and name.strip()})
    tags = []
    for name in cleaned:
        tag, _ = Tag.objects.get_or_create(name=name)
        tags.append(tag)
    return tags


def _version_insert(
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


def _version_detail(version: DocumentVersion, stored: StoredUpload | None = None) -> dict:
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


def document_create(
    *,
    actor,
    title: str,
    kind: str,
    classification: str,
    upload: UploadSource,
    description: str = "",
    tags: Iterable[str] = (),
    comment: str = "",
    idempotency_key: str | None = None,
) -> tuple[Document, bool]:
    """Create a document with its first version. Returns (document, created).

    A retried Idempotency-Key returns the first document; the same key with another file or other
    details is refused (422, IdempotencyKeyReused)."""
    if not is_active_staff(actor):
        raise NotFound()
    submitted_title = title
    title = clean_line(title)
    tags = _clean_tags(tags) or []
    description = (description or "").strip()
    _validate_metadata(title=title, kind=kind, classification=classification, description=description, tags=tags,
                       comment=comment)
    request_fields = {"title": title, "kind": kind, "classification": classification, "description": description,
                      "tags": tags, "comment": comment or "", "filename": upload.filename or ""}
    if idempotency_key:
        existing = Document.objects.filter(owner=actor, idempotency_key=idempotency_key).first()
        if existing is not None:
            _ensure_same_request(existing, key=idempotency_key,
                                 fingerprint=_fingerprint(_content_sha256(upload), **request_fields))
            return existing, False
    stored = _store_upload(upload)
    fingerprint = _fingerprint(stored.stored.sha256, **request_fields) if idempotency_key else ""
    try:
        with transaction.atomic():
            now = timezone.now()
            document = Document.objects.create(
                title=title.strip(),
                kind=kind,
                classification=classification,
                description=description,
                owner=actor,
                department=actor.department,
                created_at=now,
                updated_at=now,
                idempotency_key=idempotency_key or None,
                idempotency_fingerprint=fingerprint,
            )
            document.tags.set(_tags_for(tags))
            version = _version_insert(document=document, actor=actor, upload=stored, comment=comment)
            created_detail = {"kind": kind, "classification": classification, **_version_detail(version, stored)}
            if submitted_title.strip() != title:
                created_detail["submitted_title"] = submitted_title  # as sent, before cleaning
            audit.record("document.created", actor=actor, target=document, detail=created_detail)
            audit.record("document.version.uploaded", actor=actor, target=document,
                         detail=_version_detail(version, stored))
            transaction.on_commit(lambda: search_index.index_document_changed(document_id=document.pk, reason="created"))
    except IntegrityError:
        if idempotency_key:
            existing = Document.objects.filter(owner=actor, idempotency_key=idempotency_key).first()
            if existing is not None:
                _ensure_same_request(existing, key=idempotency_key, fingerprint=fingerprint)
                return existing, False
        raise
    return document, True


# --- new versions, check-out ----------------------------------------------------------------


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


def _ensure_not_locked_by_other(document: Document, actor) -> None:
    holder = document.lock_holder()
    if holder is not None and holder.pk != actor.pk:
        raise _lock_conflict(document)


def _locked_document(document: Document) -> Document:
    return (
        Document.objects.select_for_update(of=("self",))
        .select_related("checked_out_by", "valid_version")
        .get(pk=document.pk)
    )


def document_version_create(
    *,
    actor,
    document: Document,
    upload: UploadSource,
    comment: str = "",
    idempotency_key: str | None = None,
) -> tuple[DocumentVersion, bool]:
    """Upload a new version. Returns (version, created); a retried idempotency key returns the first,
    the same key with another file or comment is refused (422, IdempotencyKeyReused)."""
    require_access(actor=actor, action=Action.CHANGE, document=document)
    _validate_metadata(title=document.title, kind=document.kind, classification=document.classification,
                       comment=comment)
    request_fields = {"comment": comment or "", "filename": upload.filename or ""}
    if idempotency_key:
        existing = DocumentVersion.objects.filter(
            document=document, uploaded_by=actor, idempotency_key=idempotency_key
        ).first()
        if existing is not None:
            _ensure_same_request(existing, key=idempotency_key,
                                 fingerprint=_fingerprint(_content_sha256(upload), **request_fields))
            return existing, False
    _ensure_not_locked_by_other(document, actor)
    stored = _store_upload(upload)
    fingerprint = _fingerprint(stored.stored.sha256, **request_fields) if idempotency_key else ""
    try:
        with transaction.atomic():
            locked = _locked_document(document)
            _ensure_not_locked_by_other(locked, actor)
            version = _version_insert(
                document=locked, actor=actor, upload=stored, comment=comment, idempotency_key=idempotency_key,
                idempotency_fingerprint=fingerprint,
            )
            audit.record("document.version.uploaded", actor=actor, target=locked,
                         detail=_version_detail(version, stored))
            transaction.on_commit(lambda: search_index.index_document_changed(document_id=locked.pk, reason="version"))
    except IntegrityError:
        if idempotency_key:
            existing = DocumentVersion.objects.filter(
                document=document, uploaded_by=actor, idempotency_key=idempotency_key
            ).first()
            if existing is not None:
                _ensure_same_request(existing, key=idempotency_key, fingerprint=fingerprint)
                return existing, False
        raise
    return version, True


def document_checkout(*, actor, document: Document) -> Document:
    require_access(actor=actor, action=Action.CHANGE, document=document)
    with transaction.atomic():
        locked = _locked_document(document)
        _ensure_not_locked_by_other(locked, actor)
        now = timezone.now()
        if locked.lock_holder(now=now) is None:
            locked.checked_out_at = now
        locked.checked_out_by = actor
        locked.checkout_expires_at = now + dt.timedelta(seconds=settings.CHECKOUT_TTL_SECONDS)
        locked.save(update_fields=["checked_out_by", "checked_out_at", "checkout_expires_at"])
        audit.record(
            "document.checked_out",
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


def document_checkin(*, actor, document: Document) -> Document:
    require_access(actor=actor, action=Action.CHANGE, document=document)
    with transaction.atomic():
        locked = _locked_document(document)
        holder = locked.lock_holder()
        if holder is None:
            raise Conflict("The document is not checked out.")
        if holder.pk != actor.pk:
            raise _lock_conflict(locked)
        _clear_lock(locked)
        audit.record("document.checked_in", actor=actor, target=locked)
    return locked


def document_lock_break(*, actor, document: Document, reason: str = "") -> Document:
    """An administrator (manage access) releases someone else's check-out."""
    require_access(actor=actor, action=Action.MANAGE, document=document)
    with transaction.atomic():
        locked = _locked_document(document)
        holder = locked.lock_holder()
        if holder is None:
            raise Conflict("The document is not checked out.")
        detail = {
            "holder_id": holder.pk,
            "holder": holder.username,
            "since": locked.checked_out_at.isoformat(),
            "reason": reason,
        }
        _clear_lock(locked)
        audit.record("document.lock_broken", actor=actor, target=locked, detail=detail)
    return locked


# --- status, restore -----------------------------------------------------------------------


def document_version_approve(
    *, actor, version: DocumentVersion, valid_until: dt.date | None = None
) -> DocumentVersion:
    """Approve a draft: it becomes the valid version and the previously approved one is superseded."""
    document = version.document
    require_access(actor=actor, action=Action.CHANGE, document=document)
    with transaction.atomic():
        locked = _locked_document(document)
        # Approving changes which version is valid: refused while someone else holds the check-out, like an upload.
        _ensure_not_locked_by_other(locked, actor)
        current = DocumentVersion.objects.select_for_update().get(pk=version.pk)
        if current.status != VersionStatus.DRAFT:
            raise Conflict(
                f"Version {current.number} is {current.get_status_display().lower()}; "
                f"only a draft can be approved."
            )
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
        audit.record(
            "document.version.status_changed",
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
        transaction.on_commit(lambda: search_index.index_document_changed(document_id=locked.pk, reason="status"))
    current.document = locked
    return current


def document_version_restore(*, actor, version: DocumentVersion, comment: str = "") -> DocumentVersion:
    """A new draft version with an old version's content. History is never rewritten."""
    document = version.document
    require_access(actor=actor, action=Action.CHANGE, document=document)
    _ensure_not_locked_by_other(document, actor)
    with transaction.atomic():
        locked = _locked_document(document)
        _ensure_not_locked_by_other(locked, actor)
        new_version = _version_insert(
            document=locked,
            actor=actor,
            copy_of=version,
            comment=comment or f"Restored from version {version.number}",
        )
        audit.record(
            "document.version.restored",
            actor=actor,
            target=locked,
            detail={"version": new_version.number, "restored_from": version.number, "sha256": version.sha256},
        )
        transaction.on_commit(lambda: search_index.index_document_changed(document_id=locked.pk, reason="version"))
    return new_version


# --- metadata, deletion --------------------------------------------------------------------


def document_update(
    *,
    actor,
    document: Document,
    title: str | None = None,
    kind: str | None = None,
    classification: str | None = None,
    description: str | None = None,
    tags: Iterable[str] | None = None,
) -> Document:
    """Change metadata. Changing the classification needs manage access."""
    needs = Action.MANAGE if classification not in (None, document.classification) else Action.CHANGE
    require_access(actor=actor, action=needs, document=document)
    title = clean_line(title) if title is not None else None
    tags = _clean_tags(tags)
    description = description.strip() if description is not None else None
    _validate_metadata(
        title=title if title is not None else document.title,
        kind=kind or document.kind,
        classification=classification or document.classification,
        description=description or "",
        tags=tags,
    )
    with transaction.atomic():
        locked = _locked_document(document)
        _ensure_not_locked_by_other(locked, actor)
        changes: dict[str, list] = {}
        for field, value in (
            ("title", title.strip() if title is not None else None),
            ("kind", kind),
            ("classification", classification),
            ("description", description),
        ):
            if value is not None and getattr(locked, field) != value:
                changes[field] = [getattr(locked, field), value]
                setattr(locked, field, value)
        if tags is not None:
            new_tags = _tags_for(tags)
            old_names = sorted(locked.tags.values_list("name", flat=True))
            new_names = sorted(tag.name for tag in new_tags)
            if old_names != new_names:
                locked.tags.set(new_tags)
                changes["tags"] = [old_names, new_names]
        suspended = []
        if changes:
            locked.updated_at = timezone.now()
            locked.save()
            if "classification" in changes:
                # Raised to confidential or secret: shares vouched for by someone who may not manage the
                # document stop at once (same transaction, each audited) until someone who may re-confirms them.
                from backend.documents.sharing import shares_suspend_for_classification

                suspended = shares_suspend_for_classification(actor=actor, document=locked)
            detail = {"changes": changes}
            if suspended:
                detail["suspended_shares"] = [share.pk for share in suspended]
            audit.record("document.updated", actor=actor, target=locked, detail=detail)
            transaction.on_commit(lambda: search_index.index_document_changed(document_id=locked.pk, reason="metadata"))
    return locked


def _release_objects(keys: list[str]) -> None:
    """After commit: delete objects no version references any more."""
    store = object_store()
    from backend.documents.integrity import is_referenced

    for key in keys:
        if is_referenced(key):
            continue
        try:
            store.delete(key)
        except StoreUnavailable:
            logger.warning("store unavailable; %s left for storage_gc", key)


def document_delete(*, actor, document: Document) -> None:
    """Delete a document, its versions, grants and shares. Objects go once nothing references them.

    Shares end with the document rather than blocking its deletion: deleting is already a manage-level,
    deliberate and audited act, a customer can no more read a deleted document than staff can, and
    document systems (SharePoint, Drive, Box) drop a file's sharing links with the file instead of asking
    for each to be withdrawn first. Each live share's end is audited (as a revocation, naming the
    customer), so the trail still tells who had it. A share pinning a version protects that version
    from being deleted on its own; here the shares go first.
    """
    require_access(actor=actor, action=Action.MANAGE, document=document)
    with transaction.atomic():
        locked = _locked_document(document)
        _ensure_not_locked_by_other(locked, actor)
        keys = sorted(set(locked.versions.values_list("object_key", flat=True)))
        shares = list(locked.shares.select_related("customer").order_by("id"))
        for share in shares:
            if share.revoked_at is None:
                audit.record("document.share.revoked", actor=actor, target=locked, customer_id=share.customer_id,
                             detail={"share": share.pk, "customer": share.customer.name,
                                     "reason": "document_deleted"})
        detail = {"title": locked.title, "versions": locked.version_count, "objects": keys,
                  "shares": [share.pk for share in shares]}
        audit.record("document.deleted", actor=actor, target=locked, detail=detail)
        locked.shares.all().delete()
        Document.objects.filter(pk=locked.pk).update(valid_version=None)
        transaction.on_commit(lambda pk=locked.pk: search_index.index_document_changed(document_id=pk, reason="deleted"))
        locked.delete()
        transaction.on_commit(lambda: _release_objects(keys))


# --- downloads -----------------------------------------------------------------------------


@dataclass(frozen=True)
class VersionDownload:
    version: DocumentVersion
    chunks: Iterator[bytes]
    start: int
    length: int
    partial: bool


def _audited_chunks(chunks: Iterator[bytes], *, actor, version: DocumentVersion) -> Iterator[bytes]:
    """Pass chunks through; a checksum failure is audited (with the request's context) and aborts."""
    context = current_request_context()
    try:
        for chunk in chunks:
            DOWNLOAD_BYTES.inc(len(chunk))
            yield chunk
    except ObjectCorrupt as exc:
        token = set_request_context(context)
        try:
            _record_checksum_failure(actor=actor, version=version, exc=exc)
        finally:
            reset_request_context(token)
        raise


def _record_checksum_failure(*, actor, version: DocumentVersion, exc: ObjectCorrupt) -> None:
    logger.error("checksum mismatch on %s (document %s v%s)", version.object_key, version.document_id, version.number)
    audit.record(
        "document.version.checksum_failed",
        actor=actor,
        target=version.document,
        outcome="failure",
        detail={"version": version.number, "key": version.object_key, "expected": exc.expected, "actual": exc.actual},
    )


def document_version_download(
    *, actor, version: DocumentVersion, byte_range: tuple[int, int] | None = None
) -> VersionDownload:
    """Stream a version's bytes (all of them, checksum-verified, or one byte range)."""
    require_access(actor=actor, action=Action.DOWNLOAD, document=version.document)
    return version_stream(actor=actor, version=version, byte_range=byte_range)


def document_version_preview(*, actor, version: DocumentVersion) -> VersionDownload:
    """Stream a version's bytes to be shown inline (the staff UI's preview frame). It needs the right to
    download, since the bytes reach the browser, but is recorded as a preview, not a download."""
    require_access(actor=actor, action=Action.DOWNLOAD, document=version.document)
    return version_stream(actor=actor, version=version, event_type="document.version.previewed")


def document_version_head(*, actor, version: DocumentVersion) -> DocumentVersion:
    """What a HEAD request learns (size, type, checksum): checked like a download, and not recorded as
    one, since no byte of the file is sent."""
    require_access(actor=actor, action=Action.DOWNLOAD, document=version.document)
    return version


def version_stream(
    *,
    actor,
    version: DocumentVersion,
    byte_range: tuple[int, int] | None = None,
    event_type: str = "document.version.downloaded",
    audit_detail: dict | None = None,
    customer_id: int | None = None,
) -> VersionDownload:
    """Open a version's bytes and audit the read. The caller has already checked access.

    Used by document downloads (staff) and by shares (portal), which differ only in who may read
    and in the event they record.
    """
    document = version.document
    store = object_store()
    detail = {"version": version.number, "sha256": version.sha256, **(audit_detail or {})}
    try:
        if byte_range is not None:
            start, end = byte_range
            chunks: Iterator[bytes] = iter(store.open(version.object_key, offset=start, length=end - start + 1))
            detail["range"] = [start, end]
        else:
            start, end = 0, version.size - 1
            chunks = store.iter_verified(version.object_key, sha256=version.sha256, size=version.size)
        first = next(chunks, b"")
    except ObjectCorrupt as exc:
        _record_checksum_failure(actor=actor, version=version, exc=exc)
        raise
    except StoreUnavailable:
        audit.record(
            event_type,
            actor=actor,
            target=document,
            outcome="failure",
            detail={**detail, "error": "store_unavailable"},
            customer_id=customer_id,
        )
        raise
    audit.record(event_type, actor=actor, target=document, detail=detail, customer_id=customer_id)

    def _all() -> Iterator[bytes]:
        if first:
            yield first
        yield from chunks

    return VersionDownload(
        version=version,
        chunks=_audited_chunks(_all(), actor=actor, version=version),
        start=start,
        length=end - start + 1,
        partial=byte_range is not None,
    )


@dataclass(frozen=True)
class PresignedDownload:
    url: str
    expires_at: dt.datetime


def document_version_presign(*, actor, version: DocumentVersion) -> PresignedDownload:
    """A short-lived direct URL to the S3 object. Handing it out is audited as an access."""
    document = version.document
    require_access(actor=actor, action=Action.DOWNLOAD, document=document)
    seconds = settings.STORAGE_PRESIGN_SECONDS
    url = object_store().presigned_get_url(
        version.object_key, expires_seconds=seconds, filename=version.filename, content_type=version.mime_type
    )
    expires_at = timezone.now() + dt.timedelta(seconds=seconds)
    audit.record(
        "document.version.download_url_issued",
        actor=actor,
        target=document,
        detail={"version": version.number, "expires_at": expires_at.isoformat()},
    )
    return PresignedDownload(url=url, expires_at=expires_at)
