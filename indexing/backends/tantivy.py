"""The embedded search backend: a tantivy index in a local directory (SEARCH_URL=tantivy:///abs/path).

Text is analyzed by indexing/analysis.py and indexed as a space-separated token stream through
a whitespace tokenizer that we register under our own name every time the index is opened
(tantivy keeps tokenizers in memory only; an index opened without it cannot be written). Token
positions are therefore exactly our token positions, so phrases and Chinese substrings work.

The original text is stored (not indexed) for snippets. Only one process may hold tantivy's
writer lock; a writer is opened per batch and released after the commit. A full rebuild (bulk())
keeps one writer with a large heap (1 GB by default, split between its threads): each thread
writes a segment only when its share is full or at a commit, so the rebuild leaves a few large
segments instead of many small ones for the engine to merge.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import tantivy
from tantivy import Document, FieldType, Index, Occur, Query, SchemaBuilder

from indexing import analysis, highlight
from indexing.backends.base import (
    FACET_FIELDS, FACET_SIZE, BODY_FIELD, EVERY_VIEWER_READS, FIELD_BOOSTS, SNIPPET_CHARS, TIE_BREAKER, FacetBucket, Hit, IndexDoc, IndexStats,
    IndexOutdated, SearchBackend, SearchRequest, SearchResult, SearchUnavailable, title_sort_key,
)
from indexing.query import And, Match, Node, Not, Or, single_han_pattern

# 3: words are stemmed as they are written (Snowball English), and titles are kept for sorting.
SCHEMA_VERSION = 4  # 4: the body's readers (IndexDoc.body_readers)
TOKENIZER = "dossier_tokens"
MARKER = "dossier-index.json"
_KEYWORD_FIELDS = ("kind", "classification", "status", "mime_type", "customer_labels")
_INT_FIELDS = ("customer_ids", "opportunity_ids", "uploader_id")
_WRITER_LOCK_WAIT_SECONDS = 3.0


def analysis_fingerprint() -> str:
    """Changes whenever the analysis would produce different tokens (then the index needs a rebuild)."""
    source = (json.dumps(sorted(analysis.T2S.items()), ensure_ascii=False) + str(analysis.MAX_TOKEN_CHARS)
              + analysis.STEMMER_LANGUAGE)
    return hashlib.sha256(source.encode()).hexdigest()[:16]


def build_schema() -> tantivy.Schema:
    builder = SchemaBuilder()
    builder.add_integer_field("version_id", stored=True, indexed=True, fast=True)
    builder.add_integer_field("document_id", stored=True, indexed=True, fast=True)
    for name in FIELD_BOOSTS:
        builder.add_text_field(name, tokenizer_name=TOKENIZER, index_option="position")
    builder.add_bytes_field("body_source", stored=True)
    builder.add_text_field("principals", tokenizer_name="raw", index_option="basic")
    builder.add_text_field("readers", tokenizer_name="raw", index_option="basic")
    for name in _KEYWORD_FIELDS:
        builder.add_text_field(name, tokenizer_name="raw", index_option="basic", fast=True)
    for name in _INT_FIELDS:
        builder.add_integer_field(name, indexed=True, fast=True)
    builder.add_boolean_field("is_valid", indexed=True, fast=True)
    builder.add_text_field("title_sort", tokenizer_name="raw", index_option="basic", fast=True)
    # Microseconds since the epoch: tantivy's date fast fields keep whole seconds, too coarse to sort uploads.
    builder.add_integer_field("created", indexed=True, fast=True)
    return builder.build()


def _micros(value: dt.datetime) -> int:
    delta = value - dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _facet_value(key):
    return int(key) if isinstance(key, float) and key.is_integer() else key


def _analyzer():
    """Our tokens arrive joined by spaces (analysis.token_string); the engine stems them as it writes."""
    return analysis.stem_analyzer()


def _aggregations(names: Sequence[str]) -> dict:
    return {name: {"terms": {"field": FACET_FIELDS[name], "size": FACET_SIZE}} for name in names}


def _facet_buckets(answer: dict, names: Sequence[str]) -> dict[str, list[FacetBucket]]:
    out: dict[str, list[FacetBucket]] = {}
    for name in names:
        buckets = answer.get(name, {}).get("buckets", [])
        out[name] = [FacetBucket(value=_facet_value(bucket["key"]), count=int(bucket["doc_count"]))
                     for bucket in buckets]
    return out


def _read_index(read):
    try:
        return read()
    except ValueError as exc:
        raise SearchUnavailable(f"The search index could not be read: {exc}") from exc


# Facet counting runs beside the search (see TantivyBackend.search) on threads of this process.
# The pool is made on first use and forgotten in a forked child: gunicorn and celery fork after
# import, and a pool's threads do not survive a fork.
_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def _background(fn, *args) -> Future:
    global _POOL
    if _POOL is None:
        with _POOL_LOCK:
            if _POOL is None:
                _POOL = ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2),
                                           thread_name_prefix="tantivy-facets")
    return _POOL.submit(fn, *args)


def _forget_pool() -> None:
    global _POOL, _POOL_LOCK
    _POOL, _POOL_LOCK = None, threading.Lock()


os.register_at_fork(after_in_child=_forget_pool)


class TantivyBackend(SearchBackend):
    kind = "tantivy"

    def __init__(
        self,
        path: str | Path,
        *,
        snippet_source_chars: int = 200_000,
        writer_heap_bytes: int = 64_000_000,
        bulk_heap_bytes: int = 1_000_000_000,
        bulk_threads: int = 0,
    ):
        self.path = Path(path)
        self.snippet_source_chars = snippet_source_chars
        self.writer_heap_bytes = writer_heap_bytes
        self.bulk_heap_bytes = bulk_heap_bytes
        self.bulk_threads = bulk_threads
        self.schema = build_schema()
        self._index: Index | None = None
        self._open_lock = threading.Lock()
        self._write_lock = threading.RLock()
        self._bulk_writer = None
        self._bulk_pending = 0

    def __repr__(self) -> str:
        return f"TantivyBackend({str(self.path)!r})"

    # --- opening -----------------------------------------------------------------------------

    def _marker(self) -> dict:
        return {"schema": SCHEMA_VERSION, "analysis": analysis_fingerprint()}

    def _ready(self) -> Index:
        index = self._index
        if index is not None:
            return index
        with self._open_lock:
            if self._index is None:
                self._index = self._open()
            return self._index

    def _open(self) -> Index:
        try:
            marker_path = self.path / MARKER
            if (self.path / "meta.json").exists():
                found = json.loads(marker_path.read_text()) if marker_path.exists() else {}
                if found.get("schema") != SCHEMA_VERSION:
                    raise IndexOutdated(
                        "The search index was built by another version of Dossier. "
                        "Rebuild it with `manage.py search_reindex --clear`."
                    )
                index = Index.open(str(self.path))
            else:
                self.path.mkdir(parents=True, exist_ok=True)
                index = Index(self.schema, path=str(self.path), reuse=True)
                marker_path.write_text(json.dumps(self._marker()))
            # Tokenizers live in memory only: register ours on every open.
            index.register_tokenizer(TOKENIZER, _analyzer())
            index.config_reader("commit")
            return index
        except SearchUnavailable:
            raise
        except (OSError, ValueError) as exc:
            raise SearchUnavailable(f"The search index at {self.path} cannot be opened: {exc}") from exc

    def ping(self) -> None:
        self._ready()
        if not self.path.is_dir():
            raise SearchUnavailable(f"The search index directory {self.path} is missing.")

    def analysis_outdated(self) -> bool:
        try:
            found = json.loads((self.path / MARKER).read_text())
        except (OSError, ValueError):
            return False
        return found.get("analysis") != analysis_fingerprint()

    # --- writing -----------------------------------------------------------------------------

    def _new_writer(self, heap: int, threads: int):
        index = self._ready()
        deadline = time.monotonic() + _WRITER_LOCK_WAIT_SECONDS
        while True:
            try:
                return index.writer(heap_size=heap, num_threads=threads)
            except ValueError as exc:
                if "LockBusy" not in str(exc) or time.monotonic() > deadline:
                    raise SearchUnavailable(
                        "The search index is busy (another process holds its writer); the change is queued."
                    ) from exc
                time.sleep(0.05)

    @contextmanager
    def _writer(self) -> Iterator:
        with self._write_lock:
            if self._bulk_writer is not None:
                yield self._bulk_writer
                return
            writer = self._new_writer(self.writer_heap_bytes, 1)
            try:
                yield writer
                writer.commit()
                writer.wait_merging_threads()
            except BaseException:
                try:
                    writer.rollback()
                except Exception:  # noqa: BLE001 - the original error matters more
                    pass
                raise
            finally:
                del writer
            self._reload()

    def _reload(self) -> None:
        if self._index is not None:
            self._index.reload()

    @contextmanager
    def bulk(self) -> Iterator["TantivyBackend"]:
        with self._write_lock:
            if self._bulk_writer is not None:  # nested: the outer block commits
                yield self
                return
            self._bulk_writer = self._new_writer(self.bulk_heap_bytes, self.bulk_threads)
            try:
                yield self
                self._bulk_writer.commit()
                self._bulk_writer.wait_merging_threads()
            except BaseException:
                try:
                    self._bulk_writer.rollback()
                except Exception:  # noqa: BLE001
                    pass
                raise
            finally:
                self._bulk_writer = None
            self._reload()

    def commit(self) -> None:
        """Inside bulk(): make everything written so far durable and searchable."""
        with self._write_lock:
            if self._bulk_writer is not None:
                self._bulk_writer.commit()
                self._reload()

    def _document(self, doc: IndexDoc) -> Document:
        out = Document()
        out.add_integer("version_id", doc.version_id)
        out.add_integer("document_id", doc.document_id)
        out.add_text("title", analysis.token_string(doc.title))
        out.add_text("meta", analysis.token_string(doc.meta))
        out.add_text("body", analysis.token_string(doc.body))
        if doc.body:
            out.add_bytes("body_source", doc.body[: self.snippet_source_chars].encode("utf-8", "replace"))
        for token in doc.principals:
            out.add_text("principals", token)
        for token in doc.body_readers:
            out.add_text("readers", token)
        out.add_text("kind", doc.kind)
        out.add_text("classification", doc.classification)
        out.add_text("status", doc.status)
        out.add_text("mime_type", doc.mime_type)
        for label in doc.customer_labels:
            out.add_text("customer_labels", label)
        for value in doc.customer_ids:
            out.add_integer("customer_ids", value)
        for value in doc.opportunity_ids:
            out.add_integer("opportunity_ids", value)
        out.add_integer("uploader_id", doc.uploader_id)
        out.add_boolean("is_valid", doc.is_valid)
        out.add_integer("created", _micros(doc.created_at))
        out.add_text("title_sort", title_sort_key(doc.title))
        return out

    def index(self, docs: Sequence[IndexDoc]) -> None:
        if not docs:
            return
        prepared = [self._document(doc) for doc in docs]
        try:
            with self._writer() as writer:
                for doc, tdoc in zip(docs, prepared):
                    writer.delete_documents_by_term("version_id", doc.version_id)
                    writer.add_document(tdoc)
        except (OSError, ValueError) as exc:
            raise SearchUnavailable(f"Writing to the search index failed: {exc}") from exc

    def replace_documents(self, document_ids: Sequence[int], docs: Sequence[IndexDoc]) -> None:
        if not document_ids and not docs:
            return
        prepared = [self._document(doc) for doc in docs]
        try:
            with self._writer() as writer:
                for document_id in set(document_ids) | {doc.document_id for doc in docs}:
                    writer.delete_documents_by_term("document_id", document_id)
                for tdoc in prepared:
                    writer.add_document(tdoc)
        except (OSError, ValueError) as exc:
            raise SearchUnavailable(f"Writing to the search index failed: {exc}") from exc

    def clear(self) -> None:
        with self._write_lock, self._open_lock:
            self._index = None
            if self.path.exists():
                if not (self.path / "meta.json").exists() and any(self.path.iterdir()):
                    raise SearchUnavailable(f"{self.path} is not a search index; refusing to delete it.")
                shutil.rmtree(self.path)
        self._ready()

    def close(self) -> None:
        with self._write_lock, self._open_lock:
            self._index = None

    # --- reading -----------------------------------------------------------------------------

    def _match(self, node: Match, searcher, readable: Query) -> Query:
        subqueries = []
        if node.is_single_han:
            # the character alone or in either place of a bigram: a walk of the term dictionary
            pattern = single_han_pattern(node.tokens[0])
            for field_name, boost in FIELD_BOOSTS.items():
                query = self._readable(field_name, Query.regex_query(self.schema, field_name, pattern), readable)
                subqueries.append(Query.boost_query(query, boost) if boost != 1.0 else query)
            return Query.disjunction_max_query(subqueries, tie_breaker=TIE_BREAKER)
        for field_name, boost in FIELD_BOOSTS.items():
            # A field without one of the tokens cannot match; leaving it out of the disjunction
            # changes no score, and spares the engine merging an empty clause over every candidate.
            if searcher is not None and any(searcher.doc_freq(field_name, token) == 0 for token in set(node.tokens)):
                continue
            if node.is_phrase:
                query = Query.phrase_query(self.schema, field_name, list(node.tokens))
            else:
                query = Query.term_query(self.schema, field_name, node.tokens[0])
            query = self._readable(field_name, query, readable)
            subqueries.append(Query.boost_query(query, boost) if boost != 1.0 else query)
        if not subqueries:
            return Query.empty_query()
        if len(subqueries) == 1:  # a disjunction of one scores exactly as its clause
            return subqueries[0]
        return Query.disjunction_max_query(subqueries, tie_breaker=TIE_BREAKER)

    @staticmethod
    def _readable(field_name: str, query: Query, readable: Query) -> Query:
        """The body's clause matches only documents whose text the caller may read (an unscored filter)."""
        if field_name != BODY_FIELD:
            return query
        return Query.boolean_query([(Occur.Must, query), (Occur.Must, readable)])

    def _node(self, node: Node, searcher, readable: Query) -> Query:
        if isinstance(node, Match):
            return self._match(node, searcher, readable)
        if isinstance(node, Not):
            return Query.boolean_query([(Occur.Must, Query.all_query()),
                                        (Occur.MustNot, self._node(node.child, searcher, readable))])
        if isinstance(node, And):
            clauses = []
            for child in node.children:
                if isinstance(child, Not):
                    clauses.append((Occur.MustNot, self._node(child.child, searcher, readable)))
                else:
                    clauses.append((Occur.Must, self._node(child, searcher, readable)))
            if all(occur == Occur.MustNot for occur, _ in clauses):
                clauses.insert(0, (Occur.Must, Query.all_query()))
            return Query.boolean_query(clauses)
        if isinstance(node, Or):
            return Query.boolean_query([(Occur.Should, self._node(child, searcher, readable)) for child in node.children])
        raise TypeError(node)  # pragma: no cover

    def _filters(self, request: SearchRequest) -> list[Query]:
        f = request.filters
        schema = self.schema
        filters = [Query.term_set_query(schema, "principals", list(request.principals))]
        if not f.all_versions:
            filters.append(Query.term_query(schema, "is_valid", True))
        for field_name, values in f.term_filters():
            filters.append(Query.term_set_query(schema, field_name, values))
        if f.date_from is not None or f.date_to is not None:
            filters.append(
                Query.range_query(
                    schema,
                    "created",
                    FieldType.Integer,
                    _micros(f.date_from) if f.date_from else -(2**62),
                    _micros(f.date_to) if f.date_to else 2**62,
                    include_lower=True,
                    include_upper=f.date_to is None,
                )
            )
        return filters

    def compile(self, request: SearchRequest, searcher=None) -> Query:
        """The tantivy query for a request: the text (scored) and every filter (unscored).

        With the searcher that will run it, text clauses on fields that lack a token are left out.
        """
        if request.query is not None:
            readable = Query.const_score_query(
                Query.term_set_query(self.schema, "readers", [*request.principals, EVERY_VIEWER_READS]), 0.0)
            text = self._node(request.query.root, searcher, readable)
        else:
            text = Query.all_query()
        filters = self._filters(request)
        # All filters under one unscored clause: the engine intersects them once, and then with the
        # text (an unscored clause per filter made phrases over many candidates ~25% slower).
        combined = filters[0] if len(filters) == 1 else Query.boolean_query([(Occur.Must, f) for f in filters])
        return Query.boolean_query([(Occur.Must, text), (Occur.Must, Query.const_score_query(combined, 0.0))])

    def search(self, request: SearchRequest) -> SearchResult:
        if not request.principals:
            return SearchResult(total=0, hits=[], facets={name: [] for name in request.facets})
        searcher = self._ready().searcher()
        query = self.compile(request, searcher)
        # The facet counts evaluate the query a second time (tantivy cannot collect hits and
        # aggregations in one pass). The engine releases the GIL, so they are counted on another
        # core while this thread finds the hits, cuts the snippets and the caller re-checks the page.
        pending = _background(searcher.aggregate, query, _aggregations(request.facets)) if request.facets else None
        try:
            if request.sort == "relevance" and request.query is not None:
                found = searcher.search(query, limit=request.limit, count=True, offset=request.offset)
            elif request.sort == "title":
                found = searcher.search(
                    query, limit=request.limit, count=True, offset=request.offset,
                    order_by_field="title_sort", order=tantivy.Order.Asc,
                )
            else:
                order = tantivy.Order.Asc if request.sort == "oldest" else tantivy.Order.Desc
                found = searcher.search(
                    query, limit=request.limit, count=True, offset=request.offset,
                    order_by_field="created", order=order,
                )
            hits = self._hits(searcher, request, found.hits)
        except ValueError as exc:
            raise SearchUnavailable(f"The search index could not be read: {exc}") from exc
        if pending is None:
            return SearchResult(total=found.count, hits=hits)
        return SearchResult(total=found.count, hits=hits,
                            pending_facets=lambda: _facet_buckets(_read_index(pending.result), request.facets))

    def _hits(self, searcher, request: SearchRequest, found: list) -> list[Hit]:
        addresses = [address for _, address in found]
        version_ids = searcher.fast_field_values("version_id", addresses) if addresses else []
        document_ids = searcher.fast_field_values("document_id", addresses) if addresses else []
        terms = request.query.highlight_terms if (request.query is not None and request.highlight) else ()
        marker = highlight.Highlighter(terms) if request.highlight else None
        hits = []
        for (score, address), version_id, document_id in zip(found, version_ids, document_ids):
            snippet = None
            if marker is not None:
                source = searcher.doc(address).get_first("body_source")
                text = bytes(source).decode("utf-8", "replace") if source else ""
                snippet = marker.snippet(text, SNIPPET_CHARS) if text else ""
            relevance = float(score) if request.sort == "relevance" and request.query is not None else 0.0
            hits.append(Hit(version_id=int(version_id), document_id=int(document_id), score=relevance,
                            snippet=snippet))
        return hits

    def document_ids(self) -> set[int]:
        searcher = self._ready().searcher()
        total = searcher.num_docs
        if total == 0:
            return set()
        found = searcher.search(Query.all_query(), limit=total, count=False)
        return {int(value) for value in searcher.fast_field_values("document_id", [a for _, a in found.hits])}

    def stats(self) -> IndexStats:
        searcher = self._ready().searcher()
        size = sum(path.stat().st_size for path in self.path.rglob("*") if path.is_file())
        detail = f"{searcher.num_segments} segments at {self.path}"
        outdated = self.analysis_outdated()
        if outdated:
            detail += "; built with an older analysis: run search_reindex"
        return IndexStats(documents=searcher.num_docs, size_bytes=size, detail=detail, outdated=outdated)
