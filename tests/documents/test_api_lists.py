"""List endpoints: what is visible, filters, keyset pages, and a query count that does not grow with the page."""

from __future__ import annotations

import pytest

from backend.access.services import document_permission_grant
from tests import factories
from tests.fixtures.clients import api_client as client_for

pytestmark = [pytest.mark.django_db, pytest.mark.s3]


@pytest.fixture
def corpus():
    sales = factories.DepartmentFactory(code="sales")
    service = factories.DepartmentFactory(code="service")
    owner = factories.UserFactory(username="owner", department=sales)
    reader = factories.UserFactory(username="reader", department=service)
    docs = {
        "public": factories.document(owner, title="Brochure 数控机床", kind="product_material",
                                     classification="public", tags=["brochure"]),
        "internal": factories.document(owner, title="Internal price list", classification="internal"),
        "confidential": factories.document(owner, title="Confidential contract", classification="confidential"),
        "granted": factories.document(owner, title="Granted bid", kind="bid", classification="secret"),
    }
    document_permission_grant(actor=owner, document=docs["granted"], level="view", user=reader)
    for index in range(6):
        factories.document(owner, title=f"Quote {index}", kind="quote", classification="public")
    return owner, reader, docs


def test_the_list_shows_exactly_what_the_policy_allows(corpus):
    owner, reader, docs = corpus
    # when the reader from another department lists documents
    response = client_for(reader).get("/api/documents/?page_size=100")

    # then public and explicitly granted documents show, internal (other department) and confidential do not
    titles = {row["title"] for row in response.json()["results"]}
    assert docs["public"].title in titles and docs["granted"].title in titles
    assert docs["internal"].title not in titles and docs["confidential"].title not in titles
    assert len(titles) == 8


def test_filters_narrow_the_list_and_bad_filters_are_400(corpus):
    owner, reader, docs = corpus
    client = client_for(owner)
    quotes = client.get("/api/documents/?kind=quote&page_size=100").json()["results"]
    tagged = client.get("/api/documents/?tag=brochure").json()["results"]
    titled = client.get("/api/documents/?q=数控").json()["results"]
    bad = client.get("/api/documents/?kind=poem")
    assert len(quotes) == 6
    assert [row["title"] for row in tagged] == [docs["public"].title]
    assert [row["title"] for row in titled] == [docs["public"].title]
    assert bad.status_code == 400


def test_keyset_pages_walk_everything_once(corpus):
    owner, _, _ = corpus
    client = client_for(owner)
    seen, url = [], "/api/documents/?page_size=3"
    while url:
        body = client.get(url).json()
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
    assert len(seen) == len(set(seen)) == 10


@pytest.mark.parametrize("page_size", [2, 10])
def test_query_count_is_pinned_whatever_the_page_size(corpus, page_size, django_assert_num_queries):
    _, reader, _ = corpus
    client = client_for(reader)
    # session, user, the page (visibility as subqueries, joins for owner/version), the tags prefetch
    with django_assert_num_queries(4):
        response = client.get(f"/api/documents/?page_size={page_size}")
    assert response.status_code == 200
    assert len(response.json()["results"]) == min(page_size, 8)
