"""How many wrong passwords may be tried, from where and for which name, before someone must wait.

    STAFF_SIGN_IN.check(request, "wang.fang")           # raises TooManyAttempts (429) while it must wait
    new_lock = STAFF_SIGN_IN.failed(request, "wang.fang")   # a Lock when this failure started one
    STAFF_SIGN_IN.succeeded(request, "wang.fang")

The address is the client's, read through the reverse proxies in TRUSTED_PROXIES
(backend.common.client_address); IPv6 clients count per /64 network, the block one subscriber gets,
so rotating addresses inside it buys nothing. Names are compared without case and stored hashed.

Three counts, because the three attackers want different answers:

1. **Per address** (any name): STAFF_SIGNIN_MAX_FAILURES_PER_IP failures within STAFF_LOCKOUT_SECONDS
   lock the address for STAFF_LOCKOUT_SECONDS. One address guessing many names (or one name) is stopped.
   This is why the client's own address matters: behind an untrusted proxy everyone shares one.
2. **Per (address, name)**: STAFF_SIGNIN_MAX_FAILURES failures for one name from one address within
   STAFF_LOCKOUT_SECONDS lock that pair for STAFF_LOCKOUT_SECONDS, doubling for each further lock of the
   pair within a day (at most a day). This is the hard lock of a name — but only where the guessing
   happens, so someone who guesses a colleague's password from their desk locks out themselves, not
   the colleague. A success from the pair clears its count.
3. **Per name** (failures from every address): from STAFF_SIGNIN_MAX_FAILURES on, each failure makes
   the name wait before the next attempt: 1 s, doubling, at most STAFF_SIGNIN_NAME_BACKOFF_MAX_SECONDS
   (5 min; 0 turns it off). It slows many addresses guessing one name to a few guesses an hour, and is
   only a soft, short wait: it never applies to an address from which that name signed in within
   STAFF_SIGNIN_KNOWN_ADDRESS_SECONDS (30 days), so a colleague under attack from elsewhere still signs
   in from their usual place at once, and from a new place after at most the backoff. The name's
   count is forgotten after STAFF_LOCKOUT_SECONDS (at least the backoff) without a failure; a success
   does not clear it (else the victim's success would reset a distributed guesser's backoff).

A refusal because something must wait is not counted again; only wrong passwords are. The locks
are audited (staff.sign_in_locked, with which counts locked).

Counts live in Django's cache: with CACHE_URL set to Redis every process shares them; the default
file cache is shared by one machine's processes. A cache that cannot be reached refuses sign-ins
(503) rather than let passwords be tried without a count.

The portal uses the same three counts with its own settings (PORTAL_SIGN_IN), keyed by the e-mail
address typed, so an address that has no account is counted and locked exactly like one that has
(see sharing.portal_accounts.portal_sign_in).
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache

from backend.common.client_address import client_ip
from backend.common.errors import SignInUnavailable, TooManyAttempts

logger = logging.getLogger(__name__)

NAME_BACKOFF_FIRST_SECONDS = 1
PAIR_LOCK_MAX_SECONDS = 24 * 3600
PAIR_STRIKES_WINDOW_SECONDS = 24 * 3600
IPV6_PREFIX = 64


def _cache(operation: Callable[..., Any], *args, **kwargs) -> Any:
    """A cache call; a cache that cannot be reached refuses the sign-in (503), it never waves it through."""
    try:
        return operation(*args, **kwargs)
    except ValueError:
        raise
    except Exception as exc:  # noqa: BLE001 - each cache backend has errors of its own (redis, files)
        logger.warning("sign-in limits unavailable: %s", exc)
        raise SignInUnavailable() from exc


def limited_address(request) -> str:
    """What the limits count as one address: the client's, an IPv6 client's /64 network."""
    address = client_ip(request)
    if address is None:
        return "-"
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/{IPV6_PREFIX}", strict=False))
    return str(address)


def locked_error(seconds: float) -> TooManyAttempts:
    """429 for a wait of `seconds`: Retry-After in whole seconds, the message in minutes (both rounded up)."""
    seconds = max(1, math.ceil(seconds))
    minutes = max(1, math.ceil(seconds / 60))
    return TooManyAttempts(f"Too many failed sign-ins. Try again in {minutes} minute(s).",
                           retry_after=seconds, minutes=minutes)


@dataclass(frozen=True)
class Lock:
    """What one failure locked: `scopes` among "address", "pair", "name"; for `seconds` (the longest)."""

    scopes: tuple[str, ...]
    seconds: int


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:32]


def _normalized(name: str) -> str:
    return (name or "").strip().lower()


def _remaining(key: str) -> float:
    until = _cache(cache.get, key)
    return max(0.0, float(until) - time.time()) if until else 0.0


def _lock(key: str, seconds: float) -> None:
    _cache(cache.set, key, time.time() + seconds, timeout=math.ceil(seconds) + 1)


def _count(key: str, window: int, *, sliding: bool = False) -> int:
    """Add one failure to `key`; it is forgotten `window` seconds after the first (or, sliding, the last)."""
    _cache(cache.add, key, 0, timeout=window)
    try:
        count = _cache(cache.incr, key)
    except ValueError:  # expired between add and incr
        _cache(cache.set, key, 1, timeout=window)
        return 1
    if sliding:
        _cache(cache.touch, key, window)
    return count


@dataclass(frozen=True)
class SignInLimit:
    scope: str
    max_failures_setting: str  # per (address, name); and where a name starts to back off
    max_per_address_setting: str
    lockout_setting: str
    name_backoff_max_setting: str | None = None
    known_address_setting: str | None = None

    # -- settings --------------------------------------------------------------------------------

    @property
    def lockout_seconds(self) -> int:
        return int(getattr(settings, self.lockout_setting))

    @property
    def max_failures(self) -> int:
        return int(getattr(settings, self.max_failures_setting))

    @property
    def max_per_address(self) -> int:
        return int(getattr(settings, self.max_per_address_setting))

    @property
    def name_backoff_max(self) -> int:
        return int(getattr(settings, self.name_backoff_max_setting, 0)) if self.name_backoff_max_setting else 0

    @property
    def known_address_seconds(self) -> int:
        return int(getattr(settings, self.known_address_setting, 0)) if self.known_address_setting else 0

    # -- keys ------------------------------------------------------------------------------------

    def _key(self, kind: str, *parts: str) -> str:
        return f"signin:{self.scope}:{kind}:{_digest(*parts)}"

    def _address_key(self, request) -> str:
        return self._key("address", limited_address(request))

    def _pair_key(self, request, name: str) -> str:
        return self._key("pair", limited_address(request), _normalized(name))

    def _name_key(self, name: str) -> str:
        return self._key("name", _normalized(name))

    def _known_key(self, request, name: str) -> str:
        return self._key("known", limited_address(request), _normalized(name))

    # -- reading ---------------------------------------------------------------------------------

    def address_wait(self, request) -> float:
        return _remaining(self._address_key(request) + ":until")

    def address_blocked(self, request) -> bool:
        return self.address_wait(request) > 0

    def pair_wait(self, request, name: str) -> float:
        return _remaining(self._pair_key(request, name) + ":until")

    def name_wait(self, request, name: str) -> float:
        if not self.name_backoff_max:
            return 0.0
        wait = _remaining(self._name_key(name) + ":until")
        if wait and self.known_address_seconds and _cache(cache.get, self._known_key(request, name)):
            return 0.0
        return wait

    def wait(self, request, name: str) -> float:
        """Seconds this address must wait before trying this name (0: it may try now)."""
        return max(self.address_wait(request), self.pair_wait(request, name), self.name_wait(request, name))

    def check(self, request, name: str) -> None:
        """Raise TooManyAttempts while the address, the (address, name) pair or the name must wait."""
        wait = self.wait(request, name)
        if wait > 0:
            raise locked_error(wait)

    # -- writing ---------------------------------------------------------------------------------

    def failed_address(self, request) -> Lock | None:
        """Count a failure against the address alone; a Lock when this one used up its budget."""
        key = self._address_key(request)
        count = _count(key, self.lockout_seconds)
        if count < self.max_per_address:
            return None
        _lock(key + ":until", self.lockout_seconds)
        return Lock(("address",), self.lockout_seconds) if count == self.max_per_address else None

    def failed(self, request, name: str) -> Lock | None:
        """Count a wrong password against the address, the pair and the name; the locks it started."""
        locks: list[Lock] = []
        if (address_lock := self.failed_address(request)) is not None:
            locks.append(address_lock)
        pair = self._pair_key(request, name)
        if _count(pair, self.lockout_seconds) >= self.max_failures:  # the count starts afresh after a lock
            strikes = _count(pair + ":strikes", PAIR_STRIKES_WINDOW_SECONDS, sliding=True)
            seconds = max(self.lockout_seconds,
                          min(PAIR_LOCK_MAX_SECONDS, self.lockout_seconds * 2 ** min(strikes - 1, 16)))
            _lock(pair + ":until", seconds)
            _cache(cache.delete, pair)
            locks.append(Lock(("pair",), seconds))
        if self.name_backoff_max:
            key = self._name_key(name)
            count = _count(key, max(self.lockout_seconds, self.name_backoff_max), sliding=True)
            if count >= self.max_failures:
                seconds = min(self.name_backoff_max,
                              NAME_BACKOFF_FIRST_SECONDS * 2 ** min(count - self.max_failures, 30))
                _lock(key + ":until", seconds)
                if count == self.max_failures:
                    locks.append(Lock(("name",), seconds))
        if not locks:
            return None
        return Lock(tuple(scope for lock in locks for scope in lock.scopes), max(lock.seconds for lock in locks))

    def succeeded(self, request, name: str) -> None:
        """Clear the pair's count and remember the address as one this name signs in from."""
        _cache(cache.delete, self._pair_key(request, name))
        if self.known_address_seconds:
            _cache(cache.set, self._known_key(request, name), 1, timeout=self.known_address_seconds)


STAFF_SIGN_IN = SignInLimit("staff", "STAFF_SIGNIN_MAX_FAILURES", "STAFF_SIGNIN_MAX_FAILURES_PER_IP",
                            "STAFF_LOCKOUT_SECONDS", "STAFF_SIGNIN_NAME_BACKOFF_MAX_SECONDS",
                            "STAFF_SIGNIN_KNOWN_ADDRESS_SECONDS")
PORTAL_SIGN_IN = SignInLimit("portal", "PORTAL_SIGNIN_MAX_FAILURES", "PORTAL_SIGNIN_MAX_FAILURES_PER_IP",
                             "PORTAL_LOCKOUT_SECONDS", "PORTAL_SIGNIN_NAME_BACKOFF_MAX_SECONDS",
                             "PORTAL_SIGNIN_KNOWN_ADDRESS_SECONDS")
