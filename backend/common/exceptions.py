"""The one place where errors become HTTP responses for the API.

Body shape for every error: {"detail": "<human message>", "code": "<stable code>", ...extra}.
Validation errors keep DRF's field-level shape under "fields".
"""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent, TooManyFilesSent
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from django.views import csrf as django_csrf
from django.views import defaults as django_defaults
from django.utils.translation import gettext as _
from rest_framework import exceptions as drf_exceptions
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_default_handler

from backend.common.errors import DomainError

logger = logging.getLogger(__name__)


def _body(message: str, code: str, **extra) -> dict:
    return {"detail": message, "code": code, **extra}


def _summarise(detail, prefix: str = "") -> str:
    """One readable sentence from DRF's nested field errors: "title: This field is required." """
    if isinstance(detail, dict):
        parts = []
        for field, errors in detail.items():
            label = "" if field == "non_field_errors" else f"{prefix}{field}"
            parts.append(_summarise(errors, f"{label}." if label else ""))
        return " ".join(part for part in parts if part) or "The request is invalid."
    if isinstance(detail, list):
        messages = [_summarise(item, prefix) for item in detail]
        return " ".join(messages)
    label = prefix.rstrip(".")
    return f"{label}: {detail}" if label else str(detail)


def outage_body(exc: BaseException | None) -> dict | None:
    """The 503 body for an exception that means the database is out of reach, or None for anything
    else. A database error other than a lost or refused connection (a constraint,
    bad SQL) is a bug and stays a 500."""
    if isinstance(exc, (OperationalError, InterfaceError)) or (
        isinstance(exc, DatabaseError) and "connection" in str(exc).lower()
    ):
        logger.warning("database unavailable: %s", " ".join(str(exc).split())[:300])
        return _body(_("The database is unavailable. Nothing was saved; please try again in a moment."),
                     "database_unavailable")
    return None


def suspicious_request_body(exc: BaseException | None) -> tuple[int, dict] | None:
    """(status, body) for a request Django refuses to parse: too many fields or files, too large a body."""
    if isinstance(exc, RequestDataTooBig):
        return status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, _body(
            _("The request body is larger than the server accepts."), "too_large")
    if isinstance(exc, (TooManyFieldsSent, TooManyFilesSent)):
        return status.HTTP_400_BAD_REQUEST, _body(
            _("The request has too many fields or files."), "too_many_fields")
    if isinstance(exc, SuspiciousOperation):
        return status.HTTP_400_BAD_REQUEST, _body(_("The request cannot be read."), "bad_request")
    return None


def bad_request(request, exception=None, *args, **kwargs):
    """Django's handler400: JSON in the API's error shape under /api/, Django's page elsewhere."""
    refused = suspicious_request_body(exception) or (
        status.HTTP_400_BAD_REQUEST, _body(_("The request cannot be read."), "bad_request"))
    if request.path.startswith("/api/"):
        return JsonResponse(refused[1], status=refused[0])
    return django_defaults.bad_request(request, exception, *args, **kwargs)


def csrf_failure(request, reason: str = "", **kwargs):
    """Django's CSRF_FAILURE_VIEW: 403 in the API's error shape under /api/, Django's page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse(_body(_("CSRF check failed: %(reason)s") % {"reason": reason}, "csrf_failed"),
                            status=status.HTTP_403_FORBIDDEN)
    return django_csrf.csrf_failure(request, reason=reason, **kwargs)


def _coded_error_response(exc, context) -> Response | None:
    """An error of a layer below Django that says what it means over HTTP (the object stores':
    storage.errors): `status_code`, a stable `code` and the `message` shown for it. A client error
    shows its own text; a server-side one only the message (its text may name internals)."""
    http_status, code = getattr(exc, "status_code", None), getattr(exc, "code", None)
    if isinstance(exc, drf_exceptions.APIException) or not isinstance(http_status, int) or not isinstance(code, str):
        return None
    message = getattr(exc, "message", "") or str(exc)
    if http_status >= 500:
        logger.warning("%s in %s: %s", type(exc).__name__, context.get("view"), exc)
        return Response(_body(message, code), status=http_status)
    return Response(_body(str(exc) or message, code), status=http_status)


def api_exception_handler(exc, context):
    refused = suspicious_request_body(exc)
    if refused is not None:
        return Response(refused[1], status=refused[0])
    outage = outage_body(exc)
    if outage is not None:
        response = Response(outage, status=status.HTTP_503_SERVICE_UNAVAILABLE)
        response["Retry-After"] = "30"
        return response
    if isinstance(exc, DomainError):
        response = Response(_body(exc.message, exc.code, **exc.extra), status=exc.status_code)
        if "retry_after" in exc.extra:
            response["Retry-After"] = str(exc.extra["retry_after"])
        return response
    coded = _coded_error_response(exc, context)
    if coded is not None:
        return coded
    if isinstance(exc, (Http404, DjangoPermissionDenied, drf_exceptions.PermissionDenied)):
        # Forbidden and missing look the same.
        return Response(_body("Not found.", "not_found"), status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, drf_exceptions.ValidationError):
        return Response(
            _body(_summarise(exc.detail), "invalid", fields=exc.detail),
            status=status.HTTP_400_BAD_REQUEST,
        )
    response = drf_default_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and "detail" in response.data:
        code = getattr(exc, "default_code", "error")
        if hasattr(exc, "get_codes"):
            codes = exc.get_codes()
            code = codes if isinstance(codes, str) else code
        response.data = _body(str(response.data["detail"]), code)
    return response
