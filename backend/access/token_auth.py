"""API token authentication with the token's query compiled once per process.

DRF's TokenAuthentication builds and compiles `Token.objects.select_related("user").get(key=...)`
on every API request: about 1.2 ms of Django for a query PostgreSQL answers in 0.1 ms. This is the
same lookup (the token and its user, one query), compiled once with a placeholder key and rerun
with the real one (backend.common.prepared). The answers and messages are DRF's own.
"""

from __future__ import annotations

from functools import lru_cache

from django.db import router
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from backend.common.prepared import PreparedModelQuery

_KEY_PLACEHOLDER = "\x00dossier-token-key\x00"  # never a real key (keys are 40 hex digits)


@lru_cache(maxsize=8)
def _token_query(using: str) -> PreparedModelQuery:
    queryset = Token.objects.select_related("user").filter(key=_KEY_PLACEHOLDER).order_by()[:1]
    return PreparedModelQuery(queryset, {_KEY_PLACEHOLDER: "key"}, using=using, required=["key"])


class PreparedTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key):
        if "\x00" in key:  # PostgreSQL text cannot hold NUL: no key has one
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        found = _token_query(router.db_for_read(Token)).instances({"key": key})
        if not found:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        token = found[0]
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return (token.user, token)
