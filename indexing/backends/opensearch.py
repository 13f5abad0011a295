"""The production search backend: OpenSearch (SEARCH_URL=opensearch://[user:pass@]host:9200[/index][?tls=1]).

The analysis is indexing/analysis.py spelled with built-in parts only (analysis-common, no plugins):

    char_filter  dossier_fold   mapping: analysis.FOLD_TABLE (width, accents, traditional ->
                                simplified, stray combining marks), and characters that Unicode word
                                segmentation lets inside a word but analysis.py never does (the colon
                                of "Re:Offer", soft hyphens, narrow no-break spaces) -> spaces
                 dossier_split  pattern_replace: an apostrophe between digits (5'10) -> a space
    tokenizer    dossier_words  standard (UAX #29); Han characters one per token
    filters      lowercase
                 dossier_length drops tokens over analysis.MAX_TOKEN_CHARS, as analysis.py does
                 dossier_stem   stemmer, language porter2 (Snowball English, as tantivy's stemmer filter)
                 cjk_bigram     adjacent CJK tokens -> overlapping bigrams, a lone one stays a unigram

A single Han character in a query is a `regexp` over the bigram terms (query.single_han_pattern).

Folding before the tokenizer, from analysis.py's own table, is what makes both backends see the same
words (Lucene's cjk_width and asciifolding fold more than analysis.py and only after splitting).
tests/contract/test_search_analysis_contract.py compares the two token streams on a real node; its
docstring lists the differences left (they need changes to analysis.py, or cost too much here).

`index_body()` and `search_body()` are pure functions so tests pin them as golden JSON
(tests/indexing/golden/); the shared contract suite runs them against a real node.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from urllib.parse import parse_qs, unquote, urlsplit

from indexing import analysis, highlight
from indexing.backends.base import (
    BODY_FIELD, EVERY_VIEWER_READS, FACET_FIELDS, FACET_SIZE, FIELD_BOOSTS, SNIPPET_CHARS, TIE_BREAKER, FacetBucket, Hit,
    IndexDoc, IndexStats, InvalidSearch, SearchBackend, SearchRequest, SearchResult, SearchUnavailable, title_sort_key,
)
from indexing.query import And, Match, Node, Not, Or, single_han_pattern

ANALYZER = "dossier_text"
DEFAULT_INDEX = "dossier-versions"


# --- analysis ---------------------------------------------------------------------------------

# Characters that Unicode word segmentation (UAX #29) keeps inside a word and analysis.py treats as
# separators wherever they stand: they become spaces before the tokenizer sees them.
_SEPARATORS = "".join([
    ":\u00b7\u0387\u055f\u05f4\u2027\ufe13\ufe55",  # MidLetter (re:offer, a·b)
    ";\u037e\u0589\u060c\u060d\u066c\u07f8\u2044\ufe10\ufe14\ufe50\ufe54",  # MidNum (1;2)
    "\u2018\u2024\ufe52",  # MidNumLet, but for . ' ’ on which analysis.py joins too
    "\u202f\u203f\u2040\u2054\ufe33\ufe34\ufe4d\ufe4e\ufe4f",  # ExtendNumLet but _ (1 000 with U+202F)
    # Format: soft hyphen, Arabic marks, direction marks and isolates, word joiner, BOM
    "\u00ad\u0600\u0601\u0602\u0603\u0604\u0605\u061c\u06dd\u070f\u08e2\u180e\u200e\u200f",
    "\u202a\u202b\u202c\u202d\u202e\u2060\u2061\u2062\u2063\u2064\ufeff\ufff9\ufffa\ufffb",
    "".join(chr(cp) for cp in range(0x2066, 0x2070)),
    "\u200c\u200d",  # zero-width non-joiner and joiner
    "".join(chr(cp) for cp in range(0xFE00, 0xFE10)),  # variation selectors
    # combining marks outside U+0300-036F (those are in FOLD_TABLE: they fold away)
    "".join(chr(cp) for first, last in ((0x1AB0, 0x1AFF), (0x1DC0, 0x1DFF), (0x20D0, 0x20FF), (0xFE20, 0xFE2F))
            for cp in range(first, last + 1)),
])


def _rule_text(text: str) -> str:
    """A mapping rule's side: letters as they are, anything else as \\uXXXX (spaces, marks, `=`, `\\`)."""
    return "".join(char if char.isalnum() else f"\\u{ord(char):04x}" for char in text)


def fold_mappings() -> list[str]:
    """The dossier_fold rules: analysis.FOLD_TABLE, with the separators (and what folds to them) -> spaces."""
    table = {chr(cp): folded or "" for cp, folded in analysis.FOLD_TABLE.items()}
    for char, folded in table.items():
        if folded and all(part in _SEPARATORS for part in folded):  # "：" folds to ":"
            table[char] = " " * len(folded)
    table.update({char: " " for char in _SEPARATORS})
    return [f"{_rule_text(char)} => {_rule_text(folded)}" for char, folded in sorted(table.items())]


# UAX #29 joins digits on an apostrophe (5'10 is one word); analysis.py joins them only on . and ,
# (Kept this small on purpose: a pattern with code points beyond U+FFFF, or lookbehinds tried at
# every position, made indexing a 1 MB text several times slower.)
SPLIT_PATTERN = r"['\x{2019}](?<=\p{Nd}.)(?=\p{Nd})"


def analysis_settings() -> dict:
    """The dossier_text analyzer (see the module docstring)."""
    return {
        "char_filter": {
            "dossier_fold": {"type": "mapping", "mappings": fold_mappings()},
            "dossier_split": {"type": "pattern_replace", "pattern": SPLIT_PATTERN, "replacement": " "},
        },
        # The standard tokenizer cuts a word longer than max_token_length (255 by default) into
        # pieces; analysis.py drops it whole, so words are kept whole here and dossier_length drops them.
        "tokenizer": {"dossier_words": {"type": "standard", "max_token_length": 1 << 20}},
        "filter": {
            "dossier_length": {"type": "length", "max": analysis.MAX_TOKEN_CHARS},
            # Lucene's Snowball English stemmer, the algorithm of tantivy's Filter.stemmer("english")
            "dossier_stem": {"type": "stemmer", "language": "porter2"},
        },
        "analyzer": {
            ANALYZER: {
                "type": "custom",
                "char_filter": ["dossier_fold", "dossier_split"],
                "tokenizer": "dossier_words",
                "filter": ["lowercase", "dossier_length", "dossier_stem", "cjk_bigram"],
            }
        },
    }


# Stored for snippets, never searched.
SNIPPET_SOURCE_FIELD = {"type": "text", "index": False}
# Raised when the mapping changes in a way that needs a rebuild (2: snippets from snippet_source;
# 3: stemmed words and title_sort).
MAPPING_REVISION = 4  # 4: the body's readers (IndexDoc.body_readers)
TITLE_SORT_FIELD = {"type": "keyword", "ignore_above": 256}


@lru_cache(maxsize=1)
def analysis_fingerprint() -> str:
    """Kept in the index's _meta: an index made with another analysis or mapping must be rebuilt
    (search_reindex --clear)."""
    text = json.dumps([analysis_settings(), MAPPING_REVISION], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# --- request bodies (pure) -------------------------------------------------------------------


# Dynamic index settings, applied when the index is made and again to an existing index at start-up.
# Concurrent segment search (GA since OpenSearch 2.12) searches a shard's segments on several threads:
# one shard serves every query here, and without it a query uses one core however many the node has.
# Measured at 20,000 versions: Chinese phrase queries 30 -> 20 ms at p95 (BENCHMARKS.md).
SEARCH_SETTINGS = {"search.concurrent_segment_search.mode": "all"}


def index_body(*, replicas: int = 0) -> dict:
    """Settings and mappings of the versions index.

    Snippets are cut by our layer (indexing.highlight), as for tantivy, from `snippet_source`: the
    first characters of the body, stored and not indexed. The full body is indexed but left out of
    _source, so the text is stored once. (The engine's own highlighter re-analyzed every hit's whole
    text and made English queries 4-8 times slower: BENCHMARKS.md, "Search on OpenSearch".)
    """
    text = {"type": "text", "analyzer": ANALYZER}
    return {
        "settings": {
            "index": {"number_of_shards": 1, "number_of_replicas": replicas, **SEARCH_SETTINGS},
            "analysis": analysis_settings(),
        },
        "mappings": {
            "dynamic": "strict",
            "_meta": {"analysis": analysis_fingerprint()},
            "_source": {"excludes": ["body"]},
            "properties": {
                "version_id": {"type": "long"},
                "document_id": {"type": "long"},
                "title": text,
                "meta": text,
                "body": text,
                "snippet_source": SNIPPET_SOURCE_FIELD,
                "principals": {"type": "keyword"},
                "readers": {"type": "keyword"},
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
                "title_sort": TITLE_SORT_FIELD,
            },
        },
    }


def document_source(doc: IndexDoc, *, snippet_source_chars: int = 200_000) -> dict:
    return {
        "version_id": doc.version_id,
        "document_id": doc.document_id,
        "title": doc.title,
        "meta": doc.meta,
        "body": doc.body,
        "snippet_source": doc.body[:snippet_source_chars],
        "principals": list(doc.principals),
        "readers": doc.body_readers,
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
        "title_sort": title_sort_key(doc.title),
    }


def _iso(value: dt.datetime) -> str:
    return value.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")


def _match_query(node: Match, readable: dict) -> dict:
    queries = []
    if node.is_single_han:
        pattern = single_han_pattern(node.tokens[0])
        for field_name, boost in FIELD_BOOSTS.items():
            queries.append(_readable(field_name, {"regexp": {field_name: {"value": pattern, "boost": boost}}}, readable))
        return {"dis_max": {"queries": queries, "tie_breaker": TIE_BREAKER}}
    for field_name, boost in FIELD_BOOSTS.items():
        queries.append(_readable(field_name, {"match_phrase": {field_name: {"query": node.text, "boost": boost}}}, readable))
    return {"dis_max": {"queries": queries, "tie_breaker": TIE_BREAKER}}


def _readable(field_name: str, query: dict, readable: dict) -> dict:
    """The body's clause matches only documents whose text the caller may read (an unscored filter)."""
    if field_name != BODY_FIELD:
        return query
    return {"bool": {"must": [query], "filter": [readable]}}


def _node_query(node: Node, readable: dict) -> dict:
    if isinstance(node, Match):
        return _match_query(node, readable)
    if isinstance(node, Not):
        return {"bool": {"must_not": [_node_query(node.child, readable)]}}
    if isinstance(node, And):
        must = [_node_query(child, readable) for child in node.children if not isinstance(child, Not)]
        must_not = [_node_query(child.child, readable) for child in node.children if isinstance(child, Not)]
        body: dict = {}
        if must:
            body["must"] = must
        if must_not:
            body["must_not"] = must_not
        return {"bool": body}
    if isinstance(node, Or):
        return {"bool": {"should": [_node_query(child, readable) for child in node.children], "minimum_should_match": 1}}
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
    readable = {"terms": {"readers": [*request.principals, EVERY_VIEWER_READS]}}
    text = _node_query(request.query.root, readable) if request.query is not None else {"match_all": {}}
    source = ["version_id", "document_id"] + (["snippet_source"] if request.highlight else [])
    body: dict = {
        "query": {"bool": {"must": [text], "filter": _filters(request)}},
        "from": request.offset,
        "size": request.limit,
        "track_total_hits": True,
        "_source": source,
    }
    if request.sort == "title":
        body["sort"] = [{"title_sort": {"order": "asc"}}, {"version_id": {"order": "asc"}}]
    elif request.sort in ("newest", "oldest") or request.query is None:
        order = "asc" if request.sort == "oldest" else "desc"
        body["sort"] = [{"created": {"order": order}}, {"version_id": {"order": order}}]
    if request.facets:
        body["aggs"] = {
            name: {"terms": {"field": FACET_FIELDS[name], "size": FACET_SIZE}} for name in request.facets
        }
    return body


def parse_search_response(request: SearchRequest, response: dict) -> SearchResult:
    hits = []
    marker = None
    if request.highlight:
        marker = highlight.Highlighter(request.query.highlight_terms if request.query is not None else ())
    for raw in response.get("hits", {}).get("hits", []):
        source = raw.get("_source", {})
        snippet = marker.snippet(source.get("snippet_source") or "", SNIPPET_CHARS) if marker else None
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
    # Bulk writes (a reindex sends ~10 MB per request) may take far longer than a search on a busy
    # node: they get their own timeout (bulk_timeout, seconds), never shorter than the search one.
    bulk_timeout = max(float(query.get("bulk_timeout", "120")), kwargs["timeout"])
    # Bulk requests in flight at once inside bulk() (a rebuild): the node indexes one request per write
    # thread, so with one in flight a multi-core node idles while we read and build the next batch.
    bulk_streams = max(1, int(query.get("bulk_streams", "2")))
    # one kept connection per bulk stream and one for searches (opensearch-py keeps one by default,
    # and opened and dropped a connection for every request of the second stream)
    kwargs["pool_maxsize"] = bulk_streams + 1
    return kwargs, index, {"replicas": int(query.get("replicas", "0")), "bulk_timeout": bulk_timeout,
                           "bulk_streams": bulk_streams}


class OpenSearchBackend(SearchBackend):
    kind = "opensearch"

    def __init__(self, url: str, *, snippet_source_chars: int = 200_000, client=None):
        kwargs, self.index_name, options = client_options_from_url(url)
        self.bulk_timeout = options["bulk_timeout"]
        self.bulk_streams = options["bulk_streams"]
        self.replicas = options["replicas"]
        self.snippet_source_chars = snippet_source_chars
        if client is None:
            from opensearchpy import OpenSearch

            client = OpenSearch(**kwargs)
        self.client = client
        self._ready_checked = False
        self._in_bulk = False
        self._pipeline: _BulkPipeline | None = None

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
                    self.client.indices.create(index=self.index_name, body=index_body(replicas=self.replicas))
                except os_errors.RequestError as exc:
                    if "resource_already_exists" not in str(exc):
                        raise
            else:
                # An index made before snippet_source existed takes the new field (adding one is
                # allowed), so writes keep working; stats() asks for a rebuild for the old documents.
                self.client.indices.put_mapping(
                    index=self.index_name, body={"properties": {"snippet_source": SNIPPET_SOURCE_FIELD,
                                                                "title_sort": TITLE_SORT_FIELD,
                                                                "readers": {"type": "keyword"}}}
                )
                self.client.indices.put_settings(index=self.index_name, body={"index": SEARCH_SETTINGS})
        self._ready_checked = True

    def ping(self) -> None:
        with self._errors("health check"):
            self.client.info()
        self._ensure_index()

    @contextmanager
    def bulk(self) -> Iterator["OpenSearchBackend"]:
        """Writes inside are not refreshed one by one, and (with bulk_streams > 1) are sent from
        background threads, several requests in flight, while the caller reads and builds the next
        batch. A failed write raises at the next write, at commit() or when the block ends."""
        outer = self._in_bulk
        self._in_bulk = True
        if not outer and self.bulk_streams > 1:
            self._pipeline = _BulkPipeline(self.bulk_streams)
        try:
            yield self
            if not outer:
                self.commit()
        finally:
            self._in_bulk = outer
            if not outer and self._pipeline is not None:
                pipeline, self._pipeline = self._pipeline, None
                pipeline.close()
        if not outer:
            self.refresh()

    def commit(self) -> None:
        """Bulk writes are durable once acknowledged: wait for those still in flight (and raise the
        first failure among them)."""
        if self._pipeline is not None:
            self._pipeline.wait_all()

    def refresh(self) -> None:
        with self._errors("refresh"):
            self.client.indices.refresh(index=self.index_name)

    def _bulk_lines(self, docs: Sequence[IndexDoc]) -> list[dict]:
        lines: list[dict] = []
        for doc in docs:
            lines.append({"index": {"_index": self.index_name, "_id": str(doc.version_id)}})
            lines.append(document_source(doc, snippet_source_chars=self.snippet_source_chars))
        return lines

    def _send_bulk(self, lines: list[dict], *, refresh) -> None:
        with self._errors("write"):
            response = self.client.bulk(body=lines, refresh=refresh, request_timeout=self.bulk_timeout)
        if response.get("errors"):
            for item in response.get("items", []):
                error = item.get("index", {}).get("error")
                if error:
                    raise SearchUnavailable(f"The search engine refused a document: {error.get('reason', error)}")

    def _delete_others(self, ids: list[int], keep_versions: list[int], *, refresh: bool) -> None:
        """Delete these documents' entries but the versions kept."""
        query: dict = {"bool": {"filter": [{"terms": {"document_id": ids}}]}}
        if keep_versions:
            query["bool"]["must_not"] = [{"terms": {"version_id": keep_versions}}]
        with self._errors("delete"):
            self.client.delete_by_query(
                index=self.index_name, body={"query": query}, refresh=refresh, conflicts="proceed"
            )

    def _write(self, ids: list[int], lines: list[dict], delete_versions: list[int] | None) -> None:
        """Index `lines` and then (unless `delete_versions` is None) delete the other entries of the
        documents `ids`. Inside bulk() with a pipeline this goes to a background thread; the pipeline
        keeps the writes of one document in order."""
        in_bulk = self._in_bulk

        def work() -> None:
            if lines:
                self._send_bulk(lines, refresh=False if in_bulk else "wait_for")
            if delete_versions is not None:
                self._delete_others(ids, delete_versions, refresh=not in_bulk)

        if self._pipeline is not None:
            self._pipeline.submit(ids, work)
        else:
            work()

    def index(self, docs: Sequence[IndexDoc]) -> None:
        if not docs:
            return
        self._ensure_index()
        self._write(sorted({doc.document_id for doc in docs}), self._bulk_lines(docs), None)

    def replace_documents(self, document_ids: Sequence[int], docs: Sequence[IndexDoc]) -> None:
        ids = sorted(set(document_ids) | {doc.document_id for doc in docs})
        if not ids:
            return
        self._ensure_index()
        self._write(ids, self._bulk_lines(docs), [doc.version_id for doc in docs])

    def search(self, request: SearchRequest) -> SearchResult:
        if not request.principals:
            return SearchResult(total=0, hits=[], facets={name: [] for name in request.facets})
        self._ensure_index()
        with self._errors("query"):
            response = self.client.search(
                index=self.index_name, body=search_body(request)
            )
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
            mapping = self.client.indices.get_mapping(index=self.index_name)
        primaries = response["indices"][self.index_name]["primaries"]
        detail = f"index {self.index_name}"
        meta = next(iter(mapping.values()), {}).get("mappings", {}).get("_meta", {})
        outdated = meta.get("analysis") != analysis_fingerprint()
        if outdated:
            detail += "; built with an older analysis: run search_reindex --clear"
        return IndexStats(
            documents=int(primaries["docs"]["count"]),
            size_bytes=int(primaries["store"]["size_in_bytes"]),
            detail=detail,
            outdated=outdated,
        )

    def clear(self) -> None:
        self.drop()
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


class _BulkPipeline:
    """Up to `streams` writes in flight on background threads, for bulk().

    A write waits for earlier writes that touch any of its documents (so one document's writes reach
    the engine in order), and for the oldest write when `streams` are already in flight (so at most
    that many batches are held in memory). The first failure is raised by the next submit() or by
    wait_all(); the writes after it are still waited for, never left running unobserved.
    """

    def __init__(self, streams: int):
        from concurrent.futures import ThreadPoolExecutor

        self.streams = streams
        self._executor = ThreadPoolExecutor(max_workers=streams, thread_name_prefix="opensearch-bulk")
        self._in_flight: list[tuple[frozenset[int], object]] = []

    def submit(self, document_ids: Sequence[int], work) -> None:
        ids = frozenset(document_ids)
        for touched, future in list(self._in_flight):
            if touched & ids:
                self._settle(future)
        while len(self._in_flight) >= self.streams:
            self._settle(self._in_flight[0][1])
        self._in_flight.append((ids, self._executor.submit(work)))

    def _settle(self, future) -> None:
        self._in_flight = [entry for entry in self._in_flight if entry[1] is not future]
        future.result()

    def wait_all(self) -> None:
        first: BaseException | None = None
        while self._in_flight:
            try:
                self._settle(self._in_flight[0][1])
            except BaseException as exc:  # noqa: BLE001 - the first is raised once all are done
                first = first or exc
        if first is not None:
            raise first

    def close(self) -> None:
        try:
            self.wait_all()
        except BaseException:  # noqa: BLE001 - bulk() is already unwinding from a failure
            pass
        finally:
            self._executor.shutdown(wait=True)


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
