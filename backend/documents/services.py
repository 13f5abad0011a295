"""Writes (and audited reads) of documents: create, upload a new version, change, delete.

Every function here is keyword-only, checks access with the policy before
anything else, streams bytes to the object store *outside* any transaction,
then writes rows and the audit event in one transaction. If the store fails,
no row is written; if the rows fail after the bytes landed, the unreferenced
object is swept later by `manage.py storage_gc`.

The steps live in their own modules: the upload intake (backend.documents.intake: sniff, limits,
content-addressed store), the version workflow (backend.documents.versions: check-out, approve,
restore) and the audited downloads (backend.documents.downloads). Their public functions are named
here too, so every document service is `services.<name>` for the interfaces.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.access.policy import Action, is_active_staff
from backend.access.services import require
from backend.audit import services as audit
from backend.documents import previews
from backend.documents.audit_events import (
    DOCUMENT_CREATED,
    DOCUMENT_DELETED,
    DOCUMENT_LIST_SEARCHED,
    DOCUMENT_UPDATED,
    DOCUMENT_VERSION_UPLOADED,
    DOCUMENT_VIEWED,
)
from backend.documents.store import object_store
from backend.common.errors import InvalidInput, NotFound
from backend.common.text import clean_line
from backend.documents.downloads import (  # noqa: F401 - named here for the interfaces
    PresignedDownload,
    VersionDownload,
    document_version_download,
    document_version_head,
    document_version_presign,
    document_version_preview,
    version_stream,
)
from backend.documents.intake import (  # noqa: F401 - UploadSource, StoredUpload, store_checked_upload: for the interfaces
    StoredUpload,
    UploadSource,
    ensure_same_request,
    request_fingerprint,
    store_checked_upload,
    store_upload,
    upload_sha256,
)
from backend.documents.models import Classification, Document, DocumentKind, DocumentVersion, Tag
from backend.documents.versions import (  # noqa: F401 - the workflow's services, named here for the interfaces
    ComparedVersions,
    approval_refusal,
    document_checkin,
    document_checkout,
    document_lock_break,
    document_version_approve,
    document_version_restore,
    document_versions_compare,
    ensure_not_locked_by_other,
    locked_document,
    version_audit_detail,
    version_insert,
)
from backend.sharing import shares as sharing
from backend.sharing.audit_events import DOCUMENT_SHARE_REVOKED
from indexing import hooks as search_index
from storage.errors import ObjectHeld, StoreUnavailable

logger = logging.getLogger(__name__)


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
    require(actor=actor, action=action, obj=document)
    return document


def document_view(*, actor, document_id: int) -> Document:
    """Read a document's metadata: an audited access."""
    document = document_get_for_action(actor=actor, document_id=document_id, action=Action.VIEW)
    audit.record(DOCUMENT_VIEWED, actor=actor, target=document)
    return document


def document_list_searched(*, actor, query: str, filters: dict, shown: Iterable[int]) -> None:
    """A document list narrowed by a title query was read: the query, the other filters and the ids of the
    documents shown (the titles disclosed), recorded as `document.list.searched`."""
    shown = list(shown)
    audit.record(DOCUMENT_LIST_SEARCHED, actor=actor, target_type="search.query", target_label=query[:200],
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


def _replay_of(rows, *, key: str | None, fingerprint):
    """The row an earlier request with this Idempotency-Key made among `rows`, or None. A row found must
    come from the same request (`fingerprint`: the value, or a function computing it only then)."""
    if not key:
        return None
    existing = rows.filter(idempotency_key=key).first()
    if existing is not None:
        ensure_same_request(existing, key=key, fingerprint=fingerprint() if callable(fingerprint) else fingerprint)
    return existing


def _write_once(rows, *, key: str | None, fingerprint: str, write):
    """`write()` (in its own transaction) -> (row, True); when a concurrent request with the same
    Idempotency-Key won the race for the unique key, the row it made -> (row, False)."""
    try:
        return write(), True
    except IntegrityError:
        existing = _replay_of(rows, key=key, fingerprint=fingerprint)
        if existing is None:
            raise
        return existing, False


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
    owned = Document.objects.filter(owner=actor)
    existing = _replay_of(owned, key=idempotency_key,
                          fingerprint=lambda: request_fingerprint(upload_sha256(upload), **request_fields))
    if existing is not None:
        return existing, False
    stored = store_upload(upload)
    fingerprint = request_fingerprint(stored.stored.sha256, **request_fields) if idempotency_key else ""

    def create() -> Document:
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
            version = version_insert(document=document, actor=actor, upload=stored, comment=comment)
            created_detail = {"kind": kind, "classification": classification, **version_audit_detail(version, stored)}
            if submitted_title.strip() != title:
                created_detail["submitted_title"] = submitted_title  # as sent, before cleaning
            search_index.index_document_changed(document_id=document.pk, reason="created")
            previews.preview_warm_later(version)
            audit.record(DOCUMENT_CREATED, actor=actor, target=document, detail=created_detail)
            audit.record(DOCUMENT_VERSION_UPLOADED, actor=actor, target=document,
                         detail=version_audit_detail(version, stored))
        return document

    return _write_once(owned, key=idempotency_key, fingerprint=fingerprint, write=create)


# --- new versions ------------------------------------------------------------------------------


def document_version_create(*, actor, document: Document, upload: UploadSource, comment: str = "",
                            idempotency_key: str | None = None) -> tuple[DocumentVersion, bool]:
    """Upload a new version. Returns (version, created); a retried idempotency key returns the first,
    the same key with another file or comment is refused (422, IdempotencyKeyReused)."""
    require(actor=actor, action=Action.CHANGE, obj=document)
    _validate_metadata(title=document.title, kind=document.kind, classification=document.classification,
                       comment=comment)
    request_fields = {"comment": comment or "", "filename": upload.filename or ""}
    mine = DocumentVersion.objects.filter(document=document, uploaded_by=actor)
    existing = _replay_of(mine, key=idempotency_key,
                          fingerprint=lambda: request_fingerprint(upload_sha256(upload), **request_fields))
    if existing is not None:
        return existing, False
    ensure_not_locked_by_other(document, actor)
    stored = store_upload(upload)
    fingerprint = request_fingerprint(stored.stored.sha256, **request_fields) if idempotency_key else ""

    def create() -> DocumentVersion:
        with transaction.atomic():
            locked = locked_document(document)
            ensure_not_locked_by_other(locked, actor)
            version = version_insert(
                document=locked, actor=actor, upload=stored, comment=comment, idempotency_key=idempotency_key,
                idempotency_fingerprint=fingerprint,
            )
            search_index.index_document_changed(document_id=locked.pk, reason="version")
            previews.preview_warm_later(version)
            from backend.notifications import triggers as notifications

            notifications.version_uploaded(version=version, actor=actor)
            audit.record(DOCUMENT_VERSION_UPLOADED, actor=actor, target=locked,
                         detail=version_audit_detail(version, stored))
        return version

    return _write_once(mine, key=idempotency_key, fingerprint=fingerprint, write=create)


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
    require(actor=actor, action=needs, obj=document)
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
        locked = locked_document(document)
        ensure_not_locked_by_other(locked, actor)
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
                suspended = sharing.shares_suspend_for_classification(actor=actor, document=locked)
                from backend.notifications import triggers as notifications

                notifications.shares_suspended(document=locked, shares=suspended, actor=actor)
            detail = {"changes": changes}
            if suspended:
                detail["suspended_shares"] = [share.pk for share in suspended]
            search_index.index_document_changed(document_id=locked.pk, reason="metadata")
            audit.record(DOCUMENT_UPDATED, actor=actor, target=locked, detail=detail)
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
        except ObjectHeld:
            logger.warning("%s is still held on the store; left for storage_gc once the hold is released", key)


def document_delete(*, actor, document: Document) -> None:
    """Delete a document for good, its versions, grants and shares (the purge of backend.documents.trash
    does it for the interfaces, which move documents to the trash first). Objects go once nothing
    references them. A document under a legal hold is refused (409, UnderLegalHold).

    Shares end with the document rather than blocking its deletion: deleting is already a manage-level,
    deliberate and audited act, a customer can no more read a deleted document than staff can, and
    document systems (SharePoint, Drive, Box) drop a file's sharing links with the file instead of asking
    for each to be withdrawn first. Each live share's end is audited (as a revocation, naming the
    customer), so the trail still tells who had it. A share pinning a version protects that version
    from being deleted on its own; here the shares go first.
    """
    require(actor=actor, action=Action.MANAGE, obj=document)
    with transaction.atomic():
        locked = locked_document(document)
        ensure_not_locked_by_other(locked, actor)
        document_erase(actor=actor, locked=locked, event=DOCUMENT_DELETED)


def document_erase(*, actor, locked: Document, event: str, detail: dict | None = None) -> None:
    """The deletion itself, inside the caller's transaction with the document's row locked (access
    already checked): refuses a held document, drops the rows, releases the objects after commit and
    records each live share's end, then `event`, as the transaction's last writes."""
    from backend.documents.holds import ensure_not_held

    ensure_not_held(locked)
    keys = sorted(set(locked.versions.values_list("object_key", flat=True)))
    shares = list(locked.shares.select_related("customer").order_by("id"))
    detail = {"title": locked.title, "versions": locked.version_count, "objects": keys,
              "shares": [share.pk for share in shares], **(detail or {})}
    # The row is gone when the events are written: name it as it was.
    target = {"target_type": locked._meta.label_lower, "target_id": str(locked.pk), "target_label": str(locked)}
    locked.shares.all().delete()
    Document.objects.filter(pk=locked.pk).update(valid_version=None)
    target_pk = locked.pk
    locked.delete()
    # The outbox row holds the bare id (no foreign key), so it outlives the row it names.
    search_index.index_document_changed(document_id=target_pk, reason="deleted")
    transaction.on_commit(lambda: _release_objects(keys))
    # The audit events are the transaction's last writes.
    for share in shares:
        if share.revoked_at is None:
            audit.record(DOCUMENT_SHARE_REVOKED, actor=actor, customer_id=share.customer_id, **target,
                         detail={"share": share.pk, "customer": share.customer.name, "reason": "document_deleted"})
    audit.record(event, actor=actor, detail=detail, **target)
