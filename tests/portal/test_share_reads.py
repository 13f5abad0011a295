"""The portal's share list discloses which documents a customer has: reading it is recorded with the
customer. A view-only share's page images are part of opening the share, never a download."""

from __future__ import annotations

import pytest
from django.urls import reverse

from backend.audit.models import AuditEvent
from tests.fixtures.clients import portal_client

pytestmark = pytest.mark.django_db(transaction=False)


def test_reading_the_share_list_is_recorded_with_the_customer(world):
    # when Alice opens her shared documents
    response = portal_client(world.alice).get(reverse("portal:shares"))
    assert response.status_code == 200
    # then the read is in the trail, with her customer and the shares the page listed
    event = AuditEvent.objects.get(event_type="portal.share.listed")
    assert event.actor == world.alice and event.customer_id == world.a.pk
    listed = {share.pk for share in response.context["page"]}
    assert listed and set(event.detail["share_ids"]) == listed and event.detail["page"] == 1


def test_a_view_only_shares_page_images_record_no_download(world):
    client = portal_client(world.alice)
    share = world.shares["pricelist"]
    client.get(reverse("portal:share", args=[share.pk]))
    image = client.get(reverse("portal:share_page", args=[share.pk, 1]))
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    assert not AuditEvent.objects.filter(event_type__in=("portal.share.downloaded", "document.version.downloaded"),
                                         actor=world.alice).exists()
