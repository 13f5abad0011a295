"""One sign-in flow for the staff interface and the portal (backend/ui/signin.py)."""

from __future__ import annotations

import pytest
from django.test import Client


@pytest.mark.parametrize("url", ["/signin/", "/portal/signin/"])
def test_the_sign_in_pages_take_only_get_and_post(db, url):
    # given anybody
    client = Client()

    # when the sign-in page is asked with another method
    response = client.put(url)

    # then it is refused, on both interfaces alike
    assert response.status_code == 405


@pytest.mark.parametrize("url", ["/signin/", "/portal/signin/"])
def test_a_wrong_password_shows_the_form_again(db, url):
    field = "username" if url == "/signin/" else "email"

    response = Client().post(url, {field: "nobody@example.com", "password": "wrong-password"})

    assert response.status_code == 400
    assert b"is not right" in response.content
