"""Template tags of the pages both interfaces share: the request id an error page shows, so that a person
can quote it and an operator can find the request in the logs and the audit trail."""

from __future__ import annotations

from django import template

from backend.audit.context import current_request_context

register = template.Library()


@register.simple_tag
def request_id() -> str:
    """The id of the request being answered (the X-Request-ID header the middleware sets)."""
    return current_request_context().request_id
