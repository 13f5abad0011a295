"""Small pieces every API module shares."""

from __future__ import annotations

from rest_framework import authentication, exceptions, parsers, serializers
from rest_framework.response import Response

from backend.common.errors import CsrfFailed, InvalidInput

# The largest id a request may name: a signed 64-bit integer, what every database and search engine we
# use can compare. Larger numbers in a query string or a body are a 400 on their field, never a 500.
MAX_ID = 2**63 - 1


class UserRefSerializer(serializers.Serializer):
    """A person as the API shows them inside other records."""

    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField(source="__str__")


def validated(serializer_class, data) -> dict:
    """Parse input with an input serializer; DRF's ValidationError becomes a 400 with field messages."""
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def paged(view, queryset) -> Response:
    """One page of `queryset` (the view's pagination class), rendered with the view's serializer_class."""
    page = view.paginate_queryset(queryset)
    return view.get_paginated_response(view.serializer_class(page, many=True).data)


def query_id(params, name: str) -> int | None:
    """An id from the query string (None when absent); 400 naming the parameter for anything but 1..MAX_ID."""
    raw = params.get(name, "").strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_ID:
        raise InvalidInput(f"{name} must be an id.", fields={name: [f"Give a whole number from 1 to {MAX_ID}."]})
    return int(raw)


def query_text(params, name: str) -> str:
    """Text from the query string, stripped; 400 naming the parameter if it holds a NUL character
    (which PostgreSQL cannot store or compare)."""
    value = params.get(name, "").strip()
    if "\x00" in value:
        raise InvalidInput(f"{name} contains a NUL character.", fields={name: ["Null characters are not allowed."]})
    return value


class SessionAuthentication(authentication.SessionAuthentication):
    """DRF's session authentication; a failed CSRF check is a 403 in the API's error shape (CsrfFailed),
    not the 404 every other refusal gets."""

    def enforce_csrf(self, request):
        try:
            super().enforce_csrf(request)
        except exceptions.PermissionDenied as exc:
            raise CsrfFailed(str(exc.detail)) from None


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser; a body nested too deeply for Python's parser is a 400, not a RecursionError."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError("JSON parse error - the body is nested too deeply.") from None
