"""GET /api/search/: permission trimming, facets, filters, browse, errors (400, 503) and a pinned query count."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from backend.access.services import document_permission_grant, document_permission_revoke
from backend.accounts.models import Role
from backend.documents import services as documents
from backend.documents.models import DocumentVersion
from indexing import links
from tests import factories
from tests.fixtures.clients import api_client as client_for
from tests.indexing import files

pytestmark = [pytest.mark.django_db, pytest.mark.s3]


@pytest.fixture
def corpus(committed):
    sales = factories.DepartmentFactory(code="sales")
    service = factories.DepartmentFactory(code="service")
    owner = factories.UserFactory(username="owner", department=sales)
    reader = factories.UserFactory(username="reader", department=service)
    admin = factories.UserFactory(username="admin", department=service, role=Role.ADMIN)
    with committed():
        docs = {
            "internal": factories.document(owner, title="供货合同 ACME", kind="contract", classification="internal",
                                           content=files.docx_with("数控机床 payment terms net 60"),
                                           filename="supply.docx", tags=["supply"]),
            "public": factories.document(owner, title="报价单 ACME", kind="quote", classification="public",
                                         content="報價 128000 元，合同另签".encode("gbk"), filename="quote.txt"),
            "granted": factories.document(owner, title="标书 tender", kind="bid", classification="secret",
                                          content=files.pdf_with_text("标书 合同 technical"), filename="bid.pdf"),
            "confidential": factories.document(owner, title="Confidential 合同", classification="confidential",
                                               content=b"confidential contract terms", filename="c.txt"),
        }
        document_permission_grant(actor=owner, document=docs["granted"], level="view", user=reader)
    return owner, reader, admin, docs


def titles(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["title"] for row in response.json()["results"]}


def test_results_are_exactly_what_each_caller_may_view(corpus):
    owner, reader, admin, docs = corpus

    assert titles(client_for(owner).get("/api/search/", {"q": "合同"})) == {
        "供货合同 ACME", "报价单 ACME", "标书 tender", "Confidential 合同"}
    # the reader's grant on the tender is "view" (its details, not its pages): found by its title, never by
    # "合同", which only its text holds
    assert titles(client_for(reader).get("/api/search/", {"q": "合同"})) == {"报价单 ACME"}
    assert titles(client_for(reader).get("/api/search/", {"q": "标书"})) == {"标书 tender"}
    # admins see every public and internal document, never confidential or secret ones without a grant
    assert titles(client_for(admin).get("/api/search/", {"q": "合同"})) == {"供货合同 ACME", "报价单 ACME"}


def test_inactive_and_anonymous_callers_get_nothing(corpus, api):
    owner, reader, _, _ = corpus
    reader.is_active = False
    reader.save()

    assert api.get("/api/search/", {"q": "合同"}).status_code in (401, 403)
    assert client_for(reader).get("/api/search/", {"q": "合同"}).status_code in (401, 403)


def test_the_page_is_rechecked_against_the_database(corpus, django_capture_on_commit_callbacks):
    owner, reader, _, docs = corpus
    # the revocation commits but the index is not updated yet (its on-commit work has not run)
    with django_capture_on_commit_callbacks(execute=False):
        document_permission_revoke(actor=owner, document=docs["granted"], user=reader)

    body = client_for(reader).get("/api/search/", {"q": "标书"}).json()

    assert body["results"] == [] and body["count"] == 0


def test_a_result_carries_what_a_list_renders(corpus):
    owner, _, _, docs = corpus

    row = client_for(owner).get("/api/search/", {"q": "控机"}).json()["results"][0]

    assert row["document_id"] == docs["internal"].pk and row["version"] == 1
    assert "<mark>控机</mark>" in row["snippet"]
    assert row["title_highlighted"] == "供货合同 ACME"
    assert row["tags"] == ["supply"] and row["uploaded_by"] == {"id": owner.pk, "name": str(owner)}
    assert row["status"] == "draft" and row["is_valid_version"] is True
    assert row["customers"] == [] and row["amount"] is None and row["score"] > 0


def test_chinese_variants_width_and_phrases_through_the_api(corpus):
    owner, _, _, _ = corpus
    client = client_for(owner)

    assert titles(client.get("/api/search/", {"q": "报价 128000"})) == {"报价单 ACME"}  # 報價 in the file
    assert titles(client.get("/api/search/", {"q": "ＡＣＭＥ 合同"})) == {"供货合同 ACME", "报价单 ACME"}
    assert titles(client.get("/api/search/", {"q": '"net 60"'})) == {"供货合同 ACME"}
    assert titles(client.get("/api/search/", {"q": '"60 net"'})) == set()


def test_facets_count_what_the_caller_may_see(corpus):
    _, reader, _, _ = corpus

    facets = client_for(reader).get("/api/search/", {"q": "合同", "facets": "all"}).json()["facets"]

    # the bid they may only view holds "合同" in its text alone: it is neither found nor counted
    assert {(b["value"], b["count"]) for b in facets["kind"]} == {("quote", 1)}
    assert {b["label"] for b in facets["kind"]} == {"Quote"}
    assert {(b["value"], b["count"]) for b in facets["classification"]} == {("public", 1)}
    assert [b["label"] for b in facets["uploader"]] == ["Owner"]
    assert {b["value"] for b in facets["file_type"]} == {"text/plain"}
    # a word of the bid's title finds and counts it
    facets = client_for(reader).get("/api/search/", {"q": "标书", "facets": "all"}).json()["facets"]
    assert {(b["value"], b["count"]) for b in facets["kind"]} == {("bid", 1)}
    assert {b["label"] for b in facets["kind"]} == {"Bid / tender"}
    assert facets["customer"] == [] and facets["opportunity"] == []


def test_filters_narrow_and_browsing_needs_no_query(corpus):
    owner, _, _, docs = corpus
    client = client_for(owner)

    assert titles(client.get("/api/search/", {"q": "合同", "kind": "quote,bid"})) == {"报价单 ACME", "标书 tender"}
    assert titles(client.get("/api/search/", {"q": "合同", "classification": ["secret", "confidential"]})) == {
        "标书 tender", "Confidential 合同"}
    assert titles(client.get("/api/search/", {"file_type": "pdf"})) == {"标书 tender"}
    assert titles(client.get("/api/search/", {"kind": "contract", "uploader": owner.pk})) == {
        "供货合同 ACME", "Confidential 合同"}
    today = timezone.localdate()
    assert len(titles(client.get("/api/search/", {"date_from": today.isoformat(), "date_to": today.isoformat()}))) == 4
    assert titles(client.get("/api/search/", {"date_to": (today - dt.timedelta(days=1)).isoformat()})) == set()
    newest = client.get("/api/search/", {"sort": "newest"}).json()["results"]
    assert [row["document_id"] for row in newest] == sorted((d.pk for d in docs.values()), reverse=True)


def test_only_valid_versions_unless_all_versions(corpus, committed):
    owner, _, _, docs = corpus
    with committed():
        documents.document_version_approve(actor=owner, version=DocumentVersion.objects.get(document=docs["public"]))
        documents.document_version_create(actor=owner, document=docs["public"],
                                          upload=factories.upload_source(b"draft revision", "quote-v2.txt"))
    client = client_for(owner)

    assert titles(client.get("/api/search/", {"q": "revision"})) == set()
    rows = client.get("/api/search/", {"q": "revision", "all_versions": "1"}).json()["results"]
    assert [(row["version"], row["status"], row["is_valid_version"]) for row in rows] == [(2, "draft", False)]
    rows = client.get("/api/search/", {"q": "128000", "status": "approved"}).json()["results"]
    assert [(row["version"], row["is_valid_version"]) for row in rows] == [(1, True)]


def test_past_quotes_for_a_customer_newest_first_with_amounts(corpus, committed, monkeypatch):
    owner, _, _, docs = corpus
    quotes = [docs["public"]]
    with committed():
        quotes.append(factories.document(owner, title="报价单 v2", kind="quote", classification="public",
                                         content=b"second quote"))
    crm = {
        quotes[0].pk: {"customer_ids": [7], "customer_names": ["上海精工"], "opportunity_ids": [70],
                       "amount": {"value": "128000.00", "currency": "CNY"}},
        quotes[1].pk: {"customer_ids": [7], "customer_names": ["上海精工"], "opportunity_ids": [],
                       "amount": {"value": "99000.00", "currency": "CNY"}},
    }
    # what the index and the result page read (both go through links_from_rows)
    monkeypatch.setattr(links, "links_from_rows", lambda ids, rows: {i: crm.get(i, {}) for i in ids})
    from indexing import hooks

    with committed():
        hooks.index_documents_changed(document_ids=[q.pk for q in quotes], reason="test")

    body = client_for(owner).get("/api/search/", {"kind": "quote", "customer": 7, "sort": "newest",
                                                  "facets": "customer"}).json()

    assert [(r["document_id"], r["amount"]["value"]) for r in body["results"]] == [
        (quotes[1].pk, "99000.00"), (quotes[0].pk, "128000.00")]
    assert body["results"][0]["customers"] == [{"id": 7, "name": "上海精工"}]
    assert body["facets"]["customer"] == [{"value": 7, "label": "上海精工", "count": 2}]
    assert titles(client_for(owner).get("/api/search/", {"q": "精工"})) == {"报价单 ACME", "报价单 v2"}


def test_pages(corpus):
    owner, _, _, _ = corpus
    client = client_for(owner)

    first = client.get("/api/search/", {"page_size": 3}).json()
    second = client.get("/api/search/", {"page_size": 3, "page": 2}).json()

    assert first["count"] == second["count"] == 4
    assert len(first["results"]) == 3 and len(second["results"]) == 1


@pytest.mark.parametrize(
    "params, message",
    [
        ({"q": '"net 60'}, "quotation mark is not closed"),
        ({"q": "a OR"}, "OR needs something"),
        ({"q": "(合同"}, "never closed"),
        ({"kind": "nonsense"}, "kind"),
        ({"date_from": "yesterday"}, "date_from"),
        ({"date_from": "2026-02-01", "date_to": "2026-01-01"}, "before date_from"),
        ({"facets": "weather"}, "Unknown facet"),
        ({"page": 1000, "page_size": 100}, "not available"),
        ({"sort": "random"}, "sort"),
    ],
)
def test_bad_queries_and_filters_are_400_with_a_message(corpus, params, message):
    owner, _, _, _ = corpus

    response = client_for(owner).get("/api/search/", params)

    assert response.status_code == 400
    assert message in response.json()["detail"]


def test_a_dead_search_engine_is_503_with_a_clear_message(corpus, settings, tmp_path):
    owner, _, _, _ = corpus
    blocker = tmp_path / "down"
    blocker.write_text("x")
    settings.SEARCH_URL = f"tantivy://{blocker}/index"

    response = client_for(owner).get("/api/search/", {"q": "合同"})

    assert response.status_code == 503
    assert response.json()["code"] == "search_unavailable"
    assert "search index" in response.json()["detail"]


def test_a_dead_opensearch_is_503_too(corpus, settings):
    owner, _, _, _ = corpus
    settings.SEARCH_URL = "opensearch://127.0.0.1:1/dossier?timeout=2&retries=0"

    response = client_for(owner).get("/api/search/", {"q": "合同"})

    assert response.status_code == 503
    assert "cannot be reached" in response.json()["detail"]


@pytest.mark.parametrize("page_size", [1, 4])
def test_query_count_is_pinned_whatever_the_page_size(corpus, page_size, django_assert_num_queries):
    owner, _, _, _ = corpus
    client = client_for(owner)
    client.get("/api/search/", {"q": "合同"})  # warm the session

    # session, user, the caller's principals (groups and customers, one query), the page's versions
    # re-checked by the policy (one query), and one query for tags, CRM links, amounts and uploader names;
    # + 2: the search is recorded (search.performed: the audit chain's head locked and read, the insert)
    with django_assert_num_queries(7):
        response = client.get("/api/search/", {"q": "合同", "page_size": page_size, "facets": "all"})
    assert len(response.json()["results"]) == page_size


def test_the_schema_documents_the_endpoint(corpus):
    owner, _, _, _ = corpus

    schema = client_for(owner).get("/api/schema/?format=json").json()

    operation = schema["paths"]["/api/search/"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"q", "kind", "customer", "facets", "all_versions"}
    assert "503" in operation["responses"]


def test_the_hand_built_response_matches_the_documented_serializer(corpus):
    from indexing.api.serializers import SearchHitSerializer, SearchPageSerializer

    owner, _, _, _ = corpus

    body = client_for(owner).get("/api/search/", {"q": "合同", "facets": "kind"}).json()

    assert set(body) == set(SearchPageSerializer().fields)
    assert all(set(row) == set(SearchHitSerializer().fields) for row in body["results"])


def test_a_view_grant_finds_the_document_by_its_details_never_by_its_text(corpus, committed):
    # given the reader holds "view" (the details only) on the secret bid
    owner, reader, _admin, docs = corpus

    # when they search a word of its text, nothing is found; the owner finds it with a snippet
    assert client_for(reader).get("/api/search/", {"q": "technical"}).json()["results"] == []
    owned = client_for(owner).get("/api/search/", {"q": "technical"}).json()["results"]
    assert "<mark>technical</mark>" in owned[0]["snippet"]
    # a word of its title finds it, with no text of its pages
    hits = client_for(reader).get("/api/search/", {"q": "tender"}).json()["results"]
    assert [(hit["title"], hit["snippet"]) for hit in hits] == [("标书 tender", None)]

    # and once they may read it on screen, its text finds it and the snippet is theirs too
    with committed():
        document_permission_grant(actor=owner, document=docs["granted"], level="read", user=reader)
    hits = client_for(reader).get("/api/search/", {"q": "technical"}).json()["results"]
    assert "<mark>technical</mark>" in hits[0]["snippet"]
