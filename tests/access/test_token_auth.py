"""API tokens: stored hashed, issued with an audit event, expiring, revoked with the password or the
account, and looked up with one prepared query answered as DRF answers."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from backend.access import token_auth
from backend.accounts import services as accounts
from backend.accounts.models import ApiToken, Role
from backend.audit.models import AuditEvent
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(settings, tmp_path):
    settings.STORAGE_URL = f"file://{tmp_path}/objects"
    return APIClient()


def _sign_in(api, username: str, password: str = "pw-for-tests"):
    return api.post("/api/auth/token/", {"username": username, "password": password})


def test_the_key_is_shown_once_and_the_database_keeps_only_its_sha256(api):
    # given a staff user
    user = factories.UserFactory(username="tokenuser")

    # when they sign in through the API
    response = _sign_in(api, "tokenuser")

    # then the answer is DRF's shape, and no row anywhere holds the key, only its digest
    assert response.status_code == 200 and set(response.json()) == {"token"}
    key = response.json()["token"]
    token = ApiToken.objects.get(user=user)
    assert token.key_sha256 == hashlib.sha256(key.encode()).hexdigest()
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_apitoken")
        assert not any(key in str(value) for row in cursor.fetchall() for value in row)
    # and it authenticates that user
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/documents/").wsgi_request.user == user


def test_every_token_sign_in_is_audited(api):
    # given a staff user
    user = factories.UserFactory(username="tokenuser")

    # when they sign in twice through the API
    first, second = _sign_in(api, "tokenuser").json()["token"], _sign_in(api, "tokenuser").json()["token"]

    # then each sign-in issued its own token and wrote an "API token sign-in" event
    assert first != second and ApiToken.objects.filter(user=user).count() == 2
    events = AuditEvent.objects.filter(event_type="api.signed_in", actor=user, target_id=str(user.pk))
    assert events.count() == 2
    assert {e.detail["token"] for e in events} == set(ApiToken.objects.filter(user=user).values_list("pk", flat=True))


def test_a_token_expires_after_the_configured_time(api, settings):
    # given a token issued with a one-hour lifetime
    settings.API_TOKEN_TTL_SECONDS = 3600
    user = factories.UserFactory()
    key = accounts.api_token_issue(user=user)
    token = ApiToken.objects.get(user=user)
    assert token.expires_at - token.created_at == dt.timedelta(seconds=3600)
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/documents/").status_code == 200

    # when its time has passed
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))

    # then it is refused, and the next sign-in clears it away
    response = api.get("/api/documents/")
    assert response.status_code == 401 and response.json()["detail"] == "Token expired."
    accounts.api_token_issue(user=user)
    assert not ApiToken.objects.filter(pk=token.pk).exists()


def test_setting_the_password_revokes_every_token(api):
    # given a user with two tokens, and an administrator
    user = factories.UserFactory()
    keys = [accounts.api_token_issue(user=user) for _ in range(2)]
    admin = factories.UserFactory(role=Role.ADMIN)

    # when the administrator sets the user's password
    accounts.user_password_set(actor=admin, user=user, password="A-new-passphrase-77")

    # then both tokens are gone, and the revocation is audited
    for key in keys:
        api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        assert api.get("/api/documents/").status_code == 401
    assert not ApiToken.objects.filter(user=user).exists()
    revoked = AuditEvent.objects.get(event_type="api.tokens.revoked", target_id=str(user.pk))
    assert revoked.actor_id == admin.pk and revoked.detail == {"reason": "password_set", "count": 2}


def test_changing_ones_own_password_revokes_ones_tokens(api):
    user = factories.UserFactory(role=Role.COMPLIANCE)
    key = accounts.api_token_issue(user=user)
    accounts.user_password_set(actor=user, user=user, password="A-new-passphrase-77")
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/documents/").status_code == 401
    assert AuditEvent.objects.filter(event_type="accounts.user.password_set", actor=user,
                                     detail__own=True, detail__tokens_revoked=1).exists()


def test_deactivation_revokes_every_token(api):
    # given a user with a token
    user = factories.UserFactory()
    key = accounts.api_token_issue(user=user)
    admin = factories.UserFactory(role=Role.ADMIN)

    # when an administrator deactivates them, and later activates them again
    accounts.user_active_set(actor=admin, user=user, active=False)
    accounts.user_active_set(actor=admin, user=user, active=True)

    # then the old token stays dead: it was deleted, not just refused while inactive
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = api.get("/api/documents/")
    assert response.status_code == 401 and response.json()["detail"] == "Invalid token."
    assert AuditEvent.objects.filter(event_type="api.tokens.revoked", detail__reason="deactivated").exists()


def test_portal_users_and_inactive_users_are_never_issued_tokens():
    portal = factories.UserFactory(role=Role.PORTAL, department=None)
    inactive = factories.UserFactory(is_active=False)
    for user in (portal, inactive):
        with pytest.raises(Exception):
            accounts.api_token_issue(user=user)
    assert not ApiToken.objects.exists()


def test_a_token_authenticates_its_user_with_one_query(api):
    # given two users with tokens (the compiled lookup is shared, the key is not)
    first, second = factories.UserFactory(), factories.UserFactory()
    for user in (first, second):
        api.credentials(HTTP_AUTHORIZATION=f"Token {accounts.api_token_issue(user=user)}")
        # when each calls the API
        with CaptureQueriesContext(connection) as queries:
            response = api.get("/api/documents/?page_size=1")
        # then it is that user, and the token cost one query: the prepared lookup
        assert response.status_code == 200
        lookup = token_auth._token_query("default").sql
        name = "dossier_" + hashlib.sha1(lookup.encode()).hexdigest()[:20]
        token_queries = [q["sql"] for q in queries.captured_queries
                         if "accounts_apitoken" in q["sql"] or name in q["sql"]]
        assert len(token_queries) == 1 and name in token_queries[0]
        assert response.wsgi_request.user == user


@pytest.mark.parametrize("key", ["not-a-real-token", "a" * 40, "nul\x00key", "'OR'1'='1"])
def test_unknown_keys_are_refused_as_drf_refuses_them(api, key):
    factories.UserFactory()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = api.get("/api/documents/")
    assert response.status_code == 401
    assert response.json()["detail"] == "Invalid token."


def test_the_digest_itself_is_not_a_key(api):
    # given a token, and someone who read its digest from the database
    user = factories.UserFactory()
    accounts.api_token_issue(user=user)
    digest = ApiToken.objects.get(user=user).key_sha256

    # when they present the digest as the key
    api.credentials(HTTP_AUTHORIZATION=f"Token {digest}")

    # then it is refused
    assert api.get("/api/documents/").status_code == 401


def test_an_inactive_users_token_is_refused(api):
    user = factories.UserFactory()
    key = factories.api_token(user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = api.get("/api/documents/")
    assert response.status_code == 401
    assert response.json()["detail"] == "User inactive or deleted."
