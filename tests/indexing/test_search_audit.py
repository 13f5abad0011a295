"""A staff search is a read that discloses content: the API records the query, the filters, how many
versions matched and which documents the page showed — never the snippets."""

from __future__ import annotations

import pytest

from backend.audit.models import AuditEvent
from tests import factories
from tests.fixtures.clients import api_client as client_for
from tests.indexing import files

pytestmark = [pytest.mark.django_db, pytest.mark.s3]


@pytest.fixture
def corpus(committed):
    owner = factories.UserFactory(username="owner", department=factories.DepartmentFactory(code="sales"))
    with committed():
        contract = factories.document(owner, title="供货合同 ACME", kind="contract", classification="internal",
                                      content=files.docx_with("数控机床 payment terms net 60"), filename="supply.docx")
        quote = factories.document(owner, title="报价单 ACME", kind="quote", classification="public",
                                   content="報價 128000 元，合同另签".encode("gbk"), filename="quote.txt")
    return owner, contract, quote


def test_a_search_records_its_query_filters_and_count_but_no_snippet(corpus):
    owner, contract, quote = corpus
    # when the owner searches the full text with a filter
    response = client_for(owner).get("/api/search/", {"q": "合同", "kind": "contract,quote", "page_size": 1})
    body = response.json()
    assert response.status_code == 200 and body["count"] == 2 and body["results"][0]["snippet"]

    # then one event holds what was asked, how many matched and which document the page showed
    event = AuditEvent.objects.get(event_type="search.performed")
    assert event.actor == owner and event.target_type == "search.query" and event.target_label == "合同"
    assert event.detail["q"] == "合同" and event.detail["count"] == 2 and event.detail["page"] == 1
    assert event.detail["filters"] == {"kinds": ["contract", "quote"]}
    assert event.detail["document_ids"] == [body["results"][0]["document_id"]]
    # and nothing of the text that matched
    assert "snippet" not in event.detail and "<mark>" not in str(event.detail)
    assert "payment terms" not in str(event.detail) and "128000" not in str(event.detail)


def test_a_search_that_cannot_be_read_records_nothing(corpus):
    owner, _, _ = corpus
    assert client_for(owner).get("/api/search/", {"kind": "nonsense"}).status_code == 400
    assert not AuditEvent.objects.filter(event_type="search.performed").exists()
