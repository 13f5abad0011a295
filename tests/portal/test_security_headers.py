"""Headers of the customer portal: the strict Content-Security-Policy on every page, nothing kept in a
cache, and the files a customer opens in the browser (rendered share pages, attachments) sandboxed."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from backend.crm.models import ServiceAttachment, ServiceRecord
from tests.fixtures.clients import portal_client
from tests.portal.world import png_bytes

pytestmark = pytest.mark.django_db


def _policy(response) -> dict[str, list[str]]:
    return {words[0]: words[1:] for words in (part.split() for part in response["Content-Security-Policy"].split(";"))
            if words}


def _never_stored(response) -> bool:
    return {"no-store", "private"} <= {part.strip() for part in response["Cache-Control"].split(",")}


def test_portal_pages_carry_the_strict_policy_and_are_never_stored(world):
    # given a signed-in customer contact
    client = portal_client(world.alice)
    for url in [reverse("portal:home"), reverse("portal:shares"), reverse("portal:knowledge"),
                reverse("portal:orders"), reverse("portal:service"), reverse("portal:announcements"),
                reverse("portal:share", args=[world.shares["pricelist"].pk])]:
        # when a page is shown
        response = client.get(url)
        # then scripts come from our origin only, no cache keeps the page, and it has no inline script
        assert response.status_code == 200, url
        policy = _policy(response)
        assert policy["script-src"] == ["'self'"] and policy["object-src"] == ["'none'"], url
        assert policy["frame-ancestors"] == ["'self'"] and policy["form-action"] == ["'self'"], url
        assert _never_stored(response), url
        html = response.content.decode()
        assert [tag for tag in re.findall(r"<script\b[^>]*>", html) if " src=" not in tag] == [], url
        assert not re.search(r"<[^>]+\son[a-z]+\s*=", html), url


def test_portal_sign_in_page_is_covered_too(db):
    response = Client().get(reverse("portal:signin"))
    assert _policy(response)["script-src"] == ["'self'"]
    assert _never_stored(response)


def test_a_rendered_share_page_is_sandboxed(world):
    # given a view-only share whose pages are rendered as images
    client = portal_client(world.alice)
    image = client.get(reverse("portal:share_page", args=[world.shares["pricelist"].pk, 1]))
    # then each page image is sandboxed and never stored
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    policy = _policy(image)
    assert policy["sandbox"] == [] and policy["default-src"] == ["'none'"]
    assert _never_stored(image)


def test_an_attachment_shown_inline_is_sandboxed(world):
    # given a photo the customer attached to a service request
    client = portal_client(world.alice)
    client.post(reverse("portal:service_new"), {
        "type": "issue", "title": "Coolant leak", "description": "Leaking since Monday.",
        "attachments": [SimpleUploadedFile("leak.png", png_bytes(), content_type="image/png")],
    })
    attachment = ServiceAttachment.objects.get(record=ServiceRecord.objects.get(title="Coolant leak"))
    # when it is opened in the browser
    response = client.get(reverse("portal:service_attachment", args=[attachment.pk]))
    b"".join(response.streaming_content)
    # then it is shown inline, in a sandbox of its own, and never stored
    assert response["Content-Disposition"].startswith("inline")
    policy = _policy(response)
    assert policy["sandbox"] == [] and policy["default-src"] == ["'none'"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert _never_stored(response)
