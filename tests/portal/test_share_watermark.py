"""A portal share's pages carry the reader's mark (contact, e-mail, customer, time, address, code)."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from PIL import Image, ImageChops

from backend.accounts.models import Role
from backend.audit.models import AuditEvent
from backend.documents.marks import resolve_mark
from backend.sharing import shares as sharing
from tests.factories import UserFactory
from tests.fixtures.clients import portal_client

pytestmark = [pytest.mark.django_db, pytest.mark.timeout(300)]


def _rgb(png: bytes) -> Image.Image:
    return Image.open(io.BytesIO(png)).convert("RGB")


def test_a_view_only_share_page_is_marked_with_the_reader_and_recorded_with_its_code(world):
    # given Alice and the view-only price list shared with her customer
    share = world.shares["pricelist"]
    client = portal_client(world.alice)
    # when she is shown page 2
    response = client.get(reverse("portal:share_page", args=[share.pk, 2]), REMOTE_ADDR="192.0.2.44")
    # then it is a PNG no browser or proxy keeps, different from the unmarked page all over
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert "no-store" in response["Cache-Control"]
    unmarked = _rgb(sharing.share_page_png(actor=world.alice, share=share, page=2))
    marked = _rgb(response.content)
    difference = ImageChops.difference(marked, unmarked).convert("L")
    width, height = marked.size
    for row in range(3):
        for column in range(3):
            part = difference.crop((column * width // 3, row * height // 3,
                                    (column + 1) * width // 3, (row + 1) * height // 3))
            assert part.getbbox() is not None, (row, column)
    # and the page shown is recorded with her customer and the mark's code
    event = AuditEvent.objects.filter(event_type="portal.share.page_shown", actor_id=world.alice.pk).get()
    assert event.customer_id == world.a.pk and event.detail["page"] == 2 and event.detail["share"] == share.pk
    # and compliance finds, from the code, that very event and who she is
    found = resolve_mark(actor=UserFactory(role=Role.COMPLIANCE), code=event.detail["mark"])
    assert found.event.pk == event.pk and found.mark.purpose == "share-page"
    assert world.a.name in found.mark.viewer_label and world.alice.email in found.mark.viewer_label
    assert found.mark.address == "192.0.2.44"


def test_another_customers_reader_gets_no_page_and_no_mark(world):
    share = world.shares["pricelist"]
    response = portal_client(world.bob).get(reverse("portal:share_page", args=[share.pk, 1]))
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(event_type="portal.share.page_shown").exists()
