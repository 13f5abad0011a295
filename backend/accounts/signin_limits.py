"""How many wrong passwords a sign-in name, and a network address, may try before they must wait.

    STAFF_SIGN_IN.check(request, "wang.fang")      # raises TooManyAttempts (429) while locked
    locked_now = STAFF_SIGN_IN.failed(request, "wang.fang")
    STAFF_SIGN_IN.succeeded("wang.fang")

Counts live in Django's cache for `lockout_seconds` from the first failure: with CACHE_URL set to
Redis every process shares them; the default in-process cache counts per process (so a limit is
per process there). A success clears the name's count, not the address's: one office behind one
address may mistype, but not guess on and on. Names are compared without case and stored hashed.

The portal locks accounts in the database (PortalAccount.locked_until, audited) and uses only the
per-address limit from here; staff sign-in (the web form, the API's token and browsable-API
sign-in) uses both.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import Any
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from backend.common.errors import SignInUnavailable, TooManyAttempts

logger = logging.getLogger(__name__)


def _cache(operation: Callable[..., Any], *args, **kwargs) -> Any:
    """A cache call; a cache that cannot be reached refuses the sign-in (503), it never waves it through."""
    try:
        return operation(*args, **kwargs)
    except ValueError:
        raise
    except Exception as exc:  # noqa: BLE001 - each cache backend has errors of its own (redis, files)
        logger.warning("sign-in limits unavailable: %s", exc)
        raise SignInUnavailable() from exc


def _address(request) -> str:
    return (getattr(request, "META", {}).get("REMOTE_ADDR") or "-")[:64]


def locked_error(seconds: float) -> TooManyAttempts:
    minutes = max(1, int((seconds + 59) // 60))
    return TooManyAttempts(f"Too many failed sign-ins. Try again in {minutes} minute(s).",
                           retry_after=int(seconds) + 1, minutes=minutes)


@dataclass(frozen=True)
class SignInLimit:
    scope: str
    max_failures_setting: str  # per name
    max_per_address_setting: str
    lockout_setting: str

    @property
    def lockout_seconds(self) -> int:
        return int(getattr(settings, self.lockout_setting))

    def _name_key(self, name: str) -> str:
        digest = hashlib.sha256((name or "").strip().lower().encode()).hexdigest()[:32]
        return f"signin-failures:{self.scope}:name:{digest}"

    def _address_key(self, request) -> str:
        return f"signin-failures:{self.scope}:address:{_address(request)}"

    def address_blocked(self, request) -> bool:
        return (_cache(cache.get, self._address_key(request)) or 0) >= int(
            getattr(settings, self.max_per_address_setting))

    def name_blocked(self, name: str) -> bool:
        return (_cache(cache.get, self._name_key(name)) or 0) >= int(getattr(settings, self.max_failures_setting))

    def check(self, request, name: str) -> None:
        """Raise TooManyAttempts while the address or the name has used up its failures."""
        if self.address_blocked(request) or self.name_blocked(name):
            raise locked_error(self.lockout_seconds)

    def _count(self, key: str) -> int:
        _cache(cache.add, key, 0, timeout=self.lockout_seconds)
        try:
            return _cache(cache.incr, key)
        except ValueError:  # expired between add and incr
            _cache(cache.set, key, 1, timeout=self.lockout_seconds)
            return 1

    def failed_address(self, request) -> None:
        self._count(self._address_key(request))

    def failed(self, request, name: str) -> bool:
        """Count a failure for the address and the name; True when this one locked the name."""
        self.failed_address(request)
        return self._count(self._name_key(name)) == int(getattr(settings, self.max_failures_setting))

    def succeeded(self, name: str) -> None:
        _cache(cache.delete, self._name_key(name))


STAFF_SIGN_IN = SignInLimit("staff", "STAFF_SIGNIN_MAX_FAILURES", "STAFF_SIGNIN_MAX_FAILURES_PER_IP",
                            "STAFF_LOCKOUT_SECONDS")
PORTAL_SIGN_IN = SignInLimit("portal", "PORTAL_SIGNIN_MAX_FAILURES", "PORTAL_SIGNIN_MAX_FAILURES_PER_IP",
                             "PORTAL_LOCKOUT_SECONDS")
