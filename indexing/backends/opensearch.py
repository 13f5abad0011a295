"""The production search backend: OpenSearch (SEARCH_URL=opensearch://[user:pass@]host:9200[/index][?tls=1]).

The analysis is spelled with built-in parts only (no plugins), matching indexing/analysis.py:

    char_filter  dossier_t2s   mapping: traditional -> simplified (analysis.T2S)
    tokenizer    standard      Unicode word segmentation; Han characters one per token
    filters      cjk_width     full-width ASCII -> half-width, half-width katakana -> full-width
                 lowercase
                 asciifolding  é -> e, ß -> ss
                 cjk_bigram    adjacent CJK tokens -> overlapping bigrams, a lone one stays a unigram

`index_body()` and `search_body()` are pure functions so tests pin them as golden JSON
(tests/indexing/golden/); the shared contract suite runs against a real cluster when
OPENSEARCH_URL is set.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from urllib.parse import parse_qs, unquote, urlsplit

from indexing import analysis
from indexing.backends.base import (
    FACET_FIELDS,
    FACET_SIZE,
    FIELD_BOOSTS,
    SNIPPET_CHARS,
    TIE_BREAKER,
    FacetBucket,
    Hit,
    IndexDoc,
    IndexStats,
    InvalidSearch,
    SearchBackend,
    SearchRequest,
    SearchResult,
    SearchUnavailable,
)
from indexing.query import And, Match, Node, Not, Or

ANALYZER = "dossier_text"
DEFAULT_INDEX = "dossier-versions"


# --- request bodies (pure) -------------------------------------------------------------------


def index_body(*, max_analyzed_offset: int = 2_000_000, replicas: int = 0) -> dict:
    """Settings and mappings of the versions index."""
    mappings = [f"{traditional} => {simplified}" for traditional, simplified in sorted(analysis.T2S.items())]
    text = {"type": "text", "analyzer": ANALYZER}
    return {
        "settings": {
            "index": {
                "number_of_shards": 1,
                "number_of_replicas": replicas,
                "highlight": {"max_analyzed_offset": max_analyzed_offset},
            },
            "analysis": {
                "char_filter": {"dossier_t2s": {"type": "mapping", "mappings": mappings}},
                "analyzer": {
                    ANALYZER: {
                        "type": "custom",
                        "char_filter": ["dossier_t2s"],
                        "tokenizer": "standard",
                        "filter": ["cjk_width", "lowercase", "asciifolding", "cjk_bigram"],
                    }
                },
            },
        },
        "mappings": {
            "dynamic": "strict",
            "properties": {
                "version_id": {"type": "long"},
                "document_id": {"type": "long"},
                "title": text,
                "meta": text,
                "body": text,
                "principals": {"type": "keyword"},
                "kind": {"type": "keyword"},
                "classification": {"type": "keyword"},
                "status": {"type": "keyword"},
                "mime_type": {"type": "keyword"},
                "customer_labels": {"type": "keyword"},
                "customer_ids": {"type": "long"},
                "opportunity_ids": {"type": "long"},
                "uploader_id": {"type": "long"},
                "is_valid": {"type": "boolean"},
                "created": {"type": "date"},
            },
        },
    }


def document_source(doc: IndexDoc) -> dict:
    return {
        "version_id": doc.version_id,
        "document_id": doc.document_id,
        "title": doc.title,
        "meta": doc.meta,
        "body": doc.body,
        "principals": list(doc.principals),
        "kind": doc.kind,
        "classification": doc.classification,
        "status": doc.status,
        "mime_type": doc.mime_type,
        "customer_labels": doc.customer_labels,
        "customer_ids": list(doc.customer_ids),
        "opportunity_ids": list(doc.opportunity_ids),
        "uploader_id": doc.uploader_id,
        "is_valid": doc.is_valid,
        "created": _iso(doc.created_at),
    }


def _iso(value: dt.datetime) -> str:
    return value.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")


def _match_query(node: Match) -> dict:
    queries = []
    for field_name, boost in FIELD_BOOSTS.items():
        queries.append({"match_phrase": {field_name: {"query": node.text, "boost": boost}}})
    return {"dis_max": {"queries": queries, "tie_breaker": TIE_BREAKER}}


def _node_query(node: Node) -> dict:
    if isinstance(node, Match):
        return _match_query(node)
    if isinstance(node, Not):
        return {"bool": {"must_not": [_node_query(node.child)]}}
    if isinstance(node, And):
        must = [_node_query(child) for child in node.children if not isinstance(child, Not)]
        must_not = [_node_query(child.child) for child in node.children if isinstance(child, Not)]
        body: dict = {}
        if must:
            body["must"] = must
        if must_not:
            body["must_not"] = must_not
        return {"bool": body}
    if isinstance(node, Or):
        return {"bool": {"should": [_node_query(child) for child in node.children], "minimum_should_match": 1}}
    raise TypeError(node)  # pragma: no cover


def _filters(request: SearchRequest) -> list[dict]:
    f = request.filters
    filters: list[dict] = [{"terms": {"principals": list(request.principals)}}]
    if not f.all_versions:
        filters.append({"term": {"is_valid": True}})
    for field_name, values in f.term_filters():
        filters.append({"terms": {field_name: values}})
    if f.date_from is not None or f.date_to is not None:
        bounds = {}
        if f.date_from is not None:
            bounds["gte"] = _iso(f.date_from)
        if f.date_to is not None:
            bounds["lt"] = _iso(f.date_to)
        filters.append({"range": {"created": bounds}})
    return filters


def search_body(request: SearchRequest) -> dict:
    """The _search request body for a request (pinned by golden tests)."""
    text = _node_query(request.query.root) if request.query is not None else {"match_all": {}}
    body: dict = {
        "query": {"bool": {"must": [text], "filter": _filters(request)}},
        "from": request.offset,
        "size": request.limit,
        "track_total_hits": True,
        "_source": ["version_id", "document_id"],
    }
    if request.sort in ("newest", "oldest") or request.query is None:
        order = "asc" if request.sort == "oldest" else "desc"
        body["sort"] = [{"created": {"order": order}}, {"version_id": {"order": order}}]
    if request.highlight:
        body["highlight"] = {
            "pre_tags": ["<mark>"],
            "post_tags": ["</mark>"],
            "encoder": "html",
            "fields": {
                "body": {
                    "type": "unified",
                    "fragment_size": SNIPPET_CHARS,
                    "number_of_fragments": 1,
                    "no_match_size": SNIPPET_CHARS,
                }
            },
        }
    if request.facets:
        body["aggs"] = {
            name: {"terms": {"field": FACET_FIELDS[name], "size": FACET_SIZE}} for name in request.facets
        }
    return body


def parse_search_response(request: SearchRequest, response: dict) -> SearchResult:
    hits = []
    for raw in response.get("hits", {}).get("hits", []):
        source = raw.get("_source", {})
        fragments = raw.get("highlight", {}).get("body") or []
        snippet = fragments[0] if fragments else ("" if request.highlight else None)
        score = raw.get("_score")
        hits.append(
            Hit(
                version_id=int(source["version_id"]),
                document_id=int(source["document_id"]),
                score=float(score) if score is not None and request.query is not None else 0.0,
                snippet=snippet,
            )
        )
    total = response.get("hits", {}).get("total", {})
    total = total.get("value", 0) if isinstance(total, dict) else int(total or 0)
    facets = {}
    for name in request.facets:
        buckets = response.get("aggregations", {}).get(name, {}).get("buckets", [])
        facets[name] = [FacetBucket(value=bucket["key"], count=int(bucket["doc_count"])) for bucket in buckets]
    return SearchResult(total=int(total), hits=hits, facets=facets)


# --- the backend ------------------------------------------------------------------------------


def client_options_from_url(url: str) -> tuple[dict, str, dict]:
    """(OpenSearch client kwargs, index name, other options) from opensearch://user:pw@host:port/index?tls=1."""
    parts = urlsplit(url)
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    tls = query.get("tls", "0").lower() in ("1", "true", "yes")
    host = {"host": parts.hostname or "localhost", "port": parts.port or 9200, "scheme": "https" if tls else "http"}
    kwargs: dict = {
        "hosts": [host],
        "timeout": float(query.get("timeout", "10")),
        "max_retries": int(query.get("retries", "1")),
        "retry_on_timeout": False,
    }
    if parts.username:
        kwargs["http_auth"] = (unquote(parts.username), unquote(parts.password or ""))
    if tls:
        kwargs["use_ssl"] = True
        kwargs["verify_certs"] = query.get("verify", "1").lower() in ("1", "true", "yes")
        kwargs["ssl_show_warn"] = False
    index = parts.path.strip("/") or DEFAULT_INDEX
    return kwargs, index, {"replicas": int(query.get("replicas", "0"))}


class OpenSearchBackend(SearchBackend):
    kind = "opensearch"

    def __init__(self, url: str, *, max_analyzed_offset: int = 2_000_000, client=None):
        kwargs, self.index_name, options = client_options_from_url(url)
        self.replicas = options["replicas"]
        self.max_analyzed_offset = max_analyzed_offset
        if client is None:
            from opensearchpy import OpenSearch

            client = OpenSearch(**kwargs)
        self.client = client
        self._ready_checked = False
        self._in_bulk = False

    def __repr__(self) -> str:
        return f"OpenSearchBackend(index={self.index_name!r})"

    @contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        from opensearchpy import exceptions as os_errors

        try:
            yield
        except os_errors.RequestError as exc:  # 400: the request itself is wrong
            raise InvalidSearch(f"The search engine rejected the {what}: {_reason(exc)}") from exc
        except (os_errors.ConnectionError, os_errors.ConnectionTimeout) as exc:
            raise SearchUnavailable(
                "The search engine cannot be reached; documents are safe and will be indexed when it is back."
            ) from exc
        except os_errors.TransportError as exc:
            raise SearchUnavailable(f"The search engine failed the {what}: {_reason(exc)}") from exc

    def _ensure_index(self) -> None:
        if self._ready_checked:
            return
        from opensearchpy import exceptions as os_errors

        with self._errors("index creation"):
            if not self.client.indices.exists(index=self.index_name):
                try:
                    self.client.indices.create(
                        index=self.index_name,
                        body=index_body(max_analyzed_offset=self.max_analyzed_offset, replicas=self.replicas),
                    )
                except os_errors.RequestError as exc:
                    if "resource_already_exists" not in str(exc):
                        raise
        self._ready_checked = True

    def ping(self) -> None:
        with self._errors("health check"):
            self.client.info()
        self._ensure_index()

    @contextmanager
    def bulk(self) -> Iterator["OpenSearchBackend"]:
        outer = self._in_bulk
        self._in_bulk = True
        try:
            yield self
        finally:
            self._in_bulk = outer
        if not outer:
            self.refresh()

    def commit(self) -> None:
        """Bulk writes are durable once acknowledged; nothing to do."""

    def refresh(self) -> None:
        with self._errors("refresh"):
            self.client.indices.refresh(index=self.index_name)

    def _bulk_index(self, docs: Sequence[IndexDoc]) -> None:
        lines: list[dict] = []
        for doc in docs:
            lines.append({"index": {"_index": self.index_name, "_id": str(doc.version_id)}})
            lines.append(document_source(doc))
        with self._errors("write"):
            response = self.client.bulk(body=lines, refresh=False if self._in_bulk else "wait_for")
        if response.get("errors"):
            for item in response.get("items", []):
                error = item.get("index", {}).get("error")
                if error:
                    raise SearchUnavailable(f"The search engine refused a document: {error.get('reason', error)}")

    def index(self, docs: Sequence[IndexDoc]) -> None:
        if not docs:
            return
        self._ensure_index()
        self._bulk_index(docs)

    def replace_documents(self, document_ids: Sequence[int], docs: Sequence[IndexDoc]) -> None:
        ids = sorted(set(document_ids) | {doc.document_id for doc in docs})
        if not ids:
            return
        self._ensure_index()
        if docs:
            self._bulk_index(docs)
        query: dict = {"bool": {"filter": [{"terms": {"document_id": ids}}]}}
        if docs:
            query["bool"]["must_not"] = [{"terms": {"version_id": [doc.version_id for doc in docs]}}]
        with self._errors("delete"):
            self.client.delete_by_query(
                index=self.index_name, body={"query": query}, refresh=not self._in_bulk, conflicts="proceed"
            )

    def search(self, request: SearchRequest) -> SearchResult:
        if not request.principals:
            return SearchResult(total=0, hits=[], facets={name: [] for name in request.facets})
        self._ensure_index()
        with self._errors("query"):
            response = self.client.search(index=self.index_name, body=search_body(request))
        return parse_search_response(request, response)

    def document_ids(self) -> set[int]:
        self._ensure_index()
        found: set[int] = set()
        after = None
        while True:
            composite: dict = {"size": 1000, "sources": [{"id": {"terms": {"field": "document_id"}}}]}
            if after:
                composite["after"] = after
            with self._errors("scan"):
                response = self.client.search(
                    index=self.index_name, body={"size": 0, "aggs": {"ids": {"composite": composite}}}
                )
            aggregation = response["aggregations"]["ids"]
            found.update(int(bucket["key"]["id"]) for bucket in aggregation["buckets"])
            after = aggregation.get("after_key")
            if not aggregation["buckets"] or not after:
                return found

    def stats(self) -> IndexStats:
        self._ensure_index()
        with self._errors("stats"):
            response = self.client.indices.stats(index=self.index_name, metric="docs,store")
        primaries = response["indices"][self.index_name]["primaries"]
        return IndexStats(
            documents=int(primaries["docs"]["count"]),
            size_bytes=int(primaries["store"]["size_in_bytes"]),
            detail=f"index {self.index_name}",
        )

    def clear(self) -> None:
        from opensearchpy import exceptions as os_errors

        with self._errors("index deletion"):
            try:
                self.client.indices.delete(index=self.index_name)
            except os_errors.NotFoundError:
                pass
        self._ready_checked = False
        self._ensure_index()

    def drop(self) -> None:
        """Delete the index for good (tests)."""
        from opensearchpy import exceptions as os_errors

        with self._errors("index deletion"):
            try:
                self.client.indices.delete(index=self.index_name)
            except os_errors.NotFoundError:
                pass
        self._ready_checked = False

    def close(self) -> None:
        try:
            self.client.close()
        except Exception:  # noqa: BLE001 - closing is best effort
            pass


def _reason(exc) -> str:
    info = getattr(exc, "info", None)
    if isinstance(info, dict):
        error = info.get("error")
        if isinstance(error, dict):
            root = (error.get("root_cause") or [error])[0]
            return str(root.get("reason") or error.get("reason") or error)
        if error:
            return str(error)
    return str(getattr(exc, "error", "") or exc)
