"""Response headers for confidential content.

* Every response a view makes is private and never stored: pages and API answers show document
  titles, customers, prices and who did what, and must not stay in a shared proxy's cache, the
  browser's disk cache or its back/forward cache. Static files (served by WhiteNoise before this
  middleware) and the probes (answered by the ops middleware first) are the only exceptions.
* Every file Dossier sends (downloads, previews, attachments, rendered share pages, exports) carries a
  sandboxing Content-Security-Policy of its own (backend.common.file_response): an uploaded PDF, image
  or HTML-looking file opens in a unique origin with no script, so it can reach neither the session nor
  the pages around it. django-csp keeps a policy a response already has, so the site-wide policy does
  not replace it.
"""

from __future__ import annotations

from django.utils.cache import add_never_cache_headers

class NoStoreMiddleware:
    """`Cache-Control: max-age=0, no-cache, no-store, must-revalidate, private` on every response that
    reaches it (Django's never-cache headers)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        add_never_cache_headers(response)
        return response
