"""API tokens are looked up with one prepared query and answered exactly as DRF answers them."""

from __future__ import annotations

import hashlib

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from backend.access import token_auth
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(settings, tmp_path):
    settings.STORAGE_URL = f"file://{tmp_path}/objects"
    return APIClient()


def test_a_token_authenticates_its_user_with_one_query(api):
    # given two users with tokens (the compiled lookup is shared, the key is not)
    first, second = factories.UserFactory(), factories.UserFactory()
    for user in (first, second):
        token = Token.objects.create(user=user)
        api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        # when each calls the API
        with CaptureQueriesContext(connection) as queries:
            response = api.get("/api/documents/?page_size=1")
        # then it is that user, and the token cost one query: the prepared lookup
        assert response.status_code == 200
        lookup = token_auth._token_query("default").sql
        name = "dossier_" + hashlib.sha1(lookup.encode()).hexdigest()[:20]
        token_queries = [q["sql"] for q in queries.captured_queries if "authtoken_token" in q["sql"] or name in q["sql"]]
        assert len(token_queries) == 1 and name in token_queries[0]
        assert response.wsgi_request.user == user


@pytest.mark.parametrize("key", ["not-a-real-token", "a" * 40, "nul\x00key", "'OR'1'='1"])
def test_unknown_keys_are_refused_as_drf_refuses_them(api, key):
    factories.UserFactory()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = api.get("/api/documents/")
    assert response.status_code == 401
    assert response.json()["detail"] == "Invalid token."


def test_an_inactive_users_token_is_refused(api):
    user = factories.UserFactory()
    token = Token.objects.create(user=user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = api.get("/api/documents/")
    assert response.status_code == 401
    assert response.json()["detail"] == "User inactive or deleted."
