"""Outages are 503, never 500: the database (or broker) being down is not a bug in the request.

`server_error` is Django's handler500. It runs inside the `except` that caught the exception, so
it can tell an outage from a bug: an outage gets 503 with a clear message (JSON under /api/, a
page elsewhere) and Retry-After; anything else is Django's plain 500. The API's own exception
handler maps the same errors (backend/common/exceptions.py).
"""

from __future__ import annotations

import logging
import sys

from django.conf import settings
from django.http import HttpResponse, HttpResponseServerError, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _
from django.views import defaults

from backend.common.exceptions import outage_body

logger = logging.getLogger(__name__)


def server_error(request, *args, **kwargs):
    body = outage_body(sys.exc_info()[1])
    if body is None:
        return _error_page(request, *args, **kwargs)
    if request.path.startswith("/api/"):
        response = JsonResponse(body, status=503)
    else:
        title = _("Temporarily unavailable")
        response = HttpResponse(
            f'<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" '
            f'content="width=device-width, initial-scale=1"><title>{title}</title></head>'
            f'<body style="font-family:sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem">'
            f"<h1>{title}</h1><p>{body['detail']}</p></body></html>",
            status=503, content_type="text/html; charset=utf-8",
        )
    response["Retry-After"] = "30"
    return response


def _error_page(request, *args, **kwargs):
    """The 500 page in the site's look, translated, with the request id to quote (templates/500.html).
    It renders without context processors (they may be what failed); the portal's paths link home there.
    Under /api/ it is the API's error shape in JSON, with the same request id."""
    if request.path.startswith("/api/"):
        from backend.audit.context import current_request_context

        return JsonResponse({"detail": _("Something went wrong on our side. Quote the request id if you report it."),
                             "code": "server_error", "request_id": current_request_context().request_id or ""},
                            status=500)
    try:
        home_url = settings.PORTAL_URL_PREFIX if request.path.startswith(settings.PORTAL_URL_PREFIX) else "/"
        return HttpResponseServerError(loader.get_template("500.html").render({"home_url": home_url}))
    except Exception:  # the page itself failed: Django's plain one
        logger.exception("the 500 page could not be rendered")
        return defaults.server_error(request, *args, **kwargs)
