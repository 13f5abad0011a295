"""The staff pages record what they disclose, each as its own event: a preview is not a download, a search
keeps its query and count (never the snippets), and opening a customer's 360 page is a read of the customer."""

from __future__ import annotations

import pytest

from backend.audit.models import AuditEvent
from tests.fixtures.clients import client_for

pytestmark = pytest.mark.django_db


def _events(user, *types):
    return list(AuditEvent.objects.filter(actor_id=user.pk, event_type__in=types).order_by("id"))


def test_opening_a_document_page_and_its_preview_records_a_preview_not_a_download(world):
    rep, doc = world.rep, world.quote_doc
    client = client_for(rep)
    since = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()

    # given the document page, which shows the valid PDF in a preview frame
    page = client.get(f"/documents/{doc.pk}/")
    assert page.status_code == 200 and f"/documents/{doc.pk}/versions/1/preview/" in page.content.decode()
    # when the frame loads the preview and the browser reads it all
    preview = client.get(f"/documents/{doc.pk}/versions/1/preview/")
    assert preview.status_code == 200 and b"".join(preview.streaming_content).startswith(b"%PDF")

    # then the trail has a view and a preview, and no download
    new = AuditEvent.objects.filter(id__gt=since, actor_id=rep.pk)
    assert list(new.values_list("event_type", flat=True)) == ["document.viewed", "document.version.previewed"]
    previewed = new.get(event_type="document.version.previewed")
    assert previewed.target_id == str(doc.pk) and previewed.detail["version"] == 1


def test_downloading_from_the_document_page_records_a_download(world):
    # given a colleague who may download the quote
    client = client_for(world.colleague)
    # when they download it and read the body
    response = client.get(f"/documents/{world.quote_doc.pk}/download/")
    b"".join(response.streaming_content)
    # then exactly one download is recorded, and no preview
    assert len(_events(world.colleague, "document.version.downloaded")) == 1
    assert _events(world.colleague, "document.version.previewed") == []


def test_the_search_page_records_the_query_filters_and_count_but_no_snippet(world):
    rep = world.rep
    # when the rep searches with a query and a filter
    page = client_for(rep).get("/search/", {"q": "报价", "kind": "quote"})
    assert page.status_code == 200 and "<mark>报价</mark>" in page.content.decode()

    # then one search is recorded (not one per date bucket), with what was asked and how much was found
    searches = _events(rep, "search.performed")
    assert len(searches) == 1
    detail = searches[0].detail
    assert detail["q"] == "报价" and detail["filters"] == {"kinds": ["quote"]}
    assert detail["count"] == page.context["page"].total >= 1
    assert world.quote_doc.pk in detail["document_ids"]
    # and nothing of the documents' text: no snippet, no highlight
    stored = str(detail) + searches[0].target_label
    assert "<mark>" not in stored and "snippet" not in stored and "Quotation" not in stored


def test_opening_the_search_page_without_a_query_records_nothing(world):
    client_for(world.rep).get("/search/")
    assert _events(world.rep, "search.performed") == []


def test_the_customer_360_page_records_a_read_of_the_customer(world):
    # when the rep opens the customer's page
    assert client_for(world.rep).get(f"/customers/{world.customer.pk}/").status_code == 200
    # then the read is recorded against the customer, with the customer for the console's filter
    viewed = _events(world.rep, "crm.customer.viewed")
    assert len(viewed) == 1
    assert viewed[0].target_type == "crm.customer" and viewed[0].target_id == str(world.customer.pk)
    assert viewed[0].customer_id == world.customer.pk and viewed[0].target_label == world.customer.name


def test_a_customer_page_that_is_not_visible_records_no_read(world):
    assert client_for(world.outsider).get(f"/customers/{world.customer.pk}/").status_code == 404
    assert _events(world.outsider, "crm.customer.viewed") == []
