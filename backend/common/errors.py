"""Typed domain errors. Services raise these; one exception handler maps them to HTTP.

400 bad input, 404 not visible (or missing: the two look the same), 409 conflict,
411 length required, 413 too large, 415 type not allowed, 422 idempotency key reused, 503 backend down.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status_code = 400
    code = "invalid"
    default_message = "The request is invalid."

    def __init__(self, message: str | None = None, **extra: Any) -> None:
        self.message = message or self.default_message
        self.extra = extra
        super().__init__(self.message)


class InvalidInput(DomainError):
    status_code = 400
    code = "invalid"


class NotFound(DomainError):
    """Raised for missing *and* for not-visible objects, so ids reveal nothing."""

    status_code = 404
    code = "not_found"
    default_message = "Not found."


class PermissionDenied(NotFound):
    """The caller may not do this. Rendered as 404, identical to a missing object."""

    code = "not_found"


class CsrfFailed(DomainError):
    """A session-authenticated API call without a valid CSRF token. 403, not the 404 of "forbidden": the
    caller may well have access; the request itself is refused."""

    status_code = 403
    code = "csrf_failed"
    default_message = "CSRF check failed."


class Conflict(DomainError):
    status_code = 409
    code = "conflict"
    default_message = "The request conflicts with the current state."


class VersionLocked(Conflict):
    code = "locked"
    default_message = "The document is checked out by someone else."


class IdempotencyKeyReused(DomainError):
    """An Idempotency-Key sent again with a different request: answering with the first result would
    silently drop the second. The body names the key (`key`)."""

    status_code = 422
    code = "idempotency_key_reused"
    default_message = "This Idempotency-Key was already used for a different request."


class LengthRequired(DomainError):
    status_code = 411
    code = "length_required"
    default_message = "A Content-Length header is required for a raw upload."


class FileTooLarge(DomainError):
    status_code = 413
    code = "too_large"
    default_message = "The file is larger than the upload limit."


class UnsupportedFileType(DomainError):
    status_code = 415
    code = "unsupported_type"
    default_message = "This file type is not allowed."


class BackendUnavailable(DomainError):
    status_code = 503
    code = "backend_unavailable"
    default_message = "A backend service is unavailable. Nothing was saved; please retry."


class Gone(DomainError):
    """Something that existed and is over: a used or expired invitation link, an expired share."""

    status_code = 410
    code = "gone"


class SignInUnavailable(DomainError):
    """The sign-in limits cannot be counted (their cache is down): sign-in is refused for now rather
    than let passwords be tried without limit. Signed-in sessions and API tokens keep working."""

    status_code = 503
    code = "signin_unavailable"
    default_message = "Signing in is unavailable for a moment. Please try again shortly."


class TooManyAttempts(DomainError):
    """Too many failed attempts (e.g. wrong passwords); try again after `retry_after` seconds."""

    status_code = 429
    code = "too_many_attempts"
