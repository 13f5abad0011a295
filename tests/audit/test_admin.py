"""The audit trail in the admin is read-only."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import path

from backend.audit.events import DOCUMENT_VIEWED
from backend.audit.services import record

# Only the admin: this test does not depend on the rest of the URL map.
urlpatterns = [path("admin/", admin.site.urls)]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


@pytest.fixture
def superuser_client(client, actor):
    actor.is_staff = True
    actor.is_superuser = True
    actor.save()
    client.force_login(actor)
    return client


def test_superuser_can_list_filter_and_read_events(superuser_client, actor):
    # given an event
    event = record(DOCUMENT_VIEWED, actor=actor, target_type="documents.document", target_id="7")

    # when a superuser opens the list, filtered, and the event
    listing = superuser_client.get("/admin/audit/auditevent/?event_type=document.viewed&outcome=success")
    detail = superuser_client.get(f"/admin/audit/auditevent/{event.pk}/change/")

    # then both render, read-only
    assert listing.status_code == 200
    assert event.hash[:12].encode() not in listing.content  # hashes only on the detail page
    assert detail.status_code == 200
    assert event.hash.encode() in detail.content
    assert b'name="_save"' not in detail.content


def test_nobody_can_add_change_or_delete_events(superuser_client, actor):
    # given an event and a superuser
    event = record(DOCUMENT_VIEWED, actor=actor)

    # when the superuser tries to add, change or delete through the admin
    add = superuser_client.get("/admin/audit/auditevent/add/")
    change = superuser_client.post(f"/admin/audit/auditevent/{event.pk}/change/", {"outcome": "failure"})
    delete = superuser_client.post(f"/admin/audit/auditevent/{event.pk}/delete/", {"post": "yes"})

    # then each is refused and the event is unchanged
    assert add.status_code == 403
    assert change.status_code == 403
    assert delete.status_code == 403
    event.refresh_from_db()
    assert event.outcome == "success"
