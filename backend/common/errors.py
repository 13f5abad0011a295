"""Typed domain errors. Services raise these; one exception handler maps them to HTTP.

400 bad input, 404 not visible (or missing: the two look the same), 409 conflict,
411 length required, 413 too large, 415 type not allowed, 422 idempotency key reused, 503 backend down.

Each error states its HTTP status, its stable code and its default message in its class line:
`class Gone(DomainError, status=410, code="gone")`.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status_code = 400
    code = "invalid"
    default_message = "The request is invalid."

    def __init_subclass__(cls, *, status: int | None = None, code: str | None = None, message: str | None = None,
                          **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if status is not None:
            cls.status_code = status
        if code is not None:
            cls.code = code
        if message is not None:
            cls.default_message = message

    def __init__(self, message: str | None = None, **extra: Any) -> None:
        self.message = message or self.default_message
        self.extra = extra
        super().__init__(self.message)


class InvalidInput(DomainError, status=400, code="invalid"):
    """Bad input; `fields` names what is wrong with each field."""


class NotFound(DomainError, status=404, code="not_found", message="Not found."):
    """Raised for missing *and* for not-visible objects, so ids reveal nothing."""


class PermissionDenied(NotFound, code="not_found"):
    """The caller may not do this. Rendered as 404, identical to a missing object."""


class CsrfFailed(DomainError, status=403, code="csrf_failed", message="CSRF check failed."):
    """A session-authenticated API call without a valid CSRF token. 403, not the 404 of "forbidden": the
    caller may well have access; the request itself is refused."""


class Conflict(DomainError, status=409, code="conflict", message="The request conflicts with the current state."):
    """The request contradicts what is stored now (a duplicate, a state that moved on)."""


class FourEyesRequired(DomainError, status=403, code="four_eyes_required",
                       message="Another person must approve: you uploaded this version."):
    """The four-eyes rule of the document's classification: whoever uploaded a version may not approve it.
    403, not the 404 of "forbidden": the caller may see and change the document; another person must act."""


class VersionLocked(Conflict, code="locked", message="The document is checked out by someone else."):
    """Someone else holds the document's check-out lock."""


class UnderLegalHold(Conflict, code="legal_hold", message="This document is under a legal hold: it cannot be deleted, purged or lose a version until compliance lifts the hold."):
    """A legal hold covers the document (backend/documents/holds.py); the body names the holds (`holds`)."""


class IdempotencyKeyReused(DomainError, status=422, code="idempotency_key_reused",
                           message="This Idempotency-Key was already used for a different request."):
    """An Idempotency-Key sent again with a different request: answering with the first result would
    silently drop the second. The body names the key (`key`)."""


class LengthRequired(DomainError, status=411, code="length_required",
                     message="A Content-Length header is required for a raw upload."):
    """A raw upload without its length."""


class FileTooLarge(DomainError, status=413, code="too_large", message="The file is larger than the upload limit."):
    """The upload is over the size limit."""


class UnsupportedFileType(DomainError, status=415, code="unsupported_type", message="This file type is not allowed."):
    """The sniffed content type is not on the allowed list."""


class BackendUnavailable(DomainError, status=503, code="backend_unavailable",
                         message="A backend service is unavailable. Nothing was saved; please retry."):
    """A backend service (the store, the search engine) is down; nothing was saved."""


class Gone(DomainError, status=410, code="gone"):
    """Something that existed and is over: a used or expired invitation link, an expired share."""


class SignInUnavailable(DomainError, status=503, code="signin_unavailable",
                        message="Signing in is unavailable for a moment. Please try again shortly."):
    """The sign-in limits cannot be counted (their cache is down): sign-in is refused for now rather
    than let passwords be tried without limit. Signed-in sessions and API tokens keep working."""


class TooManyAttempts(DomainError, status=429, code="too_many_attempts"):
    """Too many failed attempts (e.g. wrong passwords); try again after `retry_after` seconds."""
