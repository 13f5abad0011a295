"""The one interface every search engine implements, and the values that cross it.

An indexed item is one document *version* (`IndexDoc`); deleting works per document. Queries
arrive as a `SearchRequest` whose text is an already parsed tree (indexing/query.py) and whose
`principals` are the caller's tokens from backend.access.policy.user_principals: every backend
must return only versions whose indexed principals intersect them.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from backend.common.errors import BackendUnavailable, InvalidInput
from indexing.query import ParsedQuery

# Searchable text fields and their weights (the same on every backend).
def title_sort_key(title: str) -> str:
    """What results sort on by title, in both backends: the folded title's first 100 characters."""
    from indexing import analysis

    return analysis.fold(title or "").strip()[:100]


FIELD_BOOSTS: dict[str, float] = {"title": 3.0, "meta": 2.0, "body": 1.0}
# The body field is searched only where the caller may read (IndexDoc.body_readers): a search adds this
# token to the caller's principals for that clause.
BODY_FIELD = "body"
EVERY_VIEWER_READS = "*read"
TIE_BREAKER = 0.3
SNIPPET_CHARS = 200

# Facet name -> indexed field. Facet values are strings for keywords, ints for ids.
FACET_FIELDS: dict[str, str] = {
    "kind": "kind",
    "classification": "classification",
    "status": "status",
    "file_type": "mime_type",
    "customer": "customer_labels",
    "opportunity": "opportunity_ids",
    "uploader": "uploader_id",
}
FACET_SIZE = 20


class SearchUnavailable(BackendUnavailable):
    code = "search_unavailable"
    default_message = "Search is unavailable right now; documents are safe and will be indexed when it is back."


class IndexOutdated(SearchUnavailable):
    """The index was built by another version of Dossier (another schema or analysis): rebuild it."""

    code = "search_index_outdated"


class InvalidSearch(InvalidInput):
    code = "invalid_query"


@dataclass
class IndexDoc:
    """What the index holds for one version."""

    version_id: int
    document_id: int
    title: str
    meta: str  # file name, tags, description, version comment, linked customer names
    body: str  # extracted text ("" when none)
    kind: str
    classification: str
    status: str  # draft, approved, superseded, expired
    is_valid: bool
    mime_type: str
    uploader_id: int
    created_at: dt.datetime
    principals: list[str]
    customer_ids: list[int] = field(default_factory=list)
    customer_names: list[str] = field(default_factory=list)
    opportunity_ids: list[int] = field(default_factory=list)
    # Who may also read the pages (backend.access.policy.search_principals_for_documents); None: everyone in
    # `principals`. The body (the extracted text) is searched only for them: a "view" grant finds a
    # document by its title and details, never by what its pages say.
    readers: list[str] | None = None

    @property
    def body_readers(self) -> list[str]:
        """The index tokens that open the body to a search: EVERY_VIEWER_READS when all who may view may read
        (nearly every document, so the body's filter stays one short term list), else the readers' own."""
        if self.readers is None or set(self.principals) <= set(self.readers):
            return [EVERY_VIEWER_READS]
        return list(self.readers)

    @property
    def customer_labels(self) -> list[str]:
        """`id:name` pairs, so a facet bucket can be shown without another lookup."""
        return [f"{cid}:{name}" for cid, name in zip(self.customer_ids, self.customer_names)]


@dataclass(frozen=True)
class SearchFilters:
    kinds: tuple[str, ...] = ()
    classifications: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    mime_types: tuple[str, ...] = ()
    customer_ids: tuple[int, ...] = ()
    opportunity_ids: tuple[int, ...] = ()
    uploader_ids: tuple[int, ...] = ()
    document_ids: tuple[int, ...] = ()
    date_from: dt.datetime | None = None  # inclusive
    date_to: dt.datetime | None = None  # exclusive
    all_versions: bool = False

    def term_filters(self) -> list[tuple[str, list]]:
        """(index field, accepted values) for every set filter; each backend turns these into its own terms query."""
        pairs = (
            ("kind", self.kinds),
            ("classification", self.classifications),
            ("status", self.statuses),
            ("mime_type", self.mime_types),
            ("customer_ids", self.customer_ids),
            ("opportunity_ids", self.opportunity_ids),
            ("uploader_id", self.uploader_ids),
            ("document_id", self.document_ids),
        )
        return [(name, list(values)) for name, values in pairs if values]


@dataclass(frozen=True)
class SearchRequest:
    query: ParsedQuery | None  # None: browse everything the filters allow
    principals: tuple[str, ...]
    filters: SearchFilters = SearchFilters()
    sort: str = "relevance"  # relevance, newest, oldest, title
    offset: int = 0
    limit: int = 20
    facets: tuple[str, ...] = ()
    highlight: bool = True


@dataclass(frozen=True)
class Hit:
    version_id: int
    document_id: int
    score: float
    snippet: str | None = None  # HTML: escaped text with <mark> around matches


@dataclass(frozen=True)
class FacetBucket:
    value: str | int
    count: int


class SearchResult:
    """What a search found: how many versions match, this page's hits, and the facet counts.

    A backend may hand the facets back still being counted (`pending_facets`: a function that
    waits for them and returns them, or raises SearchUnavailable), so the caller can re-check the
    page in the database meanwhile. Reading `facets` waits, once.
    """

    __slots__ = ("total", "hits", "_facets", "_pending_facets")

    def __init__(self, total: int, hits: list[Hit], facets: dict[str, list[FacetBucket]] | None = None, *,
                 pending_facets: Callable[[], dict[str, list[FacetBucket]]] | None = None):
        self.total = total
        self.hits = hits
        self._facets = facets if facets is not None else {}
        self._pending_facets = pending_facets

    @property
    def facets(self) -> dict[str, list[FacetBucket]]:
        if self._pending_facets is not None:
            pending, self._pending_facets = self._pending_facets, None
            self._facets = pending()
        return self._facets

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SearchResult):
            return NotImplemented
        return (self.total, self.hits, self.facets) == (other.total, other.hits, other.facets)

    def __repr__(self) -> str:
        return f"SearchResult(total={self.total!r}, hits={self.hits!r}, facets={self.facets!r})"


@dataclass(frozen=True)
class IndexStats:
    documents: int  # indexed versions
    size_bytes: int
    detail: str = ""
    outdated: bool = False  # built with another analysis: `search_reindex --clear` (or --if-outdated) rebuilds it


class SearchBackend(ABC):
    """A search engine holding one entry per document version."""

    kind: str = ""

    @abstractmethod
    def index(self, docs: Sequence[IndexDoc]) -> None:
        """Add or replace these versions (keyed by version id). Visible to search once this returns."""

    @abstractmethod
    def replace_documents(self, document_ids: Sequence[int], docs: Sequence[IndexDoc]) -> None:
        """Make the index hold exactly `docs` for these documents (none: the documents are gone)."""

    def delete_documents(self, document_ids: Sequence[int]) -> None:
        self.replace_documents(document_ids, [])

    @abstractmethod
    def search(self, request: SearchRequest) -> SearchResult:
        """Ranked, permission-trimmed hits with snippets and facet counts."""

    @abstractmethod
    def document_ids(self) -> set[int]:
        """Every document id with at least one indexed version."""

    @abstractmethod
    def stats(self) -> IndexStats: ...

    @abstractmethod
    def clear(self) -> None:
        """Drop everything (and recreate an empty index)."""

    @abstractmethod
    def ping(self) -> None:
        """Raise SearchUnavailable unless the engine answers."""

    @contextmanager
    def bulk(self) -> Iterator["SearchBackend"]:
        """Batch many writes (a full reindex): backends may keep a writer open until the block ends."""
        yield self

    def close(self) -> None:
        """Release writers, files and connections."""
