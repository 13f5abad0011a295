"""Upload intake: an upload stream, sniffed and size-checked, lands in the object store under its content key.

Nothing here writes a row: the document services (backend.documents.services) call `store_upload` outside
any transaction and then insert the version. Shared by every upload Dossier takes (documents, service
attachments, the portal): `store_checked_upload` with the caller's limits. For a retried Idempotency-Key,
`upload_sha256`, `request_fingerprint` and `ensure_same_request` tell a replay from a different request.

Nothing here reads a request either. An interface hands over plain inputs: a file a form sent
(`upload_of_file`) or a body stream with its declared length and name (`upload_of_body`), and the checksum
the client declared (`declared_sha256` reads it from any mapping of headers). The API and the staff UI
turn their request into these with backend.documents.api.uploads; the portal passes its form's files.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import BinaryIO
from urllib.parse import unquote

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from backend.common.errors import (
    FileTooLarge,
    IdempotencyKeyReused,
    InvalidInput,
    LengthRequired,
    UnsupportedFileType,
)
from backend.common.metrics import UPLOAD_BYTES
from backend.documents.filenames import display_filename, sanitize_filename
from backend.documents.filetypes import SNIFF_BYTES, describe_mime, sniff_mime
from backend.documents.store import object_store
from storage import PrefixedReader, StoredObject
from storage.errors import ObjectTooLarge


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


_HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")
_FILENAME_STAR = re.compile(r"filename\*\s*=\s*([^']*)'[^']*'([^;]+)", re.IGNORECASE)
_FILENAME = re.compile(r'filename\s*=\s*"((?:[^"\\]|\\.)*)"|filename\s*=\s*([^;]+)', re.IGNORECASE)


def declared_sha256(headers: Mapping[str, str]) -> str | None:
    """The sha256 a client declared: `Content-Digest: sha-256=:<base64>:` (RFC 9530) or
    `X-Content-SHA256: <hex>`; None when it declared none. 400 for a malformed one."""
    digest = headers.get("Content-Digest", "")
    if digest:
        match = re.search(r"sha-256\s*=\s*:([A-Za-z0-9+/=]+):", digest)
        if not match:
            raise InvalidInput("Content-Digest must carry a sha-256 value, e.g. sha-256=:BASE64:.")
        try:
            raw = base64.b64decode(match.group(1), validate=True)
        except binascii.Error:
            raise InvalidInput("Content-Digest sha-256 is not valid base64.") from None
        if len(raw) != 32:
            raise InvalidInput("Content-Digest sha-256 must be 32 bytes.")
        return raw.hex()
    hex_digest = headers.get("X-Content-SHA256", "")
    if hex_digest:
        if not _HEX64.match(hex_digest):
            raise InvalidInput("X-Content-SHA256 must be 64 hexadecimal characters.")
        return hex_digest.lower()
    return None


def filename_from_disposition(header: str) -> str:
    """The file name in a Content-Disposition value (`filename*=UTF-8''...` first, then `filename=`)."""
    match = _FILENAME_STAR.search(header)
    if match:
        charset = match.group(1) or "utf-8"
        try:
            return unquote(match.group(2).strip(), encoding=charset, errors="strict")
        except (LookupError, UnicodeDecodeError):
            raise InvalidInput("The file name in Content-Disposition is not valid.") from None
    match = _FILENAME.search(header)
    if match:
        return (match.group(1) if match.group(1) is not None else match.group(2)).strip()
    return ""


def upload_of_file(file, *, declared_sha256: str | None = None) -> UploadSource:
    """A file a form sent (Django's UploadedFile: spooled to memory or a temporary file)."""
    return UploadSource(stream=file, filename=file.name or "", declared_size=file.size,
                        declared_sha256=declared_sha256)


def upload_of_body(stream: BinaryIO, *, length: int | None, filename: str,
                   declared_sha256: str | None = None) -> UploadSource:
    """A file sent as a whole body of `length` bytes (streamed, never spooled): 411 without a length,
    413 above the upload limit, before a byte is read."""
    limit = settings.UPLOAD_MAX_BYTES
    if not length:
        raise LengthRequired(
            "Send the file as multipart/form-data, or as the request body with a Content-Length header."
        )
    if length > limit:
        raise FileTooLarge(f"The file is {length} bytes; the upload limit is {limit} bytes.", limit_bytes=limit)
    return UploadSource(stream=stream, filename=filename, declared_size=length, declared_sha256=declared_sha256)


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


def store_upload(upload: UploadSource) -> StoredUpload:
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


def upload_sha256(upload: UploadSource) -> str:
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


def request_fingerprint(content_sha256: str, **fields) -> str:
    """What a request sent, in 64 hex characters: its content and its metadata."""
    payload = json.dumps({"content": content_sha256, **fields}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


def ensure_same_request(existing, *, key: str, fingerprint: str) -> None:
    """A replayed Idempotency-Key must carry the request it was first used for (rows from before
    fingerprints were kept have none and are taken as the same)."""
    if existing.idempotency_fingerprint and existing.idempotency_fingerprint != fingerprint:
        raise IdempotencyKeyReused(
            _("The Idempotency-Key %(key)s was already used for a different request (another file or other "
              "details). Nothing was saved; send a new key for a new request.") % {"key": key},
            key=key,
        )

