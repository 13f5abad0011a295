"""Downloads: a version's bytes streamed to whoever may read them, and every read audited.

A download is recorded as `document.version.downloaded`, a preview as `document.version.previewed`
(a preview is not a download), a HEAD as nothing (no byte of the file is sent). `version_stream` opens
and audits the bytes once access has been checked: the staff downloads here call it after the policy,
the customer shares (backend.sharing.shares) after their own checks, with their own event.
A checksum failure while streaming is audited and aborts the response.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from backend.access.policy import Action
from backend.access.services import require
from backend.audit import services as audit
from backend.audit.context import current_request_context, reset_request_context, set_request_context
from backend.common.metrics import DOWNLOAD_BYTES
from backend.documents.audit_events import (
    DOCUMENT_VERSION_CHECKSUM_FAILED,
    DOCUMENT_VERSION_DOWNLOADED,
    DOCUMENT_VERSION_DOWNLOAD_URL_ISSUED,
    DOCUMENT_VERSION_PREVIEWED,
)
from backend.documents.models import DocumentVersion
from backend.documents.store import object_store
from storage.errors import ObjectCorrupt, StoreUnavailable

logger = logging.getLogger(__name__)


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
        DOCUMENT_VERSION_CHECKSUM_FAILED,
        actor=actor,
        target=version.document,
        outcome="failure",
        detail={"version": version.number, "key": version.object_key, "expected": exc.expected, "actual": exc.actual},
    )


def document_version_download(
    *, actor, version: DocumentVersion, byte_range: tuple[int, int] | None = None
) -> VersionDownload:
    """Stream a version's bytes (all of them, checksum-verified, or one byte range)."""
    require(actor=actor, action=Action.DOWNLOAD, obj=version.document)
    return version_stream(actor=actor, version=version, byte_range=byte_range)


def document_version_preview(*, actor, version: DocumentVersion) -> VersionDownload:
    """Stream a version's bytes to be shown inline (the staff UI's preview frame). It needs the right to
    download, since the bytes reach the browser, but is recorded as a preview, not a download."""
    require(actor=actor, action=Action.DOWNLOAD, obj=version.document)
    return version_stream(actor=actor, version=version, event_type=DOCUMENT_VERSION_PREVIEWED)


def document_version_head(*, actor, version: DocumentVersion) -> DocumentVersion:
    """What a HEAD request learns (size, type, checksum): checked like a download, and not recorded as
    one, since no byte of the file is sent."""
    require(actor=actor, action=Action.DOWNLOAD, obj=version.document)
    return version


def version_stream(
    *,
    actor,
    version: DocumentVersion,
    byte_range: tuple[int, int] | None = None,
    event_type: str = DOCUMENT_VERSION_DOWNLOADED,
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
    require(actor=actor, action=Action.DOWNLOAD, obj=document)
    seconds = settings.STORAGE_PRESIGN_SECONDS
    url = object_store().presigned_get_url(
        version.object_key, expires_seconds=seconds, filename=version.filename, content_type=version.mime_type
    )
    expires_at = timezone.now() + dt.timedelta(seconds=seconds)
    audit.record(
        DOCUMENT_VERSION_DOWNLOAD_URL_ISSUED,
        actor=actor,
        target=document,
        detail={"version": version.number, "expires_at": expires_at.isoformat()},
    )
    return PresignedDownload(url=url, expires_at=expires_at)
