"""Downloads: a version's bytes streamed to whoever may read them, and every read audited.

A download is recorded as `document.version.downloaded`, a preview as `document.version.previewed`
(a preview is not a download), a HEAD as nothing (no byte of the file is sent). `version_stream` opens
and audits the bytes once access has been checked: the staff downloads here call it after the policy,
the customer shares (backend.sharing.shares) after their own checks, with their own event.
A checksum failure while streaming is audited and aborts the response.

Stamped downloads (backend.documents.stamping): when a version's classification is stamped on download,
`version_stream` sends, instead of the original, a PDF with the reader's mark on every page (a new mark,
`backend.documents.marks.issue_mark`, for each download), whole (a range is not served: each copy is
different, so ranges of two copies would not fit together). Its event records the original's digest
(`sha256`) beside the stamped copy's (`stamped_sha256`, `stamped_size`) and the mark's code (`mark`),
and the mark is bound to that event in the same transaction. A file that cannot be stamped is refused
(StampRefused, recorded as a failed download), never sent unstamped; a presigned store URL, which would
hand out the original, is refused for those classifications (PresignRefused).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
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
from backend.documents import stamping
from backend.documents.models import DocumentVersion
from backend.documents.stamping import PresignRefused, StampedCopy, StampRefused
from backend.documents.store import object_store
from storage.errors import ObjectCorrupt, StoreUnavailable

logger = logging.getLogger(__name__)


# A stamped copy is sent in slices of this size.
_STAMPED_CHUNK = 256 * 1024


@dataclass(frozen=True)
class VersionDownload:
    version: DocumentVersion
    chunks: Iterator[bytes]
    start: int
    length: int
    partial: bool
    # The stamped copy sent instead of the original (None: the original is sent).
    stamped: StampedCopy | None = None

    @property
    def content_type(self) -> str:
        return stamping.PDF if self.stamped else self.version.mime_type

    @property
    def filename(self) -> str:
        return stamping.stamp_filename(self.version.filename) if self.stamped else self.version.filename

    @property
    def sha256(self) -> str:
        """The digest of the bytes sent: the stamped copy's, or the version's."""
        return self.stamped.sha256 if self.stamped else self.version.sha256

    @property
    def etag(self) -> str | None:
        """The version's content hash; none for a stamped copy (each one is different)."""
        return None if self.stamped else self.version.sha256


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
    and in the event they record. A version whose classification is stamped is sent as its stamped copy
    (see the module's docstring; `byte_range` is then ignored).
    """
    if stamping.stamp_required(version):
        return _stamped_stream(actor=actor, version=version, event_type=event_type, audit_detail=audit_detail,
                               customer_id=customer_id)
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


def _stamped_stream(*, actor, version: DocumentVersion, event_type: str, audit_detail: dict | None,
                    customer_id: int | None) -> VersionDownload:
    """The version's stamped copy, made for this download with a new mark, and the download recorded with
    both digests and the mark's code (the mark bound to that event, in the same transaction)."""
    from backend.documents.marks import bind_mark, issue_mark

    document = version.document
    detail = {"version": version.number, "sha256": version.sha256, "stamped": True, **(audit_detail or {})}

    def failed(error: str, reason: str = "") -> None:
        audit.record(event_type, actor=actor, target=document, outcome="failure", customer_id=customer_id,
                     detail={**detail, "error": error, **({"reason": reason[:300]} if reason else {})})

    try:
        source = stamping.stamp_source(version)
    except ObjectCorrupt as exc:
        _record_checksum_failure(actor=actor, version=version, exc=exc)
        raise
    except StoreUnavailable:
        failed("store_unavailable")
        raise
    except StampRefused as refused:
        failed("cannot_be_stamped", str(refused.extra.get("reason", "")))
        raise
    purpose = "preview" if event_type == DOCUMENT_VERSION_PREVIEWED else "download"
    try:
        with transaction.atomic():
            mark = issue_mark(viewer=actor, version=version, purpose=purpose)
            copy = stamping.stamp_pdf(source, mark)
            event = audit.record(event_type, actor=actor, target=document, customer_id=customer_id, detail={
                **detail, "mark": mark.code, "stamped_sha256": copy.sha256, "stamped_size": copy.size,
                **({"converted_from": copy.converted_from} if copy.converted_from else {})})
            bind_mark(mark, event)
    except StampRefused as refused:  # the mark rolled back with the transaction: it marks nothing
        failed("cannot_be_stamped", str(refused.extra.get("reason", "")))
        raise
    del source

    def _slices() -> Iterator[bytes]:
        for start in range(0, copy.size, _STAMPED_CHUNK):
            chunk = copy.data[start:start + _STAMPED_CHUNK]
            DOWNLOAD_BYTES.inc(len(chunk))
            yield chunk

    return VersionDownload(version=version, chunks=_slices(), start=0, length=copy.size, partial=False,
                           stamped=copy)


@dataclass(frozen=True)
class PresignedDownload:
    url: str
    expires_at: dt.datetime


def document_version_presign(*, actor, version: DocumentVersion) -> PresignedDownload:
    """A short-lived direct URL to the S3 object. Handing it out is audited as an access. Refused
    (PresignRefused, 409, recorded as denied) for a classification stamped on download: the URL would
    hand out the original; download it through Dossier instead (the API falls back to that)."""
    document = version.document
    require(actor=actor, action=Action.DOWNLOAD, obj=document)
    if stamping.stamp_required(version):
        audit.record(DOCUMENT_VERSION_DOWNLOAD_URL_ISSUED, actor=actor, target=document, outcome="denied",
                     detail={"version": version.number, "reason": "stamped_classification"})
        raise PresignRefused()
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
