"""HTTP for version downloads, shared by the staff API and the customer portal: the Range header and
the streamed response around a `VersionDownload` (from document_version_download or share_download),
built on the one file response (backend.common.file_response) with the range headers added.

Only a response that sends the file is a download in the audit trail. Answers that send no byte of it
are built here without opening the file, so nothing is recorded for them: a HEAD request
(`head_response`), a conditional GET whose ETag still matches (`not_modified`, 304) and an
unsatisfiable range (`range_not_satisfiable`, 416).

A stamped download (backend.documents.stamping) is a new PDF for each request: it is answered whole (200,
`Accept-Ranges: none`, whatever Range asked for), with the stamped copy's digest in X-Content-SHA256, no
ETag, and the mark's code in X-Dossier-Mark; its HEAD (`stamped_head_response`) names a PDF of no known
length. The callers decide with `stamping.stamp_required` before reading Range or If-None-Match.
"""

from __future__ import annotations

import re

from django.http import HttpResponse, HttpResponseNotModified, JsonResponse, StreamingHttpResponse
from django.utils.http import parse_etags

from backend.common.file_response import file_headers, file_response
from backend.documents import stamping
from backend.documents.downloads import VersionDownload

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


def _etag(version) -> str:
    return f'"{version.sha256}"'


def not_modified(if_none_match: str, version) -> HttpResponse | None:
    """304 when the client's If-None-Match names this version's bytes (or is *); None to send them."""
    if not if_none_match:
        return None
    tags = parse_etags(if_none_match)
    if "*" not in tags and _etag(version) not in tags and f"W/{_etag(version)}" not in tags:
        return None
    response = HttpResponseNotModified()
    response["ETag"] = _etag(version)
    response["Cache-Control"] = "private, no-store"
    return response


def _range_headers(response: HttpResponse, version, *, start: int, length: int, partial: bool) -> HttpResponse:
    """What a download adds to every file response: the range it sends and the whole file's hash."""
    if partial:
        response["Content-Range"] = f"bytes {start}-{start + length - 1}/{version.size}"
    response["Accept-Ranges"] = "bytes"
    response["X-Content-SHA256"] = version.sha256
    return response


def head_response(version, byte_range: tuple[int, int] | None) -> HttpResponse:
    """What a GET would answer, headers only (HEAD): the file is neither opened nor sent."""
    response = HttpResponse(status=206 if byte_range is not None else 200, content_type=version.mime_type)
    start, end = byte_range if byte_range is not None else (0, version.size - 1)
    file_headers(response, filename=version.filename, length=end - start + 1, etag=version.sha256)
    return _range_headers(response, version, start=start, length=end - start + 1, partial=byte_range is not None)


def stamped_head_response(version) -> HttpResponse:
    """What a GET of a stamped download would answer, headers only: a PDF, its length unknown until made."""
    # streamed (with nothing in it): a plain response would be given a Content-Length of 0
    response = StreamingHttpResponse(iter(()), status=200, content_type=stamping.PDF)
    file_headers(response, filename=stamping.stamp_filename(version.filename))
    response["Accept-Ranges"] = "none"
    return response


def streamed_download(download: VersionDownload) -> StreamingHttpResponse:
    """The bytes as an attachment: 200, or 206 with Content-Range for a range; never cached."""
    version = download.version
    if download.stamped is not None:
        response = file_response(download.chunks, content_type=download.content_type, filename=download.filename,
                                 length=download.length)
        response["Accept-Ranges"] = "none"
        response["X-Content-SHA256"] = download.sha256
        response["X-Dossier-Mark"] = download.stamped.mark_code
        return response
    response = file_response(download.chunks, content_type=version.mime_type, filename=version.filename,
                             length=download.length, etag=version.sha256, status=206 if download.partial else 200)
    return _range_headers(response, version, start=download.start, length=download.length, partial=download.partial)
