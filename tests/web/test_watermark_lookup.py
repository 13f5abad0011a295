"""The compliance console's "find a watermark code": a code -> who viewed what, when, from where, the event."""

from __future__ import annotations

import pytest

from backend.access.services import document_permission_grant
from backend.audit.models import AuditEvent
from backend.documents import previews
from tests.fixtures.clients import client_for

pytestmark = [pytest.mark.django_db, pytest.mark.timeout(300)]

URL = "/compliance/watermark/"


@pytest.fixture(autouse=True)
def preview_cache_dir(settings, tmp_path):
    settings.PREVIEW_CACHE_DIR = tmp_path / "previews"


@pytest.fixture
def marked_view(world):
    """陈静 read page 1 of the confidential contract (a read grant): the preview's event and its mark's code."""
    document_permission_grant(actor=world.rep, document=world.contract, level="read", user=world.colleague)
    previews.version_preview_page(actor=world.colleague, version=world.contract.valid_version, page=1,
                                  request_meta={"address": "203.0.113.50"})
    event = AuditEvent.objects.filter(event_type="document.version.previewed", actor_id=world.colleague.pk).get()
    return event, event.detail["mark"]


def test_only_compliance_opens_the_lookup(world, marked_view):
    _, code = marked_view
    for person in (world.rep, world.admin, world.colleague):
        assert client_for(person).get(URL, {"code": code}).status_code == 404
    assert not AuditEvent.objects.filter(event_type="document.view_mark.resolved").exists()


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_compliance_finds_who_viewed_what_when_and_where_and_the_event(world, marked_view, language):
    event, code = marked_view
    client = client_for(world.compliance, language)
    # the form is there, in the console's tabs
    empty = client.get(URL)
    assert empty.status_code == 200 and 'name="code"' in empty.content.decode()
    # when the code is typed as read off a printout (lower case, with a space)
    response = client.get(URL, {"code": f"{code[:4]} {code[4:]}".lower()})
    body = response.content.decode()
    # then the page names the reader, the document, the address and links to the event
    assert response.status_code == 200
    assert "陈静" in body and "chen.jing" in body and "203.0.113.50" in body
    assert world.contract.title in body and f"/compliance/events/{event.pk}/" in body
    assert "机密 / CONFIDENTIAL" in body
    # and the lookup is recorded
    lookup = AuditEvent.objects.filter(event_type="document.view_mark.resolved").get()
    assert lookup.actor_id == world.compliance.pk and lookup.detail["code"] == code


def test_an_unknown_code_says_so_and_is_recorded(world):
    response = client_for(world.compliance).get(URL, {"code": "ZZZZ9999"})
    assert response.status_code == 404 and 'data-testid="watermark-not-found"' in response.content.decode()
    assert AuditEvent.objects.filter(event_type="document.view_mark.resolved", outcome="failure").count() == 1
