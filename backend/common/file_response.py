"""One way to send a file: every download, preview, attachment and export Dossier answers with.

A file's response names it safely (RFC 5987 `filename*` through Django's `content_disposition_header`),
is never stored by a cache, is not content-sniffed, and carries a sandboxing Content-Security-Policy of
its own: an uploaded PDF, image or HTML-looking file opens in a unique origin with no script, so it can
reach neither the session nor the pages around it (django-csp keeps a policy a response already has).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.http import HttpResponse, StreamingHttpResponse
from django.utils.cache import add_never_cache_headers
from django.utils.http import content_disposition_header

# Images from the same origin (Chromium's PDF viewer and image documents need them) and inline styles
# of the browser's own viewer pages; nothing else, not even a font, and framing by our pages only.
FILE_CONTENT_SECURITY_POLICY = "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'self'"


def sandboxed(response: HttpResponse) -> HttpResponse:
    """The response of an uploaded file, shown inline or downloaded: sandboxed, never stored."""
    response["Content-Security-Policy"] = FILE_CONTENT_SECURITY_POLICY
    response["X-Content-Type-Options"] = "nosniff"
    add_never_cache_headers(response)
    return response


def file_headers(response: HttpResponse, *, filename: str, length: int | None = None, inline: bool = False,
                 etag: str | None = None) -> HttpResponse:
    """Name, size and ETag (a content hash, quoted here) of the file `response` sends (or, for HEAD, would)."""
    if length is not None:
        response["Content-Length"] = str(length)
    response["Content-Disposition"] = content_disposition_header(not inline, filename)
    if etag:
        response["ETag"] = f'"{etag}"'
    return sandboxed(response)


def file_response(chunks: Iterable[bytes], *, content_type: str, filename: str, length: int | None = None,
                  inline: bool = False, etag: str | None = None, status: int = 200) -> StreamingHttpResponse:
    """The file streamed from `chunks`: an attachment unless `inline` (a preview shown in the page)."""
    response = StreamingHttpResponse(chunks, status=status, content_type=content_type)
    return file_headers(response, filename=filename, length=length, inline=inline, etag=etag)
