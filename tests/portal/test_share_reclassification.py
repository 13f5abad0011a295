"""A share survives no reclassification: end to end through the staff API, the staff page and the portal.

A colleague shares an internal document with customer A; its owner makes it secret and uploads a new
version. A's portal users must not read the secret version: every open, page image and download is
refused (404) until someone who may manage the document re-confirms the share.
"""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from backend.audit.models import AuditEvent
from backend.documents.services import document_create
from tests import factories
from tests.fixtures.clients import api_client as client_for
from tests.fixtures.clients import portal_client
from tests.portal.world import real_pdf

pytestmark = pytest.mark.django_db


def _portal_reads(client, shares) -> dict:
    """What Alice gets from each share: its page, its download (downloadable) or its first page image."""
    downloadable, view_only = shares
    download = client.get(reverse("portal:share_download", args=[downloadable]))
    return {
        "open": client.get(reverse("portal:share", args=[downloadable])).status_code,
        "open_view_only": client.get(reverse("portal:share", args=[view_only])).status_code,
        "download": download.status_code,
        "bytes": b"".join(download.streaming_content) if download.status_code == 200 else None,
        "page": client.get(reverse("portal:share_page", args=[view_only, 1])).status_code,
    }


@pytest.fixture
def scene(world):
    rep, colleague = world.staff["rep"], world.staff["rep_b"]  # both in sales
    v1 = real_pdf("报价单 Quote sheet v1")
    document, _ = document_create(actor=rep, title="报价单 Quote sheet", kind="quote", classification="internal",
                                  upload=factories.upload_source(v1, "quote.pdf"))
    api = client_for(colleague)
    shares = []
    # one downloadable share following the valid version, one view-only share of version 1 (the same share
    # twice would be refused: one share in force per document, customer and version)
    for downloadable, version in ((True, None), (False, 1)):
        response = api.post(f"/api/documents/{document.pk}/shares/",
                            {"customer": world.a.pk, "downloadable": downloadable, "version": version}, format="json")
        assert response.status_code == 201
        shares.append(response.json()["id"])
    return {"owner": rep, "colleague": colleague, "document": document, "shares": shares, "v1": v1}


def test_raising_a_shared_document_to_secret_stops_the_portal_until_the_owner_re_confirms(world, scene):
    owner, document, shares = scene["owner"], scene["document"], scene["shares"]
    alice = portal_client(world.alice)
    # given Alice reads both shares of the internal document
    assert _portal_reads(alice, shares) == {"open": 200, "open_view_only": 200, "download": 200,
                                            "bytes": scene["v1"], "page": 200}

    # when the owner makes it secret and uploads a new version
    staff = client_for(owner)
    changed = staff.patch(f"/api/documents/{document.pk}/", {"classification": "secret"}, format="json")
    v2 = real_pdf("绝密 Secret v2")
    uploaded = staff.post(f"/api/documents/{document.pk}/versions/",
                          {"file": SimpleUploadedFile("quote-v2.pdf", v2)}, format="multipart")

    # then the answer lists the suspended shares, and both suspensions are audited with the customer
    assert changed.status_code == 200 and uploaded.status_code == 201
    body = changed.json()
    assert body["classification"] == "secret"
    assert sorted(s["id"] for s in body["suspended_shares"]) == sorted(shares)
    assert {s["suspended_reason"] for s in body["suspended_shares"]} == {"reclassified"}
    assert {s["standing"] for s in body["suspended_shares"]} == {"suspended"}
    suspended = AuditEvent.objects.filter(event_type="document.share.suspended", target_id=str(document.pk))
    assert sorted(e.detail["share"] for e in suspended) == sorted(shares)
    assert {e.customer_id for e in suspended} == {world.a.pk} and {e.actor_id for e in suspended} == {owner.pk}

    # and Alice can neither open, download nor see a page of the secret version: 404, each refusal audited
    assert _portal_reads(alice, shares) == {"open": 404, "open_view_only": 404, "download": 404, "bytes": None,
                                            "page": 404}
    listing = alice.get(reverse("portal:shares")).content.decode()
    assert "Quote sheet" not in listing
    assert AuditEvent.objects.filter(event_type="portal.share.refused", customer_id=world.a.pk,
                                     outcome="denied").count() == 4

    # and "who can access this" shows customer A's share as suspended, with no access at present
    rules = [r for r in staff.get(f"/api/documents/{document.pk}/access/").json() if r["via"] == "share"]
    assert {r["share"]["id"] for r in rules} == set(shares)
    assert all(r["actions"] == [] and r["share"]["suspended"] and not r["share"]["in_force"] for r in rules)

    # and the staff document page tells the owner, with a re-confirm button for each
    page = client_for(owner).get(reverse("web:document", args=[document.pk])).content.decode()
    assert 'data-testid="shares-suspended"' in page
    assert all(f'data-testid="share-reconfirm-{pk}"' in page for pk in shares)
    chinese = client_for(owner)
    chinese.cookies["django_language"] = "zh-hans"
    page_zh = chinese.get(reverse("web:document", args=[document.pk])).content.decode()
    assert "2 个共享已停止" in page_zh and "重新确认" in page_zh and "已暂停" in page_zh

    # when the owner re-confirms one share through the API and the other with the page's button
    reconfirmed = staff.post(f"/api/documents/{document.pk}/shares/{shares[0]}/reconfirm/")
    button = client_for(owner).post(reverse("web:share_reconfirm", args=[document.pk, shares[1]]))

    # then Alice reads again, the new version included, and both re-confirmations are audited
    assert reconfirmed.status_code == 200 and button.status_code == 302
    assert reconfirmed.json()["standing"] == "active" and reconfirmed.json()["confirmed_by"]["id"] == owner.pk
    reads = _portal_reads(alice, shares)
    stamped = reads.pop("bytes")
    assert reads == {"open": 200, "open_view_only": 200, "download": 200, "page": 200}
    # (a secret file reaches the portal stamped with its reader's mark: the download names v2's digest beside the copy's)
    downloaded = AuditEvent.objects.filter(event_type="portal.share.downloaded", actor=world.alice,
                                           outcome="success").latest("id")
    assert downloaded.detail["sha256"] == hashlib.sha256(v2).hexdigest()
    assert downloaded.detail["stamped_sha256"] == hashlib.sha256(stamped).hexdigest()
    assert AuditEvent.objects.filter(event_type="document.share.reconfirmed", actor_id=owner.pk,
                                     customer_id=world.a.pk).count() == 2


def test_only_who_may_manage_the_document_re_confirms(world, scene):
    document, shares = scene["document"], scene["shares"]
    client_for(scene["owner"]).patch(f"/api/documents/{document.pk}/", {"classification": "confidential"},
                                     format="json")
    # the colleague who shared it sees the document no more: 404 like a missing share
    refused = client_for(scene["colleague"]).post(f"/api/documents/{document.pk}/shares/{shares[0]}/reconfirm/")
    assert refused.status_code == 404
    # a portal user never reaches the staff API
    assert portal_client(world.alice).post(
        f"/api/documents/{document.pk}/shares/{shares[0]}/reconfirm/").status_code == 404
    assert not AuditEvent.objects.filter(event_type="document.share.reconfirmed").exists()
