"""The portal as the customer's side (issue 15): discounts shown as percent, expired shares not offered,
one share in force per document and customer, the account manager on the home page, and a preview
beside a downloadable share's Download button."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from backend.common.errors import Conflict
from backend.crm.models import OrderLine, Product
from backend.sharing.models import DocumentShare
from backend.sharing.shares import document_share_create, document_share_revoke, share_list_for_portal
from tests.fixtures.clients import api_client, portal_client

pytestmark = pytest.mark.django_db(transaction=False)


# --- orders ----------------------------------------------------------------------------------------


def test_an_order_line_with_a_5_percent_discount_reads_5_percent(world):
    # given A's order has a line discounted by 5 (percent points, as the model stores it)
    product = Product.objects.get(code="CNC-200")
    OrderLine.objects.create(order=world.orders["a"], product=product, quantity=Decimal("2"),
                             unit_price=Decimal("50000.00"), discount_percent=Decimal("5"),
                             line_total=Decimal("95000.00"))
    # when Alice opens the order in English and in Chinese
    for language in ("en", "zh-hans"):
        body = portal_client(world.alice, language).get(reverse("portal:order", args=[world.orders["a"].pk])).content.decode()
        # then the discount reads 5.0%, never 500.0%
        assert "<td class=\"num\" data-discount>5.0%</td>" in body, language
        assert "500" not in body.split("data-discount>")[1][:10]


# --- expired shares --------------------------------------------------------------------------------


def _row(body: str, share_id: int) -> str:
    start = body.index(f'data-share="{share_id}"')
    return body[start:body.index("</tr>", start)]


def test_an_expired_share_is_listed_as_no_longer_available_not_as_a_download(world):
    # given A has a downloadable brochure in force and a downloadable manual whose share expired
    client = portal_client(world.alice)
    # when Alice lists her shared documents
    body = client.get(reverse("portal:shares")).content.decode()
    # then the expired one says it is no longer available and offers no download; the brochure offers both
    expired = _row(body, world.shares["expired"].pk)
    assert "No longer available" in expired and "download" not in expired.lower().replace("no longer", "")
    assert "Preview and download" in _row(body, world.shares["brochure"].pk)
    # and the home page's recent shares leave the expired one out
    home = client.get(reverse("portal:home")).content.decode()
    assert "Old manual" not in home and "数控车床 CNC-200 产品手册" in home


def test_the_chinese_list_says_no_longer_available_in_chinese(world):
    body = portal_client(world.alice, "zh-hans").get(reverse("portal:shares")).content.decode()
    assert "已不可用" in _row(body, world.shares["expired"].pk)


# --- one share in force per document and customer --------------------------------------------------


def test_sharing_a_document_again_with_the_same_customer_is_a_conflict_naming_the_share(world):
    # given the brochure is shared with A, in force
    rep, brochure = world.staff["rep"], world.docs["brochure"]
    # when the rep shares it with A again
    with pytest.raises(Conflict) as refused:
        document_share_create(actor=rep, document=brochure, customer=world.a, downloadable=False)
    # then it is refused, naming the share in force, and nothing was added
    assert refused.value.status_code == 409 and refused.value.extra["share"] == world.shares["brochure"].pk
    assert DocumentShare.objects.filter(document=brochure, customer=world.a).count() == 1
    # and sharing it with another customer is still fine
    assert document_share_create(actor=rep, document=brochure, customer=world.b).customer_id == world.b.pk


def test_a_document_may_be_shared_again_once_its_share_expired_or_was_revoked(world):
    rep = world.staff["rep"]
    # given the manual's share with A expired
    again = document_share_create(actor=rep, document=world.docs["old_manual"], customer=world.a)
    assert again.pk != world.shares["expired"].pk
    # given the brochure's share is revoked
    document_share_revoke(actor=rep, share=world.shares["brochure"])
    assert document_share_create(actor=rep, document=world.docs["brochure"], customer=world.a).pk


def test_the_share_api_answers_409_with_the_existing_share(world):
    rep, brochure = world.staff["rep"], world.docs["brochure"]
    response = api_client(rep).post(f"/api/documents/{brochure.pk}/shares/", {"customer": world.a.pk},
                                    format="json")
    assert response.status_code == 409
    assert response.json()["share"] == world.shares["brochure"].pk


def test_a_document_shared_twice_is_listed_once_showing_the_share_in_force(world):
    # given the manual was shared again after its first share expired, and the brochure has an older
    # duplicate from before the guard (written directly, as old data would be)
    rep = world.staff["rep"]
    renewed = document_share_create(actor=rep, document=world.docs["old_manual"], customer=world.a,
                                    downloadable=False)
    old_copy = DocumentShare.objects.create(document=world.docs["brochure"], customer=world.a, downloadable=True,
                                            created_by=rep, created_at=timezone.now() - dt.timedelta(days=30))
    # when Alice lists her shares
    listed = list(share_list_for_portal(user=world.alice))
    # then each document is there once: the renewed manual (in force) and the newest brochure share
    documents = [share.document_id for share in listed]
    assert len(documents) == len(set(documents))
    by_document = {share.document_id: share for share in listed}
    assert by_document[world.docs["old_manual"].pk].pk == renewed.pk
    assert by_document[world.docs["brochure"].pk].pk == world.shares["brochure"].pk != old_copy.pk
    # and the page shows the manual once, in force
    body = portal_client(world.alice).get(reverse("portal:shares")).content.decode()
    assert body.count("Old manual") == 1 and f'data-share="{renewed.pk}"' in body


def test_the_share_list_reads_in_a_fixed_number_of_queries(world, django_assert_num_queries):
    # given many duplicate shares of one document (old data) beside A's three documents
    rep = world.staff["rep"]
    for _ in range(5):
        DocumentShare.objects.create(document=world.docs["brochure"], customer=world.a, created_by=rep)
    # then the merged list is one query (after the two that find Alice's customer), however many duplicates
    with django_assert_num_queries(3):
        assert len(list(share_list_for_portal(user=world.alice))) == 3


# --- the account manager ---------------------------------------------------------------------------


def test_the_home_page_names_the_account_manager_and_how_to_reach_them(world):
    rep = world.staff["rep"]
    rep.email = "wang.fang@dossier.example.com"
    rep.save(update_fields=["email"])
    other = world.staff["rep_b"]
    other.email = "li.lei@dossier.example.com"
    other.save(update_fields=["email"])
    for language, heading in (("en", "Your account manager"), ("zh-hans", "您的客户经理")):
        body = portal_client(world.alice, language).get(reverse("portal:home")).content.decode()
        assert heading in body
        assert "王芳" in body and f'href="mailto:{rep.email}"' in body
        # never another customer's manager
        assert other.email not in body and "李雷" not in body


# --- a downloadable share is previewed too ---------------------------------------------------------


def test_a_downloadable_share_shows_its_pages_beside_the_download_button(world):
    client = portal_client(world.alice)
    share = world.shares["brochure"]
    # when Alice opens the downloadable brochure (a two-page PDF)
    body = client.get(reverse("portal:share", args=[share.pk])).content.decode()
    # then she gets the Download button and the pages rendered inline
    assert reverse("portal:share_download", args=[share.pk]) in body
    assert body.count(f"/portal/shared/{share.pk}/pages/") == 2
    image = client.get(reverse("portal:share_page", args=[share.pk, 1]))
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
    # and another customer's user gets 404 for the same page
    assert portal_client(world.bob).get(reverse("portal:share_page", args=[share.pk, 1])).status_code == 404


def test_staff_sharing_a_document_twice_on_its_page_read_why_in_their_language(world):
    # given the brochure is shared with A; when 王芳 shares it with A again from the document page (in Chinese)
    rep, brochure = world.staff["rep"], world.docs["brochure"]
    from tests.fixtures.clients import client_for

    response = client_for(rep, "zh-hans").post(reverse("web:share_create", args=[brochure.pk]),
                                               {"customer": world.a.pk, "downloadable": "on"}, follow=True)
    # then the page says it is shared already (no error page), and no second share exists
    assert response.status_code == 200
    assert "此文档已共享给该客户" in response.content.decode()
    assert DocumentShare.objects.filter(document=brochure, customer=world.a).count() == 1
