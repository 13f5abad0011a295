"""An HTTP request's upload, for the API and the staff UI alike (a DRF Request or a plain HttpRequest).

Two ways to send a file:
  * multipart/form-data with the file in the field `file` and the metadata as
    form fields (browsers, curl -F). Django spools the file to a temporary file.
  * the raw bytes as the request body (any other Content-Type), the file name in
    `Content-Disposition: attachment; filename*=UTF-8''...` (or ?filename=) and
    the metadata in the query string. The body streams straight to the object
    store without touching the disk: use it for large files.
Either way a client may send `Content-Digest: sha-256=:<base64>:` (RFC 9530) or
`X-Content-SHA256: <hex>`; the upload is rejected if the bytes do not match.

This module only reads the request; what an upload is and how it is checked is the request-agnostic
intake's (backend.documents.intake).
"""

from __future__ import annotations

from django.conf import settings
from django.http import QueryDict

from backend.common.errors import FileTooLarge, InvalidInput
from backend.documents.intake import (
    UploadSource,
    declared_sha256,
    filename_from_disposition,
    upload_of_body,
    upload_of_file,
)

_MULTIPART_OVERHEAD = 1024 * 1024


def is_multipart(request) -> bool:
    return (request.content_type or "").lower().startswith("multipart/form-data")


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


def upload_from_request(request) -> tuple[UploadSource, QueryDict]:
    """The upload and the metadata fields sent with it. Reads nothing it does not need: a request too
    large for the limit is refused before its body is parsed."""
    limit = settings.UPLOAD_MAX_BYTES
    length = _content_length(request)
    sha256 = declared_sha256(request.headers)
    if is_multipart(request):
        if length is not None and length > limit + _MULTIPART_OVERHEAD:
            raise FileTooLarge(f"The request is larger than the upload limit of {limit} bytes.", limit_bytes=limit)
        uploaded = request.FILES.get("file")
        if uploaded is None:
            raise InvalidInput("Attach the file in a form field named 'file'.", fields={"file": ["No file was sent."]})
        fields = request.POST.copy()
        fields.update(request.FILES)  # the form's file among its fields, as DRF's request.data has it
        return upload_of_file(uploaded, declared_sha256=sha256), fields
    filename = filename_from_disposition(request.headers.get("Content-Disposition", ""))
    # The request itself is the body's stream (a DRF Request hands read() on to Django's).
    upload = upload_of_body(request, length=length, filename=filename or request.GET.get("filename", ""),
                            declared_sha256=sha256)
    return upload, request.GET
