"""Staff sign-in limits: wrong passwords lock a user name for a while, on the web form and the API."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from backend.audit.models import AuditEvent
from tests.web.world import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def limits(settings):
    settings.STAFF_SIGNIN_MAX_FAILURES = 3
    settings.STAFF_SIGNIN_MAX_FAILURES_PER_IP = 6
    settings.STAFF_LOCKOUT_SECONDS = 600
    return settings


def test_wrong_passwords_lock_the_user_name_even_for_the_right_password(world, limits):
    client = Client()
    # given three wrong passwords for one user name
    for _ in range(3):
        assert client.post("/signin/", {"username": "wang.fang", "password": "wrong"}).status_code == 400
    # when the right one follows
    response = client.post("/signin/", {"username": "wang.fang", "password": PASSWORD})
    # then it is refused with 429, a wait in minutes and Retry-After, and the lock is audited
    assert response.status_code == 429
    assert "try again in 10 minutes" in response.content.decode()
    assert 599 <= int(response["Retry-After"]) <= 600
    assert AuditEvent.objects.filter(event_type="staff.sign_in_locked", target_label="wang.fang").count() == 1
    assert AuditEvent.objects.filter(event_type="web.sign_in_failed", detail__reason="locked").exists()
    # and another user name from the same address still signs in (the address has failures left)
    assert client.post("/signin/", {"username": "tom.becker", "password": PASSWORD}).status_code == 302


def test_the_lock_message_is_translated(world, limits):
    client = Client()
    client.cookies["django_language"] = "zh-hans"
    for _ in range(3):
        client.post("/signin/", {"username": "wang.fang", "password": "wrong"})
    response = client.post("/signin/", {"username": "wang.fang", "password": "wrong"})
    assert response.status_code == 429 and "10 分钟后再试" in response.content.decode()


def test_a_success_clears_the_names_count(world, limits):
    client = Client()
    for _ in range(2):
        client.post("/signin/", {"username": "wang.fang", "password": "wrong"})
    assert client.post("/signin/", {"username": "wang.fang", "password": PASSWORD}).status_code == 302
    other = Client()
    for _ in range(2):  # two more: not three in a row since the success
        assert other.post("/signin/", {"username": "wang.fang", "password": "wrong"}).status_code == 400
    assert other.post("/signin/", {"username": "wang.fang", "password": PASSWORD}).status_code == 302


def test_an_address_guessing_across_names_must_wait(world, limits):
    client = Client()
    for n in range(6):
        client.post("/signin/", {"username": f"nobody{n}", "password": "wrong"})
    assert client.post("/signin/", {"username": "tom.becker", "password": PASSWORD}).status_code == 429
    elsewhere = Client(REMOTE_ADDR="10.0.0.9")
    assert elsewhere.post("/signin/", {"username": "tom.becker", "password": PASSWORD}).status_code == 302


def test_user_names_are_counted_without_case(world, limits):
    client = Client()
    for name in ("Wang.Fang", "WANG.FANG", "wang.fang"):
        client.post("/signin/", {"username": name, "password": "wrong"})
    assert client.post("/signin/", {"username": "wang.fang", "password": PASSWORD}).status_code == 429


def test_the_api_token_endpoint_counts_against_the_same_limit(world, limits):
    api = APIClient()
    # given wrong passwords through the API
    for _ in range(3):
        assert api.post("/api/auth/token/", {"username": "wang.fang", "password": "wrong"}).status_code == 400
    # then the API answers 429 with Retry-After, and the web form is locked for that name too
    response = api.post("/api/auth/token/", {"username": "wang.fang", "password": PASSWORD})
    assert response.status_code == 429 and response.json()["code"] == "too_many_attempts"
    assert 599 <= int(response["Retry-After"]) <= 600
    assert Client().post("/signin/", {"username": "wang.fang", "password": PASSWORD}).status_code == 429
    assert AuditEvent.objects.filter(event_type="api.sign_in_failed", target_label="wang.fang").count() == 4


def test_the_browsable_api_sign_in_counts_against_the_same_limit(world, limits):
    client = Client()
    for _ in range(3):
        response = client.post("/api/auth/login/", {"username": "wang.fang", "password": "wrong"})
        assert response.status_code == 200 and "_auth_user_id" not in client.session
    response = client.post("/api/auth/login/", {"username": "wang.fang", "password": PASSWORD})
    assert "Too many failed sign-ins" in response.content.decode() and "_auth_user_id" not in client.session


# -- the cache that keeps the counts is down ------------------------------------------------------

@pytest.fixture
def dead_shared_cache(settings, redis_server_factory):
    """The counts in a real Redis (CACHE_URL=redis://… as in production), which then stops."""
    from django.core.cache import caches

    server = redis_server_factory()
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": server.url(1),
                                   "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2}}}
    caches["default"].get("warm-up")
    server.stop()
    yield server
    caches["default"].close()


@pytest.mark.parametrize("path, fields, language, message", [
    ("/signin/", {"username": "wang.fang"}, "en", "Signing in is unavailable for a moment"),
    ("/signin/", {"username": "wang.fang"}, "zh-hans", "暂时无法登录"),
    ("/portal/signin/", {"email": "someone@example.com"}, "en", "Signing in is unavailable for a moment"),
])
def test_sign_in_is_refused_with_503_not_waved_through_when_the_counts_cannot_be_kept(
    world, dead_shared_cache, path, fields, language, message
):
    client = Client()
    client.cookies["django_language"] = language

    response = client.post(path, {**fields, "password": PASSWORD})

    assert response.status_code == 503
    assert message in response.content.decode()
    assert response["Retry-After"]
    assert "_auth_user_id" not in client.session


def test_the_api_token_endpoint_says_so_too(world, dead_shared_cache):
    response = APIClient().post("/api/auth/token/", {"username": "wang.fang", "password": PASSWORD})

    assert response.status_code == 503
    assert response.json()["code"] == "signin_unavailable"


def test_signed_in_users_keep_working_while_the_cache_is_down(world, dead_shared_cache):
    from backend.accounts.models import User

    client = Client()
    client.force_login(User.objects.get(username="wang.fang"))

    assert client.get("/").status_code == 200


# -- behind a reverse proxy, and a colleague under attack -------------------------------------------

PROXY = "10.0.0.2"


@pytest.fixture
def behind_proxy(settings):
    settings.TRUSTED_PROXIES = [f"{PROXY}/32"]
    return settings


def through_proxy(forwarded_for: str) -> Client:
    """A browser reaching us through our reverse proxy, which sends what it saw in X-Forwarded-For."""
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded_for)


def test_behind_a_trusted_proxy_one_client_guessing_names_does_not_lock_out_the_others(world, behind_proxy):
    # given the default budget (30 failures per address) and one client behind our proxy
    attacker = through_proxy("203.0.113.66")
    # when it tries 31 made-up names
    for n in range(31):
        attacker.post("/signin/", {"username": f"made.up.{n}", "password": "guess"})
    # then it must wait, even with a real name and the right password
    assert attacker.post("/signin/", {"username": "tom.becker", "password": PASSWORD}).status_code == 429
    # while colleagues whose browsers come through the same proxy sign in
    assert through_proxy("198.51.100.7").post("/signin/", {"username": "wang.fang", "password": PASSWORD}).status_code == 302
    assert through_proxy("198.51.100.8").post("/signin/", {"username": "tom.becker", "password": PASSWORD}).status_code == 302


def test_a_forged_x_forwarded_for_counts_for_nothing(world, limits, behind_proxy):
    # given a client talking to us directly (it is no proxy of ours), naming another address each time
    for n in range(6):
        Client(REMOTE_ADDR="198.51.100.66", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").post(
            "/signin/", {"username": f"made.up.{n}", "password": "guess"})
    # then it is counted as itself and must wait, whichever address it claims next
    assert Client(REMOTE_ADDR="198.51.100.66", HTTP_X_FORWARDED_FOR="192.0.2.1").post(
        "/signin/", {"username": "tom.becker", "password": PASSWORD}).status_code == 429
    # given a client coming through our proxy, claiming to be someone else in front of what the proxy saw
    for n in range(6):
        through_proxy("198.51.100.99, 203.0.113.66").post("/signin/", {"username": f"made.up.{n}", "password": "guess"})
    # then its own address pays: it must wait, while the address it claimed signs in
    assert through_proxy("198.51.100.99, 203.0.113.66").post(
        "/signin/", {"username": "tom.becker", "password": PASSWORD}).status_code == 429
    assert through_proxy("198.51.100.99").post("/signin/", {"username": "tom.becker", "password": PASSWORD}).status_code == 302


def test_the_audit_trail_has_the_clients_address_behind_the_proxy_and_the_peers_otherwise(world, behind_proxy):
    # when one wrong password comes through our proxy (behind a forged left part), one from a direct
    # peer claiming an address, and one right password through the proxy
    through_proxy("6.6.6.6, 203.0.113.9").post("/signin/", {"username": "made.up.a", "password": "guess"})
    Client(REMOTE_ADDR="198.51.100.66", HTTP_X_FORWARDED_FOR="203.0.113.10").post(
        "/signin/", {"username": "made.up.b", "password": "guess"})
    through_proxy("198.51.100.7").post("/signin/", {"username": "wang.fang", "password": PASSWORD})
    # then each event carries the address of the person, never the proxy's or a claimed one
    failed = dict(AuditEvent.objects.filter(event_type="web.sign_in_failed").values_list("target_label", "ip"))
    assert failed == {"made.up.a": "203.0.113.9", "made.up.b": "198.51.100.66"}
    assert AuditEvent.objects.get(event_type="web.signed_in").ip == "198.51.100.7"


def test_a_colleague_attacked_from_other_addresses_still_signs_in_from_their_own(world, limits, behind_proxy):
    # given wang.fang signed in from their desk before
    desk = "198.51.100.7"
    assert through_proxy(desk).post("/signin/", {"username": "wang.fang", "password": PASSWORD}).status_code == 302
    # when three other addresses try their name four times each
    for n in range(3):
        for _ in range(4):
            through_proxy(f"203.0.113.{n}").post("/signin/", {"username": "wang.fang", "password": "guess"})
    # then the first guesser's address is locked out of that name for the whole lockout (the others
    # meet the name's backoff), and the lock is audited with the guesser's address
    assert int(through_proxy("203.0.113.0").post(
        "/signin/", {"username": "wang.fang", "password": PASSWORD})["Retry-After"]) >= 590
    locked = AuditEvent.objects.get(event_type="staff.sign_in_locked", target_label="wang.fang")
    assert locked.ip == "203.0.113.0" and sorted(locked.detail["locks"]) == ["name", "pair"]
    # while the colleague signs in from their desk at once
    assert through_proxy(desk).post("/signin/", {"username": "wang.fang", "password": PASSWORD}).status_code == 302
    # and from a place they never used, after the name's short backoff at most (not the lockout)
    elsewhere = through_proxy("192.0.2.44").post("/signin/", {"username": "wang.fang", "password": PASSWORD})
    assert elsewhere.status_code == 302 or int(elsewhere["Retry-After"]) <= 300
