"""The portal boundary: a portal user gets 404 from every staff page, the admin and the API (session or token).

The staff URL space is walked from the URLconf itself, so a page added later is covered without editing
this file. Ids in the URLs are those of another customer's records, as an attacker would hold them.
"""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from backend.access.boundary import PortalBoundaryMiddleware, portal_may_request
from backend.accounts.models import Role
from backend.accounts.models import ApiToken
from tests import factories
from tests.crm.factories import CustomerFactory, OrderFactory, ServiceRecordFactory
from tests.portal_factories import PORTAL_PASSWORD, portal_user

pytestmark = pytest.mark.django_db

_CONVERTER = re.compile(r"<(?:(?P<kind>\w+):)?(?P<name>\w+)>")


def _walk(patterns, prefix: str = ""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            route = getattr(entry.pattern, "_route", None)
            if route is None:  # a regex include (none today): take its literal prefix
                route = entry.pattern.regex.pattern.lstrip("^").split("(")[0]
            yield from _walk(entry.url_patterns, prefix + route)
        elif isinstance(entry, URLPattern):
            route = getattr(entry.pattern, "_route", None)
            if route is None:  # admin's regex routes: the literal part is enough to be routed there
                route = entry.pattern.regex.pattern.lstrip("^").rstrip("$").split("(")[0].replace("\\", "")
            yield prefix + route


def _concrete(route: str, some_id: int) -> str:
    def fill(match):
        return str(some_id) if match.group("kind") == "int" else "x"

    return "/" + _CONVERTER.sub(fill, route)


def staff_paths(some_id: int) -> list[str]:
    """Every routed path outside the portal, with ids filled in."""
    paths = {_concrete(route, some_id) for route in _walk(get_resolver().url_patterns)}
    return sorted(p for p in paths if not portal_may_request(p))


@pytest.fixture
def world(settings, tmp_path):
    settings.STORAGE_URL = f"file://{tmp_path}/objects"
    owner = factories.UserFactory(username="owner")
    a = CustomerFactory(name="Alpha", owner=owner)
    b = CustomerFactory(name="Beta", owner=owner)
    record_b = ServiceRecordFactory(customer=b)
    OrderFactory(customer=b)
    doc_b = factories.document(owner, title="Beta contract", classification="public")
    return {"owner": owner, "alice": portal_user(a, name="Alice"), "b": b, "record_b": record_b, "doc_b": doc_b}


def test_the_walk_covers_staff_pages_admin_and_api(world):
    paths = staff_paths(world["b"].pk)
    assert "/" in paths and "/admin/" in paths
    assert any(p.startswith("/api/documents/") for p in paths)
    assert any(p.startswith("/api/crm/") for p in paths)
    assert any(p.startswith("/customers/") for p in paths)
    assert not any(p.startswith(settings.PORTAL_URL_PREFIX) for p in paths)


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_signed_in_portal_user_gets_404_from_every_staff_url(world, client, method):
    # given Alice signed in (a portal session) and ids of customer B's records
    client.force_login(world["alice"])
    for some_id in {world["b"].pk, world["record_b"].pk, world["doc_b"].pk}:
        for path in staff_paths(some_id):
            # when she asks for any page outside the portal
            response = getattr(client, method)(path)
            # then it is a plain 404, exactly like a missing page
            assert response.status_code == 404, (method, path, response.status_code)


def test_a_portal_user_with_a_token_gets_404_from_every_api_endpoint(world):
    # given Alice holds an API token somehow (no session)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {factories.api_token(world['alice'])}")
    api_paths = [p for p in staff_paths(world["b"].pk) if p.startswith("/api/")
                 and not p.startswith(("/api/auth/login", "/api/auth/logout", "/api/auth/token"))
                 and p not in ("/api/schema/", "/api/docs/", "/api/redoc/")]
    assert len(api_paths) > 20
    for path in api_paths:
        for method in ("get", "post", "patch", "delete"):
            response = getattr(api, method)(path, format="json")
            # then every endpoint answers 404, never 401/403/405 that would admit the endpoint exists
            assert response.status_code == 404, (method, path, response.status_code)


def test_staff_are_unaffected_by_the_boundary(world, client):
    # given a staff user with a session and one with a token
    owner = world["owner"]
    client.force_login(owner)
    assert client.get("/").status_code == 200
    assert client.get("/customers/").status_code == 200
    assert client.get("/api/documents/").status_code == 200
    assert client.get(f"/api/documents/{world['doc_b'].pk}/").status_code == 200
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {factories.api_token(owner)}")
    assert api.get("/api/documents/").status_code == 200
    # and the anonymous still get 401 from the API, not 404
    assert APIClient().get("/api/documents/").status_code == 401


def _through_middleware(user, path):
    request = RequestFactory().get(path)
    request.user = user
    return PortalBoundaryMiddleware(lambda request: "passed")(request)


def test_the_middleware_lets_portal_users_into_the_portal_and_static_only(world):
    alice, owner = world["alice"], world["owner"]
    assert _through_middleware(alice, settings.PORTAL_URL_PREFIX) == "passed"
    assert _through_middleware(alice, settings.PORTAL_URL_PREFIX + "shared/1/") == "passed"
    assert _through_middleware(alice, settings.STATIC_URL + "portal/site.css") == "passed"
    from django.http import Http404

    for path in ("/", "/admin/", "/api/documents/", "/portalx/", "/media/x", "/api/crm/customers/"):
        with pytest.raises(Http404):
            _through_middleware(alice, path)
        # and staff pass everywhere
        assert _through_middleware(owner, path) == "passed"


def test_a_disabled_portal_user_is_signed_out_rather_than_let_in(world, client):
    # given Alice's session, then staff disable her (the user row goes inactive)
    alice = world["alice"]
    client.force_login(alice)
    alice.is_active = False
    alice.save(update_fields=["is_active"])
    # then her session no longer authenticates: staff pages treat her as anonymous (sign-in redirect, 401 in the API)
    assert client.get("/api/documents/").status_code in (401, 403)
    assert client.get("/customers/").status_code in (302, 404)


@pytest.mark.parametrize("path", ["/api/auth/token/", "/api/auth/login/"])
def test_portal_credentials_do_not_open_the_staff_api(world, path):
    # given Alice's portal username and password, posted to the API's own sign-in endpoints
    alice = world["alice"]
    api = APIClient(enforce_csrf_checks=False)
    response = api.post(path, {"username": alice.username, "password": PORTAL_PASSWORD})
    # then no token is issued and no session starts: portal users sign in at the portal only
    assert "token" not in (response.json() if response.get("Content-Type", "").startswith("application/json")
                           else {})
    assert not ApiToken.objects.filter(user=alice).exists()
    assert "_auth_user_id" not in api.session
    # while a staff user still gets a token
    if path == "/api/auth/token/":
        owner = world["owner"]
        assert api.post(path, {"username": owner.username, "password": "pw-for-tests"}).status_code == 200


def test_roles_outside_portal_are_never_bounded(world):
    for role in (Role.SALES, Role.SERVICE, Role.COMPLIANCE, Role.ADMIN, Role.STAFF):
        user = factories.UserFactory(role=role)
        assert _through_middleware(user, "/api/documents/") == "passed"
