"""Every portal page as its portal user sees it: status, content, audit rows with the customer."""

from __future__ import annotations

import pytest
from django.urls import reverse

from backend.audit.models import AuditEvent
from tests.fixtures.clients import portal_client

pytestmark = pytest.mark.django_db(transaction=False)


def events(event_type, **filters):
    return AuditEvent.objects.filter(event_type=event_type, **filters)


def test_home_shows_own_customer_and_nothing_of_the_other(world):
    # given Alice of customer A
    client = portal_client(world.alice)
    # when she opens the portal home
    response = client.get(reverse("portal:home"))
    # then she sees A's name, her shares, announcements for everyone, but nothing addressed to B
    body = response.content.decode()
    assert response.status_code == 200
    assert world.a.name in body
    assert "数控车床 CNC-200 产品手册" in body
    assert "Holiday service hours" in body
    assert "Maintenance window" not in body
    assert world.b.name not in body
    assert "北京远航 合同" not in body


def test_every_list_page_renders_in_both_languages(world):
    for language in ("en", "zh-hans"):
        client = portal_client(world.alice, language)
        for name in ("portal:home", "portal:shares", "portal:knowledge", "portal:orders", "portal:service",
                     "portal:announcements", "portal:service_new"):
            response = client.get(reverse(name))
            assert response.status_code == 200, (name, language)
            assert f'lang="{language}"' in response.content.decode()


def test_chinese_interface_is_translated(world):
    client = portal_client(world.alice, "zh-hans")
    body = client.get(reverse("portal:home")).content.decode()
    assert "客户门户" in body
    assert "共享文档" in body


def test_downloadable_share_downloads_and_is_audited_with_the_customer(world):
    client = portal_client(world.alice)
    share = world.shares["brochure"]
    page = client.get(reverse("portal:share", args=[share.pk]))
    assert page.status_code == 200
    assert reverse("portal:share_download", args=[share.pk]) in page.content.decode()
    response = client.get(reverse("portal:share_download", args=[share.pk]))
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    assert content.startswith(b"%PDF")
    assert events("portal.share.viewed", customer_id=world.a.pk, actor=world.alice,
                  target_id=str(share.document_id)).count() == 1
    assert events("portal.share.downloaded", customer_id=world.a.pk, actor=world.alice, outcome="success").count() == 1


def test_view_only_share_renders_pages_and_refuses_the_file(world):
    client = portal_client(world.alice)
    share = world.shares["pricelist"]
    page = client.get(reverse("portal:share", args=[share.pk]))
    body = page.content.decode()
    assert page.status_code == 200
    assert "share_download" not in body and reverse("portal:share_download", args=[share.pk]) not in body
    assert body.count(f'/portal/shared/{share.pk}/pages/') == 3
    image = client.get(reverse("portal:share_page", args=[share.pk, 1]))
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    assert image.content.startswith(b"\x89PNG")
    assert client.get(reverse("portal:share_page", args=[share.pk, 4])).status_code == 404
    direct = client.get(reverse("portal:share_download", args=[share.pk]))
    assert direct.status_code == 404
    assert events("portal.share.downloaded", outcome="denied", customer_id=world.a.pk).count() == 1


def test_expired_share_says_so_with_410(world):
    client = portal_client(world.alice)
    response = client.get(reverse("portal:share", args=[world.shares["expired"].pk]))
    assert response.status_code == 410
    assert "This share has expired" in response.content.decode()
    assert client.get(reverse("portal:share_download", args=[world.shares["expired"].pk])).status_code == 410


def test_knowledge_search_in_chinese_is_trimmed_to_the_customer(world):
    client = portal_client(world.alice, "zh-hans")
    response = client.get(reverse("portal:knowledge"), {"q": "主轴"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Spindle maintenance" in body
    assert "Interface notes" not in body  # addressed to B only
    assert "Pricing strategy" not in body  # internal
    assert "Draft spindle" not in body  # draft
    assert events("portal.knowledge.searched", customer_id=world.a.pk).count() == 1
    # Bob of B finds his own article
    bob = portal_client(world.bob).get(reverse("portal:knowledge"), {"q": "接口"}).content.decode()
    assert "Interface notes" in bob


def test_bad_knowledge_query_is_a_400_with_a_message(world):
    response = portal_client(world.alice).get(reverse("portal:knowledge"), {"q": '"unclosed'})
    assert response.status_code == 400
    assert "could not be understood" in response.content.decode()


def test_reading_an_article_is_audited(world):
    client = portal_client(world.alice)
    article = world.articles["public"]
    assert client.get(reverse("portal:article", args=[article.pk])).status_code == 200
    assert events("portal.article.read", customer_id=world.a.pk, target_id=str(article.pk)).count() == 1
    assert client.get(reverse("portal:article", args=[world.articles["b_only"].pk])).status_code == 404
    assert client.get(reverse("portal:article", args=[world.articles["internal"].pk])).status_code == 404


def test_an_article_reads_as_formatted_text_and_markup_typed_in_it_stays_text(world):
    # given a published article written in Markdown, with a line of HTML in it
    article = world.articles["public"]
    type(article).objects.filter(pk=article.pk).update(
        body="## Steps\n\n1. Stop the **spindle**\n2. Check the belt\n\n<script>alert(1)</script>")
    # when the customer reads it
    page = portal_client(world.alice).get(reverse("portal:article", args=[article.pk])).content.decode()
    # then they see headings, lists and emphasis, not the Markdown signs, and the HTML only as text
    assert "<strong>spindle</strong>" in page and "<ol>" in page and "## Steps" not in page
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


def test_order_shows_amounts_invoices_and_outstanding(world):
    client = portal_client(world.alice)
    response = client.get(reverse("portal:order", args=[world.orders["a"].pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert world.orders["a"].number in body
    assert "100,000.00" in body and "60,000.00" in body and "40,000.00" in body
    assert events("portal.order.viewed", customer_id=world.a.pk).count() == 1
