"""The OpenAPI schema says which errors each operation can answer, and in which shape.

Every error the API sends is `{"detail": "<message>", "code": "<stable code>", ...}` (validation
errors add `fields`; some add more, e.g. `key` for a reused Idempotency-Key). drf-spectacular
describes the successful answers from the views; this post-processing hook adds the error answers the
exception handler (backend/common/exceptions.py) really gives, so clients and the schemathesis run in
the suite can rely on the schema for every status code.
"""

from __future__ import annotations

from drf_spectacular import authentication, openapi
from rest_framework.generics import GenericAPIView

ERROR_COMPONENT = "Error"

ERROR_SCHEMA = {
    "type": "object",
    "description": "Every error answer: a message for people, a stable code for programs, and sometimes more.",
    "properties": {
        "detail": {"type": "string", "description": "What went wrong, for people"},
        "code": {"type": "string", "description": "A stable code, e.g. invalid, not_found, conflict, too_large"},
        "fields": {
            "type": "object",
            "additionalProperties": True,
            "description": "400 only: messages per field (nested fields as a.b or lines.0.quantity)",
        },
    },
    "required": ["detail", "code"],
    "additionalProperties": True,
}

_EVERY_OPERATION = {
    "400": "The request or one of its parameters cannot be used (`fields` names them)",
    "401": "No credentials, or a token that is not valid",
    "403": "A session-authenticated call without a valid CSRF token (code csrf_failed)",
    "404": "Not found, or not visible to you: the two look the same",
    "503": "A backend (database, document store, search engine) is unavailable; retry later",
}
_WRITES = {
    "409": "Conflicts with the current state (e.g. checked out by someone else, a duplicate)",
}
_UPLOADS = {
    "411": "A raw-body upload without Content-Length",
    "413": "Larger than the upload limit",
    "415": "A file type that is not allowed (detected from the content)",
    "422": "An Idempotency-Key already used for a different request (code idempotency_key_reused, `key`)",
}
_DOWNLOADS = {
    "416": "The Range asks for bytes outside the file (Content-Range gives the size)",
}
_SIGN_IN = {
    "429": "Too many failed attempts; retry after the Retry-After seconds",
}
_UPLOAD_MEDIA = ("multipart/form-data", "application/octet-stream")


def _error_response(description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}}},
    }


def document_error_responses(result, generator, request, public):
    """drf-spectacular POSTPROCESSING_HOOKS entry: add the error answers to every operation."""
    result.setdefault("components", {}).setdefault("schemas", {})[ERROR_COMPONENT] = ERROR_SCHEMA
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            errors = dict(_EVERY_OPERATION)
            if method in ("post", "put", "patch", "delete"):
                errors.update(_WRITES)
            body_types = set((operation.get("requestBody") or {}).get("content", {}))
            if body_types & set(_UPLOAD_MEDIA) and "octet-stream" in " ".join(body_types):
                errors.update(_UPLOADS)
            if path.endswith("/download/"):
                errors.update(_DOWNLOADS)
            if path.startswith("/api/auth/"):
                errors.update(_SIGN_IN)
            responses = operation["responses"]
            for status, description in errors.items():
                existing = responses.get(status)
                if existing is None or "content" not in existing:
                    responses[status] = _error_response(
                        (existing or {}).get("description") or description)
    return result


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's, knowing our list views: a GET on a GenericAPIView with a paginator is a paginated
    list (they call paginate_queryset themselves, which drf-spectacular cannot see). A view that lists
    without pages sets pagination_class = None."""

    def _is_list_view(self, serializer=None) -> bool:
        if (
            self.method == "GET"
            and isinstance(self.view, GenericAPIView)
            and getattr(self.view, "pagination_class", None) is not None
        ):
            return True
        return super()._is_list_view(serializer)

    def _get_filter_parameters(self):
        # Only views with a FilterSet filter through django-filter; the others read their few parameters
        # themselves (and document them with extend_schema).
        if getattr(self.view, "filterset_class", None) is None:
            return []
        return super()._get_filter_parameters()


class SessionScheme(authentication.SessionScheme):
    """Our SessionAuthentication (DRF's, with CSRF failures in the error shape) is a cookie session."""

    target_class = "backend.common.api.SessionAuthentication"
