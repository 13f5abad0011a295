"""Response headers for confidential content.

* Every response a view makes is private and never stored: pages and API answers show document
  titles, customers, prices and who did what, and must not stay in a shared proxy's cache, the
  browser's disk cache or its back/forward cache. Static files (served by WhiteNoise before this
  middleware) and the probes (answered by the ops middleware first) are the only exceptions.
* Files shown inline (the staff preview frame, portal attachments and rendered share pages) carry a
  sandboxing Content-Security-Policy of their own: an uploaded PDF, image or HTML-looking file opens
  in a unique origin with no script, so it can reach neither the session nor the pages around it.
  django-csp keeps a policy a response already has, so the site-wide policy does not replace it.
"""

from __future__ import annotations

from django.utils.cache import add_never_cache_headers

# Images from the same origin (Chromium's PDF viewer and image documents need them) and inline styles
# of the browser's own viewer pages; nothing else, not even a font, and framing by our pages only.
FILE_CONTENT_SECURITY_POLICY = "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'self'"


def sandboxed(response):
    """The response of an uploaded file, shown inline or downloaded: sandboxed, never stored."""
    response["Content-Security-Policy"] = FILE_CONTENT_SECURITY_POLICY
    response["X-Content-Type-Options"] = "nosniff"
    add_never_cache_headers(response)
    return response


class NoStoreMiddleware:
    """`Cache-Control: max-age=0, no-cache, no-store, must-revalidate, private` on every response that
    reaches it (Django's never-cache headers)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        add_never_cache_headers(response)
        return response
