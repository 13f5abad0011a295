"""Pages pin their query counts, and adding rows does not add queries (no N+1), customer 360 included."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from backend.crm.models import Activity, ActivityKind, OpportunityStageChange
from backend.crm.services import quotes as quote_services
from backend.crm.services.links import document_link_create
from backend.crm.services.opportunities import opportunity_create
from backend.crm.services.orders import order_create
from backend.documents.services import document_create, document_version_create
from tests.fixtures.clients import client_for
from tests.web.world import pdf_with_text, upload

pytestmark = pytest.mark.django_db


def _more_of_everything(world, n: int = 3):
    """More documents, versions, quotes, orders, deals and activities around the same customer."""
    rep = world.rep
    for i in range(n):
        document, _ = document_create(actor=rep, title=f"报价附件 {i}", kind="quote", classification="internal",
                                      upload=upload(pdf_with_text(f"附件 {i}"), f"a{i}.pdf"), tags=[f"t{i}"])
        document_version_create(actor=rep, document=document, upload=upload(pdf_with_text(f"附件 {i} v2"), "b.pdf"))
        document_link_create(actor=rep, document=document, target=world.customer)
        quote, _ = quote_services.quote_create(actor=rep, customer=world.customer, lines=[
            {"product": world.product.pk, "quantity": "1", "unit_price": str(110000 + i), "discount_percent": "0"}])
        quote_services.quote_status_change(actor=rep, quote=quote, status="sent")
        opportunity_create(actor=rep, customer=world.customer, title=f"Deal {i}", amount=Decimal("1000"))
        order_create(actor=rep, customer=world.customer, lines=[
            {"product": world.product.pk, "quantity": "1", "unit_price": "1000"}])
        Activity.objects.create(customer=world.customer, kind=ActivityKind.CALL, subject=f"电话 {i}", owner=rep,
                                occurred_at=timezone.now() - dt.timedelta(hours=i))
        Activity.objects.create(customer=world.customer, kind=ActivityKind.REMINDER, subject=f"提醒 {i}", owner=rep,
                                due_at=timezone.now() + dt.timedelta(days=i))
    assert OpportunityStageChange.objects.exists()


def _count(django_assert_max_num_queries, client, url, expected):
    with django_assert_max_num_queries(expected) as captured:
        response = client.get(url)
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
    assert response.status_code == 200, url
    return len(captured.captured_queries)


PAGES = {
    # url template: the pinned number of queries (session + user included)
    # + 1 on every page: the header's unread count (backend/web/templatetags/dossier_notifications.py);
    # + 1 on the customer and document pages: the watch toggle (and one for all contacts' e-mail consents)
    # home: its document lists join only the valid version and read no tags (no tags query)
    "home": ("/", 8),
    # + 1: the contacts' portal accounts (state, open invitation), one query for all contacts;
    # + 2: opening the customer is a recorded read (crm.customer.viewed: the chain's head locked and read, the insert)
    # - 1: the last accepted prices are found among the history's lines (all of them are read)
    "customer": ("/customers/{customer}/", 20),
    "customers": ("/customers/", 5),
    # + 3: the shares with customers, and which customers opened them (two reads of the audit trail)
    # + 1: the legal holds covering it; + 1: its retention row (the retention panel)
    "document": ("/documents/{quote_doc}/", 15),
    "pipeline": ("/pipeline/", 6),
    # + 1: each state's count (a column shows its first RECORDS_PER_STATE records and says how many more)
    "service": ("/service/", 11),
}


@pytest.mark.parametrize("name", sorted(PAGES))
def test_page_query_counts_are_pinned_and_do_not_grow(world, name, django_assert_num_queries,
                                                       django_assert_max_num_queries):
    url, expected = PAGES[name]
    url = url.format(customer=world.customer.pk, quote_doc=world.quote_doc.pk)
    client = client_for(world.rep)
    client.get(url)  # warm the session
    # given the small world: exactly the pinned number
    with django_assert_num_queries(expected):
        response = client.get(url)
    assert response.status_code == 200
    # when there are several more rows of everything the page lists: still the same number
    _more_of_everything(world)
    with django_assert_num_queries(expected):
        assert client.get(url).status_code == 200


def test_search_page_query_count_does_not_grow_with_the_results(world, django_capture_on_commit_callbacks):
    # The search page runs the search selector once and asks the engine for three date-shortcut counts;
    # how many queries that costs belongs to indexing/ and may change, but it must not grow with the results.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(world.rep)
    client.get("/search/?q=报价")
    with CaptureQueriesContext(connection) as before:
        first = client.get("/search/?q=报价").content.decode().count('<article class="hit"')
    with django_capture_on_commit_callbacks(execute=True):
        _more_of_everything(world)
    with CaptureQueriesContext(connection) as after:
        page = client.get("/search/?q=报价")
    assert page.status_code == 200 and page.content.decode().count('<article class="hit"') > first
    assert len(after.captured_queries) == len(before.captured_queries)


def test_compliance_pages_query_counts(world, django_assert_num_queries):
    client = client_for(world.compliance)
    client.get("/compliance/")
    # the page, plus one query for the names of the people its events name (one more when they name customers),
    # and the header's unread count
    with django_assert_num_queries(7):
        assert client.get("/compliance/").status_code == 200
    # and, by a person's name and a date, the same with that person's lookup and the date range's probes
    with django_assert_num_queries(9):
        assert client.get(f"/compliance/?user=wang.fang&date_from={timezone.localdate():%Y-%m-%d}").status_code == 200
