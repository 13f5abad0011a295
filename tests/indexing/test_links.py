"""CRM links in the index: customer names are searchable, customers and deals filter, amounts show."""

from __future__ import annotations

from decimal import Decimal

import pytest

from backend.crm.models import Product
from backend.crm.services.customers import customer_create, customer_update
from backend.crm.services.links import document_link_create
from backend.crm.services.opportunities import opportunity_create
from backend.crm.services.quotes import quote_attach_document, quote_create
from indexing.links import links_for_documents
from tests import factories
from tests.fixtures.clients import api_client as client_for

pytestmark = [pytest.mark.django_db, pytest.mark.s3]


@pytest.fixture
def quoted(django_capture_on_commit_callbacks):
    rep = factories.UserFactory(username="rep")
    with django_capture_on_commit_callbacks(execute=True):
        customer = customer_create(actor=rep, name="杭州精密机床有限公司", region="Hangzhou")
        deal = opportunity_create(actor=rep, customer=customer, title="Five-axis cell")
        product = Product.objects.create(code="VMC850", name="VMC850", list_price=Decimal("268000"))
        quote, _ = quote_create(actor=rep, customer=customer, opportunity=deal,
                                lines=[{"product": product, "quantity": "2"}])
        document = factories.document(rep, title="Quotation VMC850", kind="quote",
                                      content=factories.pdf_bytes("quote-pdf"))
        quote_attach_document(actor=rep, quote=quote, document=document)
        other = factories.document(rep, title="Quotation for someone else", kind="quote")
    return rep, customer, deal, document, other


def test_links_for_documents_reports_customers_deals_and_the_quote_amount(quoted, django_assert_max_num_queries):
    rep, customer, deal, document, other = quoted
    with django_assert_max_num_queries(1):
        facts = links_for_documents([document.pk, other.pk])
    assert facts[other.pk] == {}
    assert facts[document.pk]["customer_ids"] == [customer.pk]
    assert facts[document.pk]["customer_names"] == ["杭州精密机床有限公司"]
    assert facts[document.pk]["opportunity_ids"] == [deal.pk]
    assert facts[document.pk]["amount"] == {"value": "536000.00", "currency": "CNY"}


def test_search_filters_by_customer_and_finds_documents_by_customer_name(quoted, django_capture_on_commit_callbacks):
    rep, customer, deal, document, other = quoted
    client = client_for(rep)

    # when searching by the customer filter, and by words of the customer's name
    by_filter = client.get(f"/api/search/?customer={customer.pk}").json()
    by_name = client.get("/api/search/?q=精密机床").json()

    # then only the linked quote document comes back, with its customer and amount
    assert [row["document_id"] for row in by_filter["results"]] == [document.pk]
    assert document.pk in [row["document_id"] for row in by_name["results"]]
    row = by_filter["results"][0]
    assert row["customers"] == [{"id": customer.pk, "name": "杭州精密机床有限公司"}]

    # when the customer is renamed, then search follows
    with django_capture_on_commit_callbacks(execute=True):
        customer_update(actor=rep, customer=customer, name="Hangzhou Precision Machine Tools")
    renamed = client.get("/api/search/?q=Hangzhou precision").json()
    assert document.pk in [r["document_id"] for r in renamed["results"]]


def test_linking_a_document_reindexes_it(quoted, django_capture_on_commit_callbacks):
    rep, customer, deal, document, other = quoted
    with django_capture_on_commit_callbacks(execute=True):
        document_link_create(actor=rep, document=other, target=deal)
    rows = client_for(rep).get(f"/api/search/?customer={customer.pk}").json()["results"]
    assert {row["document_id"] for row in rows} == {document.pk, other.pk}


def test_the_result_page_reads_tags_links_and_uploader_names_in_one_reused_query(
    quoted, django_assert_num_queries
):
    from backend.documents.models import Tag
    from indexing.selectors import _page_facts

    rep, customer, deal, document, other = quoted
    other.tags.add(Tag.objects.create(name="urgent"), Tag.objects.create(name="archive"))
    rep.display_name = "Rep Zhang"
    rep.save(update_fields=["display_name"])
    colleague = factories.UserFactory(username="colleague", first_name="Li", last_name="Wei", display_name="")

    # given the statement compiled for two documents and two uploaders, when other ids of the same
    # shape come (in any order), then each gets its own facts (nothing is left from the first call)
    with django_assert_num_queries(1):
        tags, links, users = _page_facts(sorted([document.pk, other.pk]), sorted([rep.pk, colleague.pk]))
    assert tags == {other.pk: ["archive", "urgent"]}
    assert links[document.pk]["amount"] == {"value": "536000.00", "currency": "CNY"}
    assert links[other.pk] == {}
    assert {pk: str(user) for pk, user in users.items()} == {rep.pk: "Rep Zhang", colleague.pk: "Li Wei"}

    lone = factories.document(rep, title="Unlinked")
    with django_assert_num_queries(1):
        tags, links, users = _page_facts(sorted([lone.pk, other.pk]), sorted([colleague.pk, rep.pk]))
    assert tags == {other.pk: ["archive", "urgent"]}
    assert links == {lone.pk: {}, other.pk: {}}
    assert set(users) == {rep.pk, colleague.pk}

    # and pages without documents or without uploader facets work too
    assert _page_facts([], [rep.pk])[2][rep.pk].username == "rep"
    assert _page_facts([document.pk], [])[1][document.pk]["customer_ids"] == [customer.pk]
