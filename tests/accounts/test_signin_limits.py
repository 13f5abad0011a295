"""Staff sign-in limits as rules: per address, per (address, name) and per name, each against the
attacker it is for, with the client's address read through trusted proxies."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.cache import cache
from django.test import RequestFactory

from backend.accounts.signin_limits import STAFF_SIGN_IN
from backend.audit.models import AuditEvent
from backend.common.errors import TooManyAttempts
from backend.web.services import session_sign_in
from tests import factories

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests"
PROXY = "10.0.0.2"


@pytest.fixture
def limits(settings):
    settings.STAFF_SIGNIN_MAX_FAILURES = 3
    settings.STAFF_SIGNIN_MAX_FAILURES_PER_IP = 30
    settings.STAFF_LOCKOUT_SECONDS = 600
    settings.STAFF_SIGNIN_NAME_BACKOFF_MAX_SECONDS = 300
    settings.TRUSTED_PROXIES = [f"{PROXY}/32"]
    return settings


@pytest.fixture
def colleague(db):
    return factories.UserFactory(username="wang.fang")


def from_client(address: str, *, via_proxy: bool = True, forwarded: str | None = None):
    """A sign-in request from `address`, through our reverse proxy (which appends the address it saw)."""
    if via_proxy:
        chain = f"{forwarded}, {address}" if forwarded else address
        request = RequestFactory().post("/signin/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=chain)
    else:
        request = RequestFactory().post("/signin/", REMOTE_ADDR=address,
                                        **({"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}))
    SessionMiddleware(lambda r: None).process_request(request)
    request.user = AnonymousUser()
    return request


def within_a_second(retry_afters: list[int], seconds: list[int]) -> bool:
    """Retry-After is the wait rounded up; the clock has moved a little since the lock began."""
    return len(retry_afters) == len(seconds) and all(s - 1 <= r <= s for r, s in zip(retry_afters, seconds))


def sign_in(address: str, name: str, password: str, **kwargs):
    """The user, None for a wrong password, or the TooManyAttempts refusal."""
    try:
        return session_sign_in(request=from_client(address, **kwargs), username=name, password=password)
    except TooManyAttempts as refusal:
        return refusal


# --- per address: one client guessing many names -----------------------------------------------------


def test_many_made_up_names_from_one_client_lock_that_client_not_the_others_behind_the_proxy(limits, colleague):
    # given one client behind our proxy trying 31 made-up names
    for n in range(31):
        sign_in("203.0.113.66", f"nobody{n}", "guess")
    # then that client must wait, even for a real name and the right password
    refused = sign_in("203.0.113.66", "wang.fang", PASSWORD)
    assert isinstance(refused, TooManyAttempts) and refused.extra["retry_after"] > 500
    # while another client coming through the same proxy signs in
    assert sign_in("198.51.100.7", "wang.fang", PASSWORD) == colleague
    # and the address's lock is audited once
    assert AuditEvent.objects.filter(event_type="staff.sign_in_locked", detail__locks__contains=["address"]).count() == 1


def test_a_forged_forwarded_header_neither_dodges_the_address_budget_nor_spends_others(limits, colleague):
    # given a client talking to us directly (not through the proxy), writing a new X-Forwarded-For each time
    for n in range(30):
        sign_in("198.51.100.66", f"nobody{n}", "guess", via_proxy=False, forwarded=f"203.0.113.{n}")
    # then it is counted as itself: rotating the header bought nothing
    assert isinstance(sign_in("198.51.100.66", "wang.fang", PASSWORD, via_proxy=False, forwarded="192.0.2.1"),
                      TooManyAttempts)
    # and through the proxy, forged left parts are skipped: the budget of the address it claimed is untouched,
    # while its own real address pays for the guesses
    for n in range(30):
        sign_in("203.0.113.77", f"nobody{n}", "guess", forwarded="203.0.113.5")
    assert sign_in("203.0.113.5", "wang.fang", PASSWORD) == colleague
    assert isinstance(sign_in("203.0.113.77", "wang.fang", PASSWORD, forwarded="203.0.113.5"), TooManyAttempts)


def test_ipv6_clients_count_per_64_network(limits, colleague):
    # given 30 failures, each from another address of one /64
    for n in range(30):
        sign_in(f"2001:db8:1:2::{n + 1:x}", f"nobody{n}", "guess")
    # then a further address of that /64 must wait, and another /64 need not
    assert isinstance(sign_in("2001:db8:1:2::ffff", "wang.fang", PASSWORD), TooManyAttempts)
    assert sign_in("2001:db8:1:3::1", "wang.fang", PASSWORD) == colleague


# --- per (address, name) and per name: a named colleague under attack -----------------------------------


def test_guessing_a_colleagues_password_locks_the_guesser_not_the_colleague(limits, colleague):
    # given a colleague who signs in from their own address
    assert sign_in("198.51.100.7", "wang.fang", PASSWORD) == colleague
    # when someone elsewhere guesses their password three times
    for _ in range(3):
        assert sign_in("203.0.113.66", "wang.fang", "guess") is None
    # then the guesser's address must wait long for that name, even with the right password
    guesser = sign_in("203.0.113.66", "wang.fang", PASSWORD)
    assert isinstance(guesser, TooManyAttempts) and guesser.extra["retry_after"] > 590
    # while the colleague signs in from their own address at once
    assert sign_in("198.51.100.7", "wang.fang", PASSWORD) == colleague
    # and from an address they never used, after a wait of a second or two at most
    elsewhere = sign_in("192.0.2.44", "wang.fang", PASSWORD)
    assert elsewhere == colleague or elsewhere.extra["retry_after"] <= 1
    locked = AuditEvent.objects.get(event_type="staff.sign_in_locked", target_label="wang.fang")
    assert sorted(locked.detail["locks"]) == ["name", "pair"] and locked.detail["seconds"] == 600


def test_many_addresses_guessing_one_name_meet_a_growing_but_capped_backoff(limits, colleague):
    def wait_after(failures: int) -> int:
        for n in range(failures):
            STAFF_SIGN_IN.failed(from_client(f"203.0.113.{len(seen) + n}"), "wang.fang")
        seen.extend(range(failures))
        refused = sign_in("192.0.2.44", "wang.fang", PASSWORD)
        return refused.extra["retry_after"]

    seen: list[int] = []
    # given one failure each from many addresses: from the third failure on the name backs off
    waits = [wait_after(3), wait_after(3), wait_after(3), wait_after(10)]
    # then the wait doubles with each failure (1 s, 8 s, 64 s) and stops at the cap (5 minutes)
    assert within_a_second(waits, [1, 8, 64, 300])
    # and a name's backoff never locks out an address where the name signed in before
    not_known_yet = sign_in("198.51.100.7", "wang.fang", PASSWORD)
    assert isinstance(not_known_yet, TooManyAttempts)
    STAFF_SIGN_IN.succeeded(from_client("198.51.100.7"), "wang.fang")
    assert sign_in("198.51.100.7", "wang.fang", PASSWORD) == colleague


def test_the_name_backoff_can_be_turned_off(limits, colleague):
    limits.STAFF_SIGNIN_NAME_BACKOFF_MAX_SECONDS = 0
    for n in range(20):
        sign_in(f"203.0.113.{n}", "wang.fang", "guess")
    assert sign_in("192.0.2.44", "wang.fang", PASSWORD) == colleague


def test_a_pairs_lock_doubles_each_time_it_comes_back(limits, colleague):
    limits.STAFF_SIGNIN_NAME_BACKOFF_MAX_SECONDS = 0  # only the pair's lock here
    def lock_once() -> int:
        for _ in range(3):
            sign_in("203.0.113.66", "wang.fang", "guess")
        refused = sign_in("203.0.113.66", "wang.fang", PASSWORD)
        # as if the lock had run out: its cache entry expires
        cache.delete(STAFF_SIGN_IN._pair_key(from_client("203.0.113.66"), "wang.fang") + ":until")
        return refused.extra["retry_after"]

    assert within_a_second([lock_once(), lock_once(), lock_once()], [600, 1200, 2400])
    assert list(AuditEvent.objects.filter(event_type="staff.sign_in_locked", detail__locks__contains=["pair"])
                .order_by("id").values_list("detail__seconds", flat=True)) == [600, 1200, 2400]
