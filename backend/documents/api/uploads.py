"""Turning an HTTP request into an UploadSource.

Two ways to send a file:
  * multipart/form-data with the file in the field `file` and the metadata as
    form fields (browsers, curl -F). Django spools the file to a temporary file.
  * the raw bytes as the request body (any other Content-Type), the file name in
    `Content-Disposition: attachment; filename*=UTF-8''...` (or ?filename=) and
    the metadata in the query string. The body streams straight to the object
    store without touching the disk: use it for large files.
Either way a client may send `Content-Digest: sha-256=:<base64>:` (RFC 9530) or
`X-Content-SHA256: <hex>`; the upload is rejected if the bytes do not match.
"""

from __future__ import annotations

import base64
import binascii
import re
from urllib.parse import unquote

from django.conf import settings
from django.http import QueryDict

from backend.common.errors import FileTooLarge, InvalidInput, LengthRequired
from backend.documents.intake import UploadSource

_MULTIPART_OVERHEAD = 1024 * 1024
_HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")
_FILENAME_STAR = re.compile(r"filename\*\s*=\s*([^']*)'[^']*'([^;]+)", re.IGNORECASE)
_FILENAME = re.compile(r'filename\s*=\s*"((?:[^"\\]|\\.)*)"|filename\s*=\s*([^;]+)', re.IGNORECASE)


def is_multipart(request) -> bool:
    return (request.content_type or "").lower().startswith("multipart/form-data")


def _declared_sha256(request) -> str | None:
    digest = request.headers.get("Content-Digest", "")
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
    hex_digest = request.headers.get("X-Content-SHA256", "")
    if hex_digest:
        if not _HEX64.match(hex_digest):
            raise InvalidInput("X-Content-SHA256 must be 64 hexadecimal characters.")
        return hex_digest.lower()
    return None


def _filename_from_disposition(header: str) -> str:
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


def _content_length(request) -> int | None:
    raw = request.META.get("CONTENT_LENGTH") or ""
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise InvalidInput("Content-Length is not a number.") from None
    if value < 0:
        raise InvalidInput("Content-Length is negative.")
    return value


def upload_from_request(request) -> tuple[UploadSource, QueryDict | dict]:
    """The upload and the metadata fields sent with it. Reads nothing it does not need."""
    limit = settings.UPLOAD_MAX_BYTES
    length = _content_length(request)
    sha256 = _declared_sha256(request)
    if is_multipart(request):
        if length is not None and length > limit + _MULTIPART_OVERHEAD:
            raise FileTooLarge(f"The request is larger than the upload limit of {limit} bytes.", limit_bytes=limit)
        uploaded = request.FILES.get("file")
        if uploaded is None:
            raise InvalidInput("Attach the file in a form field named 'file'.", fields={"file": ["No file was sent."]})
        source = UploadSource(stream=uploaded, filename=uploaded.name or "", declared_size=uploaded.size,
                              declared_sha256=sha256)
        return source, request.data
    if not length:
        raise LengthRequired(
            "Send the file as multipart/form-data, or as the request body with a Content-Length header."
        )
    if length > limit:
        raise FileTooLarge(f"The file is {length} bytes; the upload limit is {limit} bytes.", limit_bytes=limit)
    filename = _filename_from_disposition(request.headers.get("Content-Disposition", ""))
    filename = filename or request.query_params.get("filename", "")
    source = UploadSource(stream=request._request, filename=filename, declared_size=length, declared_sha256=sha256)
    return source, request.query_params
