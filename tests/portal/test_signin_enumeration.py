"""The portal's sign-in does not tell which e-mail addresses have an account: an unknown address
costs the same password hashing and is refused, and locked, exactly like a known one."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.portal.counting_hasher import CountingPasswordHasher
from tests.portal_factories import portal_user

pytestmark = pytest.mark.django_db

KNOWN = "alice@jinggong.example.com"
UNKNOWN = "nobody@jinggong.example.com"
INVITED = "invited@jinggong.example.com"


@pytest.fixture
def hasher(settings):
    settings.PASSWORD_HASHERS = ["tests.portal.counting_hasher.CountingPasswordHasher"]
    CountingPasswordHasher.computed = 0
    return CountingPasswordHasher


@pytest.fixture
def invited(world):
    return portal_user(world.a, email=INVITED, name="Invited Ivy", active=False)


def sign_in(email: str, password: str, address: str = "198.51.100.7"):
    return Client(REMOTE_ADDR=address).post(reverse("portal:signin"), {"email": email, "password": password})


def test_every_e_mail_address_costs_one_password_hash(world, invited, hasher):
    attempts = [(KNOWN, "wrong", 400), (KNOWN, "portal-pass-42", 302), (UNKNOWN, "portal-pass-42", 400),
                (INVITED, "portal-pass-42", 400), ("staffer@dossier.example.com", "pw-for-tests", 400)]
    hashed = []
    for email, password, status in attempts:
        # when one sign-in is tried
        hasher.computed = 0
        response = sign_in(email, password)
        assert response.status_code == status
        hashed.append(hasher.computed)
    # then the password was hashed exactly once each time, whether an account has that address or not
    assert hashed == [1, 1, 1, 1, 1]


def page(response, email: str) -> str:
    """The page as a visitor sees it, without the address they typed and the per-response CSRF token."""
    text = response.content.decode().replace(email, "EMAIL")
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", text)


def test_known_and_unknown_addresses_are_refused_and_locked_alike(world, invited, settings):
    # given at most three wrong passwords in a row
    settings.PORTAL_SIGNIN_MAX_FAILURES = 3
    runs = {}
    # when each address is tried four times, each from its own client address
    for n, email in enumerate([KNOWN, UNKNOWN, INVITED]):
        runs[email] = [sign_in(email, "wrong", address=f"203.0.113.{n}") for _ in range(4)]
    # then they answer alike: refused twice, then locked (429) with the same wait and the same page
    for email, responses in runs.items():
        assert [r.status_code for r in responses] == [400, 400, 429, 429], email
        assert [int(r["Retry-After"]) for r in responses[2:]] in ([900, 900], [900, 899]), email
    reference = [page(r, KNOWN) for r in runs[KNOWN]]
    assert [page(r, UNKNOWN) for r in runs[UNKNOWN]] == reference
    assert [page(r, INVITED) for r in runs[INVITED]] == reference
