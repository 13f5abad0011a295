"""Puts the request's IP, user agent and request id into the audit context."""

from __future__ import annotations

import re
import uuid

from backend.audit.context import RequestContext, reset_request_context, set_request_context
from backend.common.client_address import client_address

_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def _client_ip(request) -> str | None:
    """The client's address, through the reverse proxies in TRUSTED_PROXIES (never the left end of a
    forwarded chain, which the client writes itself)."""
    return client_address(request)


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if _REQUEST_ID_RE.match(incoming) else uuid.uuid4().hex
        token = set_request_context(
            RequestContext(
                ip=_client_ip(request),
                user_agent=request.META.get("HTTP_USER_AGENT", "")[:400],
                request_id=request_id,
            )
        )
        try:
            response = self.get_response(request)
        finally:
            reset_request_context(token)
        response["X-Request-ID"] = request_id
        return response
