"""Isolation: a portal user of customer A, holding ids of customer B's records, gets nothing.

The test walks every URL the site has (staff pages, the staff API, the admin, the portal), fills
each route's parameters with ids of B's records, and asks as Alice (a portal user of A):

* every staff, API and admin URL answers 404 (GET and POST alike), whatever the ids;
* every portal URL holding B's ids answers 404, or sends her to sign in for nothing;
* nothing of B appears in any portal page she can open.
"""

from __future__ import annotations

import re
import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from backend.audit.models import AuditEvent
from backend.crm.models import Contact, ServiceAttachment
from backend.crm.services.service_requests import service_request_submit
from tests.factories import api_token, upload_source
from tests.fixtures.clients import portal_client
from tests.portal.world import png_bytes

pytestmark = pytest.mark.django_db(transaction=False)

PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")


def _routes():
    """(route text, full namespaced name, parameter names) of every named URL outside the admin."""

    def walk(patterns, prefix="", namespace=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                ns = namespace
                if pattern.namespace:
                    ns = f"{namespace}{pattern.namespace}:"
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), ns)
            elif isinstance(pattern, URLPattern) and pattern.name:
                yield prefix + str(pattern.pattern), namespace + pattern.name, [n for _, n in PARAM.findall(
                    prefix + str(pattern.pattern))]

    return [route for route in walk(get_resolver().url_patterns) if not route[0].startswith("admin/")]


def _b_ids(world) -> dict:
    """For every parameter name a route uses: an id of one of customer B's records."""
    contact_b = Contact.objects.filter(customer=world.b).first()
    attachment_b = ServiceAttachment.objects.filter(record__customer=world.b).first()
    b_event = AuditEvent.objects.filter(customer_id=world.b.pk).order_by("-id").first()
    return {
        "customer_id": world.b.pk, "document_id": world.docs["contract_b"].pk, "share_id": world.shares["contract_b"].pk,
        "order_id": world.orders["b"].pk, "record_id": world.records["b"].pk, "article_id": world.articles["b_only"].pk,
        "announcement_id": world.announcements["b_only"].pk, "attachment_id": attachment_b.pk,
        "contact_id": contact_b.pk, "event_id": b_event.pk, "number": 1, "page": 1, "quote_id": 1, "opportunity_id": 1,
        "activity_id": 1, "link_id": 1, "invoice_id": 1, "pk": world.b.pk, "id": world.b.pk,
        "token": uuid.uuid4().hex, "step": "dispatch", "name": "pipeline", "action": "publish", "format": "json",
    }


@pytest.fixture
def b_world(world, django_capture_on_commit_callbacks):
    """The portal world plus an attachment on B's service request (raised by Bob from the portal)."""
    with django_capture_on_commit_callbacks(execute=True):
        record = service_request_submit(actor=world.bob, type="issue", title="B's fault", description="photo attached",
                                        attachments=[upload_source(png_bytes(), "fault.png")])
    world.records["b_portal"] = record
    return world


def _url(name: str, params: list[str], ids: dict) -> str | None:
    try:
        return reverse(name, kwargs={param: ids[param] for param in params})
    except Exception:  # a converter refusing our value (e.g. regex routes): reported by the coverage check
        return None


def test_every_staff_api_and_admin_url_is_404_for_a_portal_user(b_world):
    # given Alice (portal user of A), signed in, and ids of B's records
    client = portal_client(b_world.alice)
    ids = _b_ids(b_world)
    staff_urls = []
    for route, name, params in _routes():
        if route.startswith("portal/"):
            continue
        url = _url(name, params, ids)
        if url is not None:
            staff_urls.append(url)
    staff_urls += ["/admin/", "/admin/accounts/user/", f"/admin/documents/document/{ids['document_id']}/change/",
                   "/api/schema/", "/api/docs/"]
    # then there are many of them (every staff page and API endpoint)...
    assert len(staff_urls) > 60
    for url in staff_urls:
        # ...and every GET and POST answers 404
        for method in (client.get, client.post):
            response = method(url)
            assert response.status_code == 404, (method.__name__, url, response.status_code)
            assert b_world.b.name.encode() not in response.content, url


def test_the_staff_api_with_a_portal_users_token_is_404_too(b_world):
    # given a token for Alice (one should never be issued; the API must refuse it anyway)
    key = api_token(b_world.alice)
    from django.test import Client

    client = Client(HTTP_AUTHORIZATION=f"Token {key}")
    ids = _b_ids(b_world)
    api_urls = [u for u in (_url(name, params, ids) for route, name, params in _routes() if route.startswith("api/")
                            and "auth/" not in route and "schema" not in route and "docs" not in route
                            and "redoc" not in route) if u]
    assert len(api_urls) > 30
    for url in api_urls:
        assert client.get(url).status_code == 404, url


def test_portal_urls_with_another_customers_ids_are_404(b_world):
    client = portal_client(b_world.alice)
    ids = _b_ids(b_world)
    checked = 0
    for route, name, params in _routes():
        if not route.startswith("portal/") or not params or name in ("portal:invitation",):
            continue
        url = _url(name, params, ids)
        assert url is not None, name
        for method in (client.get, client.post):
            response = method(url)
            assert response.status_code in (404, 405), (method.__name__, url, response.status_code)
            if response.status_code == 405:
                assert method is not client.post or name in (), url  # every portal POST view takes POST
        checked += 1
    assert checked >= 10
    # and B's own portal user reaches the same pages (the ids are real, not merely missing)
    bob = portal_client(b_world.bob)
    assert bob.get(reverse("portal:share", args=[ids["share_id"]])).status_code == 200
    assert bob.get(reverse("portal:order", args=[ids["order_id"]])).status_code == 200
    assert bob.get(reverse("portal:service_request", args=[ids["record_id"]])).status_code == 200
    assert bob.get(reverse("portal:service_attachment", args=[ids["attachment_id"]])).status_code == 200


def test_portal_pages_alice_can_open_show_nothing_of_b(b_world):
    client = portal_client(b_world.alice)
    markers = [b_world.b.name, "北京远航 合同", b_world.orders["b"].number, "Spindle noise B", "B's fault",
               "Interface notes", "Maintenance window"]
    for route, name, params in _routes():
        if not route.startswith("portal/") or params or name in ("portal:signout", "portal:language"):
            continue
        response = client.get(reverse(name), follow=True)  # the sign-in page sends her home
        assert response.status_code == 200, name
        body = response.content.decode()
        for marker in markers:
            assert marker not in body, (name, marker)


def test_anonymous_visitors_are_sent_to_the_portal_sign_in(b_world):
    from django.test import Client

    client = Client()
    response = client.get(reverse("portal:share", args=[b_world.shares["brochure"].pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:signin"))


def test_staff_users_are_not_portal_users(b_world):
    # A staff member's session is not a portal session: the portal asks them to sign in as a customer.
    client = portal_client(b_world.staff["rep"])
    response = client.get(reverse("portal:shares"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("portal:signin"))
