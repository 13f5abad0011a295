"""The OpenSearch request bodies, pinned as golden JSON (tests/indexing/golden/).

What we send is fixed here; the shared contract suites (tests/contract/) check what a real
OpenSearch node does with it. After a deliberate change, rewrite the files with `UPDATE_GOLDEN=1 pytest tests/indexing/test_opensearch_golden.py` and review the diff.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
import time
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
    assert index == "dossier-prod" and options == {"replicas": 1, "bulk_timeout": 120.0, "bulk_streams": 2}
    assert client_options_from_url("opensearch://localhost:9200")[1] == "dossier-versions"
    # bulk writes wait longer than searches, and never less than them
    assert client_options_from_url("opensearch://h:9200/i?timeout=5&bulk_timeout=600")[2]["bulk_timeout"] == 600.0
    assert client_options_from_url("opensearch://h:9200/i?timeout=300&bulk_timeout=60")[2]["bulk_timeout"] == 300.0
    # bulk requests in flight at once during a rebuild; 1 sends them one after the other
    assert client_options_from_url("opensearch://h:9200/i?bulk_streams=1")[2]["bulk_streams"] == 1
    assert client_options_from_url("opensearch://h:9200/i?bulk_streams=3")[0]["pool_maxsize"] == 4
    assert client_options_from_url("opensearch://h:9200/i?bulk_streams=0")[2]["bulk_streams"] == 1


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


class SlowBulkClient(RecordingClient):
    """Each bulk request takes `seconds`; records how many were being answered at once, and per document."""

    def __init__(self, seconds=0.2, fail_bulk=None):
        super().__init__()
        self.seconds = seconds
        self.fail_bulk = fail_bulk
        self.lock = threading.Lock()
        self.active: list[set[str]] = []
        self.most_at_once = 0
        self.overlapping_ids: set[str] = set()

    def bulk(self, **kwargs):
        ids = {line["index"]["_id"] for line in kwargs["body"] if "index" in line}
        with self.lock:
            for other in self.active:
                self.overlapping_ids |= other & ids
            self.active.append(ids)
            self.most_at_once = max(self.most_at_once, len(self.active))
        try:
            time.sleep(self.seconds)
            self._record("bulk", **kwargs)
            if self.fail_bulk is not None:
                raise self.fail_bulk
            return {"errors": False, "items": []}
        finally:
            with self.lock:
                self.active.remove(ids)


def test_bulk_mode_keeps_two_requests_in_flight_and_waits_for_them_before_the_refresh():
    # given a node that takes a while per bulk request
    client = SlowBulkClient()
    backend = OpenSearchBackend("opensearch://localhost:9200/dossier-test", client=client)

    # when a rebuild writes four batches of different documents
    with backend.bulk():
        for document_id in range(1, 5):
            backend.replace_documents([document_id], [_doc(document_id * 10, document_id)])

    # then two were sent at once (bulk_streams=2 by default), and the refresh came after every write
    assert client.most_at_once == 2
    names = [name for name, _ in client.calls]
    assert names.count("bulk") == 4 and names.count("delete_by_query") == 4
    assert names[-1] == "indices.refresh"


def test_bulk_mode_never_sends_two_writes_of_one_document_at_once():
    # given a slow node
    client = SlowBulkClient()
    backend = OpenSearchBackend("opensearch://localhost:9200/dossier-test", client=client)

    # when the same document is written twice in a row inside bulk() (a newer version the second time)
    with backend.bulk():
        backend.replace_documents([1], [_doc(10, 1)])
        backend.replace_documents([1], [_doc(10, 1), _doc(11, 1)])

    # then the second write waited for the first: they reach the node in order, never side by side
    assert client.most_at_once == 1 and not client.overlapping_ids
    bulks = [kwargs for name, kwargs in client.calls if name == "bulk"]
    assert [len(b["body"]) for b in bulks] == [2, 4]


def test_bulk_mode_raises_a_failed_background_write_and_skips_the_refresh():
    from opensearchpy import exceptions

    # given a node that refuses every bulk request
    client = SlowBulkClient(seconds=0.01, fail_bulk=exceptions.ConnectionError("N/A", "refused", None))
    backend = OpenSearchBackend("opensearch://localhost:9200/dossier-test", client=client)

    # when a rebuild writes through bulk(), then the failure surfaces (at the latest when the block ends)
    with pytest.raises(SearchUnavailable):
        with backend.bulk():
            backend.replace_documents([1], [_doc(10, 1)])
    assert "indices.refresh" not in [name for name, _ in client.calls]
    # and the backend is usable again afterwards, writing synchronously outside bulk()
    client.fail_bulk = None
    backend.replace_documents([2], [_doc(20, 2)])
    assert client.calls[-2][1]["refresh"] == "wait_for"


def test_one_bulk_stream_writes_one_request_at_a_time():
    client = SlowBulkClient(seconds=0.05)
    backend = OpenSearchBackend("opensearch://localhost:9200/dossier-test?bulk_streams=1", client=client)

    with backend.bulk():
        for document_id in range(1, 4):
            backend.replace_documents([document_id], [_doc(document_id * 10, document_id)])

    assert client.most_at_once == 1


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
