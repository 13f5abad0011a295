"""Every document endpoint: no grant -> 404, grant at the needed level -> success, and the audit row exists."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from backend.access.services import document_permission_grant
from backend.audit.models import AuditEvent
from backend.documents import services
from tests import factories
from tests.fixtures.clients import api_client as client_for

pytestmark = [pytest.mark.django_db, pytest.mark.s3]


@dataclass
class Endpoint:
    name: str
    method: str
    path: str  # formatted with doc=<id>
    level: str  # the weakest grant that allows it
    status: int
    event: str
    payload: Callable[[], dict] = dict
    fmt: str = "json"
    setup: Callable | None = None  # setup(document, owner, caller)
    extra_denied_levels: tuple = field(default_factory=tuple)


def _checkout_as(document, owner, caller):
    services.document_checkout(actor=caller, document=document)


def _checkout_as_owner(document, owner, caller):
    services.document_checkout(actor=owner, document=document)


def _new_file():
    return {"file": SimpleUploadedFile("v2.pdf", factories.pdf_bytes(), content_type="application/pdf"),
            "comment": "second draft"}


ENDPOINTS = [
    Endpoint("detail", "get", "/api/documents/{doc}/", "view", 200, "document.viewed"),
    Endpoint("update", "patch", "/api/documents/{doc}/", "change", 200, "document.updated",
             payload=lambda: {"description": "now with annex"}),
    Endpoint("delete", "delete", "/api/documents/{doc}/", "manage", 204, "document.trashed"),
    Endpoint("versions", "get", "/api/documents/{doc}/versions/", "view", 200, "document.viewed"),
    Endpoint("upload", "post", "/api/documents/{doc}/versions/", "change", 201, "document.version.uploaded",
             payload=_new_file, fmt="multipart"),
    Endpoint("version", "get", "/api/documents/{doc}/versions/1/", "view", 200, "document.viewed"),
    Endpoint("download", "get", "/api/documents/{doc}/versions/1/download/", "download", 200,
             "document.version.downloaded"),
    Endpoint("download-valid", "get", "/api/documents/{doc}/download/", "download", 200,
             "document.version.downloaded"),
    Endpoint("approve", "post", "/api/documents/{doc}/versions/1/approve/", "change", 200,
             "document.version.status_changed"),
    Endpoint("restore", "post", "/api/documents/{doc}/versions/1/restore/", "change", 201,
             "document.version.restored"),
    Endpoint("checkout", "post", "/api/documents/{doc}/checkout/", "change", 200, "document.checked_out"),
    Endpoint("checkin", "post", "/api/documents/{doc}/checkin/", "change", 200, "document.checked_in",
             setup=_checkout_as),
    Endpoint("break-lock", "post", "/api/documents/{doc}/break-lock/", "manage", 200, "document.lock_broken",
             setup=_checkout_as_owner),
    Endpoint("access", "get", "/api/documents/{doc}/access/", "manage", 200, "document.access.listed"),
    Endpoint("grant", "post", "/api/documents/{doc}/permissions/", "manage", 201, "document.permission.granted",
             payload=lambda: {"user": None, "level": "view"}),
    Endpoint("revoke", "post", "/api/documents/{doc}/permissions/revoke/", "manage", 200,
             "document.permission.revoked", payload=lambda: {"user": None}),
]
LEVELS = ["view", "download", "change", "manage"]


def _call(client, endpoint: Endpoint, document, third_party):
    payload = endpoint.payload()
    if "user" in payload and payload["user"] is None:
        payload["user"] = third_party.pk
    url = endpoint.path.format(doc=document.pk)
    method = getattr(client, endpoint.method)
    if endpoint.method in ("get", "delete"):
        return method(url)
    return method(url, payload, format=endpoint.fmt)


@pytest.fixture
def cast(settings):
    # The factory's bare PDF cannot be stamped; stamped downloads' permissions: tests/web/test_stamped_download.py.
    settings.STAMPED_DOWNLOAD_CLASSIFICATIONS = []
    department = factories.DepartmentFactory(code="sales-east")
    other_department = factories.DepartmentFactory(code="service-west")
    owner = factories.UserFactory(username="owner", department=department)
    caller = factories.UserFactory(username="caller", department=other_department)
    third = factories.UserFactory(username="third", department=other_department)
    document = factories.document(owner, title="Confidential supply contract", classification="confidential")
    return owner, caller, third, document


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_no_grant_answers_404_like_a_missing_id_and_records_the_denial(cast, endpoint):
    # given a confidential document and a colleague with no grant on it
    owner, caller, third, document = cast
    if endpoint.setup is _checkout_as_owner:
        endpoint.setup(document, owner, caller)
    client = client_for(caller)

    # when the colleague calls the endpoint, and the same endpoint for an id that does not exist
    response = _call(client, endpoint, document, third)
    missing = _call(client, endpoint, type(document)(pk=document.pk + 10_000), third)

    # then both answer 404 with the same body, and the denial is in the audit trail
    assert response.status_code == 404, response.content
    assert missing.status_code == 404
    assert response.json() == missing.json()
    assert AuditEvent.objects.filter(
        event_type="document.access.denied", actor=caller, target_id=str(document.pk), outcome="denied"
    ).exists()


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_a_grant_at_the_needed_level_succeeds_and_is_audited(cast, endpoint):
    # given a colleague granted exactly the level the endpoint needs
    owner, caller, third, document = cast
    document_permission_grant(actor=owner, document=document, level=endpoint.level, user=caller)
    if endpoint.name == "revoke":
        document_permission_grant(actor=owner, document=document, level="view", user=third)
    if endpoint.setup:
        endpoint.setup(document, owner, caller)
    before = AuditEvent.objects.filter(event_type=endpoint.event, actor=caller).count()

    # when the colleague calls the endpoint
    response = _call(client_for(caller), endpoint, document, third)

    # then it succeeds and one more audit event of the expected type names the caller and the document
    assert response.status_code == endpoint.status, response.content
    events = AuditEvent.objects.filter(event_type=endpoint.event, actor=caller, target_id=str(document.pk))
    assert events.count() == before + 1


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if e.level != "view"], ids=lambda e: e.name)
def test_a_weaker_grant_is_not_enough(cast, endpoint):
    # given a colleague granted the level just below the one the endpoint needs
    owner, caller, third, document = cast
    weaker = LEVELS[LEVELS.index(endpoint.level) - 1]
    document_permission_grant(actor=owner, document=document, level=weaker, user=caller)
    if endpoint.setup is _checkout_as_owner:
        endpoint.setup(document, owner, caller)

    # when they call it
    response = _call(client_for(caller), endpoint, document, third)

    # then it is a 404, as if the document did not exist
    assert response.status_code == 404, response.content


def test_anonymous_callers_get_401_or_403_and_nothing_else(cast, api):
    # given no session or token
    _, _, _, document = cast

    # when an anonymous client asks for the document
    response = api.get(f"/api/documents/{document.pk}/")

    # then authentication is required
    assert response.status_code == 401
