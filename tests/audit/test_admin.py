"""The audit trail in the admin: the compliance role reads it, nobody writes it, other roles never see it."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import path

from backend.accounts.models import Role
from backend.audit.events import DOCUMENT_VIEWED
from backend.audit.services import record
from tests.factories import UserFactory

# Only the admin: this test does not depend on the rest of the URL map.
urlpatterns = [path("admin/", admin.site.urls)]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


@pytest.fixture
def compliance_client(client, actor):
    actor.role = Role.COMPLIANCE
    actor.save()
    client.force_login(actor)
    return client


def test_compliance_can_list_filter_and_read_events(compliance_client, actor):
    # given an event
    event = record(DOCUMENT_VIEWED, actor=actor, target_type="documents.document", target_id="7")

    # when the compliance officer opens the list, filtered, and the event
    listing = compliance_client.get("/admin/audit/auditevent/?event_type=document.viewed&outcome=success")
    detail = compliance_client.get(f"/admin/audit/auditevent/{event.pk}/change/")

    # then both render, read-only
    assert listing.status_code == 200
    assert event.hash[:12].encode() not in listing.content  # hashes only on the detail page
    assert detail.status_code == 200
    assert event.hash.encode() in detail.content
    assert b'name="_save"' not in detail.content


def test_nobody_can_add_change_or_delete_events(compliance_client, actor):
    # given an event and the compliance officer
    event = record(DOCUMENT_VIEWED, actor=actor)

    # when they try to add, change or delete through the admin
    add = compliance_client.get("/admin/audit/auditevent/add/")
    change = compliance_client.post(f"/admin/audit/auditevent/{event.pk}/change/", {"outcome": "failure"})
    delete = compliance_client.post(f"/admin/audit/auditevent/{event.pk}/delete/", {"post": "yes"})

    # then each is refused and the event is unchanged
    assert add.status_code == 403
    assert change.status_code == 403
    assert delete.status_code == 403
    event.refresh_from_db()
    assert event.outcome == "success"


@pytest.mark.parametrize("role", [Role.ADMIN, Role.SALES, Role.STAFF])
def test_other_roles_do_not_read_the_trail_in_the_admin_superusers_included(client, actor, role):
    # given an event, and a user of another role who is even a Django superuser
    event = record(DOCUMENT_VIEWED, actor=actor, target_label="Board minutes")
    reader = UserFactory(role=role, is_staff=True, is_superuser=True)
    client.force_login(reader)

    # when they open the trail's list and the event
    listing = client.get("/admin/audit/auditevent/")
    detail = client.get(f"/admin/audit/auditevent/{event.pk}/change/")

    # then neither shows it: forbidden to an administrator, and the admin site is closed to the others
    expected = 403 if role == Role.ADMIN else 302
    assert listing.status_code == detail.status_code == expected
    assert b"Board minutes" not in listing.content + detail.content
