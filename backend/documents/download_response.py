"""HTTP for version downloads, shared by the staff API and the customer portal: the Range header and
the streamed response around a `VersionDownload` (from document_version_download or share_download)."""

from __future__ import annotations

import re

from django.http import HttpResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header
from django.http import JsonResponse

from backend.documents.services import VersionDownload

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
UNSATISFIABLE = "unsatisfiable"


def parse_range(header: str, size: int) -> tuple[int, int] | None | str:
    """(start, end) for one satisfiable range; None to serve everything; UNSATISFIABLE."""
    if not header:
        return None
    match = _RANGE.match(header.strip())
    if not match:
        return None  # multiple or malformed ranges: RFC 9110 lets us ignore Range
    first, last = match.groups()
    if first == "" and last == "":
        return None
    if first == "":
        suffix = int(last)
        if suffix == 0 or size == 0:
            return UNSATISFIABLE
        return max(size - suffix, 0), size - 1
    start = int(first)
    end = int(last) if last else size - 1
    if start >= size or end < start:
        return UNSATISFIABLE
    return start, min(end, size - 1)


def range_not_satisfiable(size: int) -> HttpResponse:
    """416 with the size in Content-Range and a body in the API's error shape."""
    response = JsonResponse(
        {"detail": f"The requested range is outside the {size} bytes of this file.",
         "code": "range_not_satisfiable", "size": size},
        status=416,
    )
    response["Content-Range"] = f"bytes */{size}"
    return response


def streamed_download(download: VersionDownload) -> StreamingHttpResponse:
    """The bytes as an attachment: 200, or 206 with Content-Range for a range; never cached."""
    version = download.version
    response = StreamingHttpResponse(
        download.chunks, status=206 if download.partial else 200, content_type=version.mime_type
    )
    response["Content-Length"] = str(download.length)
    if download.partial:
        response["Content-Range"] = f"bytes {download.start}-{download.start + download.length - 1}/{version.size}"
    response["Accept-Ranges"] = "bytes"
    response["Content-Disposition"] = content_disposition_header(True, version.filename)
    response["ETag"] = f'"{version.sha256}"'
    response["X-Content-SHA256"] = version.sha256
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
