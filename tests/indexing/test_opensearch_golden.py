"""The OpenSearch request bodies, pinned as golden JSON (tests/indexing/golden/).

What we send is fixed here; the shared contract suites (tests/contract/) check what a real
OpenSearch node does with it. After a deliberate change, rewrite the files with `UPDATE_GOLDEN=1 pytest tests/indexing/test_opensearch_golden.py` and review the diff.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest

from indexing import query
from indexing.backends import IndexDoc, InvalidSearch, SearchFilters, SearchRequest, SearchUnavailable
from indexing.backends.opensearch import (
    OpenSearchBackend,
    client_options_from_url,
    document_source,
    index_body,
    parse_search_response,
    search_body,
)

GOLDEN = Path(__file__).parent / "golden"
UTC = dt.timezone.utc


def assert_golden(name: str, value) -> None:
    path = GOLDEN / f"{name}.json"
    text = json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"{path} is missing: run with UPDATE_GOLDEN=1 once and review it"
    assert json.loads(path.read_text(encoding="utf-8")) == json.loads(text), f"{name} differs from {path}"


def request(q, **options) -> SearchRequest:
    return SearchRequest(query=query.parse(q) if q else None, principals=("group:3", "staff", "user:7"), **options)


def test_index_settings_and_mappings():
    body = index_body()

    analyzer = body["settings"]["analysis"]["analyzer"]["dossier_text"]
    assert analyzer["char_filter"] == ["dossier_fold", "dossier_split"]
    assert analyzer["filter"] == ["lowercase", "dossier_length", "dossier_stem", "cjk_bigram"]
    assert body["settings"]["analysis"]["filter"]["dossier_stem"] == {"type": "stemmer", "language": "porter2"}
    fold = body["settings"]["analysis"]["char_filter"]["dossier_fold"]["mappings"]
    assert "報 => 报" in fold and "Ａ => A" in fold and "\\u0301 => " in fold
    assert_golden("index_body", body)


def test_document_source():
    doc = IndexDoc(
        version_id=12, document_id=5, title="供货合同 Supply", meta="supply v2 pdf\nurgent", body="数控机床 net 60",
        kind="contract", classification="internal", status="approved", is_valid=True, mime_type="application/pdf",
        uploader_id=3, created_at=dt.datetime(2026, 3, 1, 8, 30, tzinfo=UTC), principals=["dept:2", "user:3"],
        customer_ids=[7], customer_names=["上海精工"], opportunity_ids=[70],
    )
    assert_golden("document_source", document_source(doc))


@pytest.mark.parametrize(
    "name, q, options",
    [
        ("query_words", "payment terms", {}),
        ("query_phrase_and_chinese", '"net 60" 数控机床', {}),
        ("query_boolean", '(合同 OR contract) -draft NOT "price list"', {}),
        ("query_only_negative", "-draft", {}),
        ("browse_with_filters_and_facets", None, {
            "filters": SearchFilters(kinds=("quote",), customer_ids=(7,), statuses=("approved", "expired"),
                                     mime_types=("application/pdf",), uploader_ids=(3,), opportunity_ids=(70,),
                                     date_from=dt.datetime(2026, 1, 1, tzinfo=UTC),
                                     date_to=dt.datetime(2026, 2, 1, tzinfo=UTC)),
            "facets": ("kind", "customer", "uploader", "file_type", "status", "classification", "opportunity"),
            "sort": "newest", "offset": 40, "limit": 20,
        }),
        ("all_versions_oldest_no_highlight", "报价", {
            "filters": SearchFilters(all_versions=True, document_ids=(5, 6)), "sort": "oldest", "highlight": False,
        }),
    ],
)
def test_search_bodies(name, q, options):
    assert_golden(f"search_{name}", search_body(request(q, **options)))


def test_search_responses_are_parsed_into_hits_and_facets():
    req = request("合同", facets=("kind", "customer"))
    response = {
        "hits": {"total": {"value": 2, "relation": "eq"}, "hits": [
            {"_score": 3.5, "_source": {"version_id": 12, "document_id": 5, "snippet_source": "供货合同 <b>"}},
            {"_score": 1.0, "_source": {"version_id": 13, "document_id": 6}},
        ]},
        "aggregations": {"kind": {"buckets": [{"key": "contract", "doc_count": 2}]},
                         "customer": {"buckets": [{"key": "7:ACME", "doc_count": 1}]}},
    }

    result = parse_search_response(req, response)

    assert result.total == 2
    assert [(h.version_id, h.document_id, h.score, h.snippet) for h in result.hits] == [
        (12, 5, 3.5, "供货<mark>合同</mark> &lt;b&gt;"), (13, 6, 1.0, "")]
    assert [(b.value, b.count) for b in result.facets["customer"]] == [("7:ACME", 1)]


def test_urls_name_the_host_index_credentials_and_tls():
    kwargs, index, options = client_options_from_url(
        "opensearch://admin:p%40ss@search.internal:9201/dossier-prod?tls=1&verify=0&replicas=1")

    assert kwargs["hosts"] == [{"host": "search.internal", "port": 9201, "scheme": "https"}]
    assert kwargs["http_auth"] == ("admin", "p@ss")
    assert kwargs["verify_certs"] is False
    assert index == "dossier-prod" and options == {"replicas": 1, "bulk_timeout": 120.0}
    assert client_options_from_url("opensearch://localhost:9200")[1] == "dossier-versions"
    # bulk writes wait longer than searches, and never less than them
    assert client_options_from_url("opensearch://h:9200/i?timeout=5&bulk_timeout=600")[2]["bulk_timeout"] == 600.0
    assert client_options_from_url("opensearch://h:9200/i?timeout=300&bulk_timeout=60")[2]["bulk_timeout"] == 300.0


# -- the backend's calls, against a recording client --------------------------------------------


class RecordingClient:
    def __init__(self, fail=None, search_response=None):
        self.calls = []
        self.fail = fail
        self.search_response = search_response or {"hits": {"total": {"value": 0}, "hits": []}}
        self.indices = self

    def _record(self, name, **kwargs):
        self.calls.append((name, kwargs))
        if self.fail is not None:
            raise self.fail

    # indices.*
    def exists(self, **kwargs):
        self._record("indices.exists", **kwargs)
        return False

    def create(self, **kwargs):
        self._record("indices.create", **kwargs)

    def refresh(self, **kwargs):
        self._record("indices.refresh", **kwargs)

    # client.*
    def bulk(self, **kwargs):
        self._record("bulk", **kwargs)
        return {"errors": False, "items": []}

    def delete_by_query(self, **kwargs):
        self._record("delete_by_query", **kwargs)

    def search(self, **kwargs):
        self._record("search", **kwargs)
        return self.search_response


def _doc(version_id, document_id):
    return IndexDoc(version_id=version_id, document_id=document_id, title="t", meta="", body="b", kind="quote",
                    classification="public", status="draft", is_valid=True, mime_type="text/plain", uploader_id=1,
                    created_at=dt.datetime(2026, 1, 1, tzinfo=UTC), principals=["staff"])


def test_replacing_a_document_indexes_its_versions_then_deletes_the_others():
    client = RecordingClient()
    backend = OpenSearchBackend("opensearch://localhost:9200/dossier-test", client=client)

    backend.replace_documents([5], [_doc(12, 5), _doc(13, 5)])

    names = [name for name, _ in client.calls]
    assert names == ["indices.exists", "indices.create", "bulk", "delete_by_query"]
    bulk = client.calls[2][1]
    assert bulk["refresh"] == "wait_for"
    assert bulk["request_timeout"] == 120.0  # a reindex batch on a busy node outlasts the search timeout
    assert [line for line in bulk["body"] if "index" in line] == [
        {"index": {"_index": "dossier-test", "_id": "12"}}, {"index": {"_index": "dossier-test", "_id": "13"}}]
    assert client.calls[3][1]["body"] == {"query": {"bool": {
        "filter": [{"terms": {"document_id": [5]}}], "must_not": [{"terms": {"version_id": [12, 13]}}]}}}


def test_bulk_mode_defers_refresh_to_the_end():
    client = RecordingClient()
    backend = OpenSearchBackend("opensearch://localhost:9200/dossier-test", client=client)

    with backend.bulk():
        backend.index([_doc(1, 1)])

    assert client.calls[-2][1]["refresh"] is False
    assert client.calls[-1][0] == "indices.refresh"


def test_connection_failures_are_search_unavailable_and_bad_requests_invalid():
    from opensearchpy import exceptions

    down = OpenSearchBackend("opensearch://localhost:9200/x", client=RecordingClient(
        fail=exceptions.ConnectionError("N/A", "refused", None)))
    with pytest.raises(SearchUnavailable):
        down.search(request("x"))

    client = RecordingClient()
    backend = OpenSearchBackend("opensearch://localhost:9200/x", client=client)
    backend._ready_checked = True
    client.fail = exceptions.RequestError(400, "search_phase_execution_exception",
                                          {"error": {"root_cause": [{"reason": "too many clauses"}]}})
    with pytest.raises(InvalidSearch, match="too many clauses"):
        backend.search(request("x"))
