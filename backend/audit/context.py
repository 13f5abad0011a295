"""Who is acting, from where: set once per request by the middleware, read by audit.record()."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    ip: str | None = None
    user_agent: str = ""
    request_id: str = ""


_current: contextvars.ContextVar[RequestContext] = contextvars.ContextVar(
    "dossier_request_context", default=RequestContext()
)


def current_request_context() -> RequestContext:
    return _current.get()


def set_request_context(ctx: RequestContext) -> contextvars.Token:
    return _current.set(ctx)


def reset_request_context(token: contextvars.Token) -> None:
    _current.reset(token)
