"""Search: parse, ask the engine with the caller's principals, re-check the page against the database.

    search_documents(user=..., q="报价 ACME", filters=SearchFilters(kinds=("quote",)), facets=("customer",))

Security trimming happens twice: inside the engine (every query filters on
backend.access.policy.user_principals) and on the page (backend.access.policy.visible, one SQL
query), so an index that lags behind a revocation still shows nothing the caller may not see.

A page costs three queries besides authentication, whatever its size: the caller's principals;
the page's versions with their documents and uploaders, narrowed by `visible` as a subquery (the
re-check and the fetch in one); and one UNION ALL of everything else the page shows (tags, CRM
links and amounts, the uploader facet's names). Each query cost more in Django (building and
compiling it) and in PostgreSQL's planner than in running it, so the principals query, the page
query (per role/department/page shape, PreparedPage) and the UNION ALL (per page shape,
links.PreparedUnion) are compiled once per process and planned once per database connection
(backend.common.prepared); only their ids change between requests.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.db import connections, router
from django.db.models import Exists, OuterRef

from backend.access.policy import Action, is_active_staff, user_principals, visible
from backend.accounts.models import User
from indexing.engine import search_backend
from backend.common.metrics import SEARCH_LATENCY
from backend.common.prepared import (
    STAFF_DEPARTMENT_SLOT,
    STAFF_USER_SLOT,
    PreparedModelQuery,
    StaffStandIn,
    StandInRead,
    Uncompilable,
)
from backend.documents.filetypes import describe_mime
from backend.documents.models import Classification, Document, DocumentKind, DocumentVersion, VersionStatus
from indexing import highlight, query
from indexing.backends import InvalidSearch, SearchBackend, SearchFilters, SearchRequest
from indexing.backends.base import FACET_FIELDS
from indexing import links as crm_links
from indexing.models import VersionIndexState

MAX_PAGE_SIZE = 100
MAX_RESULT_WINDOW = 10_000  # deepest result reachable by paging (OpenSearch's default window)
SORTS = ("relevance", "newest", "oldest", "title")
FACETS = tuple(FACET_FIELDS)


@dataclass
class SearchHitRow:
    version: DocumentVersion
    score: float
    snippet: str | None
    title_html: str
    filename_html: str
    links: dict[str, Any]
    tags: list[str] = field(default_factory=list)  # the document's tag names, sorted
    ocr: bool = False  # some of the version's indexed text was recognised by OCR (a scan): the hit says so


@dataclass
class SearchPage:
    query: str
    total: int
    page: int
    page_size: int
    results: list[SearchHitRow]
    facets: dict[str, list[dict]] = field(default_factory=dict)
    trimmed: int = 0  # hits the engine returned that the database re-check removed


def _parse(q: str):
    try:
        return query.parse(q)
    except query.QuerySyntaxError as exc:
        raise InvalidSearch(f"The search query is invalid: {exc}", fields={"q": [str(exc)]}) from None


_CHOICE_LABELS = {
    "kind": dict(DocumentKind.choices),
    "classification": dict(Classification.choices),
    "status": dict(VersionStatus.choices),
}


def _facet_rows(facets: dict, *, users: dict[int, User]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for name, buckets in facets.items():
        rows = []
        for bucket in buckets:
            value, label = bucket.value, str(bucket.value)
            if name in _CHOICE_LABELS:
                label = str(_CHOICE_LABELS[name].get(value, value))
            elif name == "file_type":
                label = describe_mime(str(value))
            elif name == "customer":
                customer_id, _, customer_name = str(value).partition(":")
                value, label = int(customer_id), customer_name
            elif name == "uploader":
                user = users.get(int(value))
                value, label = int(value), (str(user) if user else f"user {value}")
            rows.append({"value": value, "label": label, "count": bucket.count})
        out[name] = rows
    return out


# What a result row shows (the API's render_page and the search page): loading only these
# columns spares building and converting the rest (passwords, hashes, keys) for every hit.
_PAGE_COLUMNS = (
    "document_id", "number", "mime_type", "original_filename", "status", "valid_until", "uploaded_by_id",
    "created_at",
    "document__title", "document__kind", "document__classification", "document__valid_version_id",
    "uploaded_by__username", "uploaded_by__display_name", "uploaded_by__first_name", "uploaded_by__last_name",
    "document__owner_id", "document__owner__username", "document__owner__display_name",
    "document__owner__first_name", "document__owner__last_name",
    "index_state__ocr_pages",
)


def _page_queryset(user, version_ids):
    # The policy decides each row of the page on its own document: `visible` narrows a queryset of
    # that one document (correlated with the version), and the version is shown only if it exists.
    # PostgreSQL then checks the grants of each page document through their index. Narrowing the
    # page's documents as a set instead (document_id IN visible(the page's documents)) let it hash
    # every grant the caller holds first: ~3,750 group grants, twice (view and read), for a user in
    # three teams at 500,000 grants, 10-13 ms of the page query against ~1 ms now.
    page_document = Document.objects.filter(pk=OuterRef("document_id")).order_by()
    allowed = Exists(visible(user, page_document, Action.VIEW))
    # view is the metadata only: whether the caller may also read the pages (and so see text from them
    # in a snippet) comes with the same row, not from a query of its own
    readable = Exists(visible(user, page_document, Action.READ))
    return (
        DocumentVersion.objects.filter(allowed, pk__in=version_ids)
        .annotate(may_read=readable)
        .select_related("document", "document__owner", "uploaded_by", "index_state")
        .only(*_PAGE_COLUMNS)
        .order_by()
    )


class PreparedPage:
    """The page re-check and fetch (`_page_queryset`) compiled once per shape and rerun with real ids.

    Building the policy's visibility filter and compiling the query cost several milliseconds of
    Python per request, far more than PostgreSQL spends running it. For an active staff user the
    SQL depends only on the user's role, on whether they have a department and on how many
    versions the page has; the user's id, department id and the page's version ids are
    parameters. The query is compiled for a stand-in user with placeholder ids (see
    StaffStandIn), and each run substitutes the real ones. `visible` still builds the filter; the
    rows become model instances as Django's ModelIterable makes them (select_related included).
    """

    _VERSION_BASE = -(2**40)

    def __init__(self, *, role: str, has_department: bool, versions: int, using: str):
        version_slots = [self._VERSION_BASE - index for index in range(versions)]
        placeholders = {value: ("version", index) for index, value in enumerate(version_slots)}
        # Every page id must be a parameter. The user's ids may be absent (an admin's rule never reads
        # the department), but never part of the SQL text.
        page = list(placeholders.values())
        placeholders[STAFF_USER_SLOT] = ("user", 0)
        if has_department:
            placeholders[STAFF_DEPARTMENT_SLOT] = ("department", 0)
        queryset = _page_queryset(StaffStandIn(role, has_department), version_slots)
        try:
            self._query = PreparedModelQuery(queryset, placeholders, using=using, required=page)
        except Uncompilable as exc:
            raise StandInRead(str(exc)) from exc

    def versions(self, user, version_ids: list[int]) -> list[DocumentVersion]:
        values = {("version", index): value for index, value in enumerate(version_ids)}
        values[("user", 0)], values[("department", 0)] = user.pk, user.department_id
        return self._query.instances(values)


@lru_cache(maxsize=512)
def _prepared_page(using: str, vendor: str, role: str, has_department: bool, versions: int) -> PreparedPage | None:
    try:
        return PreparedPage(role=role, has_department=has_department, versions=versions, using=using)
    except StandInRead:
        return None


def _visible_page_versions(user, hits) -> dict[int, DocumentVersion]:
    """The page's versions `user` may still view, with their document and uploader: one query.

    The policy (`visible`) decides on each version's document alone, as a subquery of the versions
    query, so the re-check costs no round trip of its own. For active staff the query is prepared
    once per shape (PreparedPage); anyone else gets it built afresh.
    """
    if not hits:
        return {}
    version_ids = [hit.version_id for hit in hits]
    prepared = None
    if is_active_staff(user):
        using = router.db_for_read(DocumentVersion)
        prepared = _prepared_page(using, connections[using].vendor, str(user.role), user.department_id is not None,
                                  len(version_ids))
    if prepared is not None:
        page = prepared.versions(user, version_ids)
    else:
        page = _page_queryset(user, version_ids)
    return {version.pk: version for version in page}


_USER_NAME_FIELDS = ("username", "display_name", "first_name", "last_name")  # what str(user) reads


def _page_fact_queries(document_ids, uploader_ids) -> list:
    queries = []
    if document_ids:
        queries.append(crm_links.fact_rows(
            Document.tags.through.objects.filter(document_id__in=document_ids), "tag", "document_id",
            text="tag__name",
        ))
        queries.extend(crm_links.link_fact_queries(document_ids))
    if uploader_ids:
        people = User.objects.filter(pk__in=uploader_ids)
        queries.extend(crm_links.fact_rows(people, f"user.{name}", "pk", text=name) for name in _USER_NAME_FIELDS)
    return queries


@lru_cache(maxsize=256)
def _prepared_page_facts(using: str, vendor: str, documents: int, uploaders: int) -> crm_links.PreparedUnion:
    return crm_links.PreparedUnion(_page_fact_queries, (documents, uploaders), using=using)


def _page_facts(document_ids: list[int], uploader_ids: list[int]) -> tuple[dict, dict, dict]:
    """What the page shows besides the versions, from one query (UNION ALL, compiled once per shape):

    ({document: tag names}, {document: CRM links}, {user id: User with its name fields}) for the
    page's documents and the uploader facet's users.
    """
    rows = []
    if document_ids or uploader_ids:
        using = router.db_for_read(DocumentVersion)
        prepared = _prepared_page_facts(using, connections[using].vendor, len(document_ids), len(uploader_ids))
        rows = prepared.rows(document_ids, uploader_ids)
    tags: dict[int, list[str]] = {}
    names: dict[int, dict[str, str]] = {}
    for row in rows:
        kind = row[0]
        if kind == "tag":
            tags.setdefault(row[1], []).append(row[3])
        elif kind.startswith("user."):
            names.setdefault(row[1], {})[kind[5:]] = row[3]
    for tag_names in tags.values():
        tag_names.sort()
    users = {pk: User(pk=pk, **fields) for pk, fields in names.items()}
    links = crm_links.links_from_rows(document_ids, rows) if document_ids else {}
    return tags, links, users


def _text_by_ocr(version: DocumentVersion) -> bool:
    try:
        state = version.index_state  # fetched with the page (select_related)
    except VersionIndexState.DoesNotExist:
        return False
    return state is not None and state.ocr_pages > 0


@SEARCH_LATENCY.labels("documents").time()
def search_documents(
    *,
    user,
    q: str = "",
    filters: SearchFilters | None = None,
    sort: str = "relevance",
    page: int = 1,
    page_size: int = 20,
    facets: tuple[str, ...] = (),
    highlight_matches: bool = True,
    backend: SearchBackend | None = None,
) -> SearchPage:
    """One page of versions `user` may view, ranked, with snippets and facet counts."""
    filters = filters or SearchFilters()
    if sort not in SORTS:
        raise InvalidSearch(f"Sort by one of: {', '.join(SORTS)}.", fields={"sort": ["Unknown sort."]})
    unknown = [name for name in facets if name not in FACETS]
    if unknown:
        raise InvalidSearch(f"Unknown facet {unknown[0]!r}; choose from {', '.join(FACETS)}.",
                            fields={"facets": ["Unknown facet."]})
    page_size = max(1, min(page_size, MAX_PAGE_SIZE))
    page = max(1, page)
    if page * page_size > MAX_RESULT_WINDOW:
        raise InvalidSearch(
            f"Results beyond the first {MAX_RESULT_WINDOW} are not available; narrow the search instead.",
            fields={"page": ["Too deep."]},
        )
    parsed = _parse(q)
    principals = tuple(user_principals(user))
    empty = SearchPage(query=q, total=0, page=page, page_size=page_size, results=[],
                       facets={name: [] for name in facets})
    if not principals:
        return empty
    request = SearchRequest(
        query=parsed,
        principals=principals,
        filters=filters,
        sort=sort,
        offset=(page - 1) * page_size,
        limit=page_size,
        facets=tuple(facets),
        highlight=highlight_matches,
    )
    result = (backend or search_backend()).search(request)

    # The database has the last word: drop anything the caller may not view (any more).
    versions = _visible_page_versions(user, result.hits)
    document_ids = sorted({version.document_id for version in versions.values()})
    uploader_ids = sorted({int(bucket.value) for bucket in result.facets.get("uploader", [])})
    tags, links, users = _page_facts(document_ids, uploader_ids)
    terms = parsed.highlight_terms if parsed is not None else ()
    marker = highlight.Highlighter(terms)
    rows = []
    for hit in result.hits:
        version = versions.get(hit.version_id)
        if version is None:
            continue
        # The view level is the metadata only: a hit the caller may not read shows no text from its pages.
        may_read = bool(version.may_read)
        rows.append(
            SearchHitRow(
                version=version,
                score=hit.score,
                snippet=hit.snippet if may_read else None,
                title_html=marker.highlight_all(version.document.title),
                filename_html=marker.highlight_all(version.original_filename),
                links=links.get(version.document_id) or {},
                tags=tags.get(version.document_id, []),
                ocr=may_read and _text_by_ocr(version),
            )
        )
    trimmed = len(result.hits) - len(rows)
    return SearchPage(
        query=q,
        total=max(0, result.total - trimmed),
        page=page,
        page_size=page_size,
        results=rows,
        facets=_facet_rows(result.facets, users=users),
        trimmed=trimmed,
    )


def search_counts(*, user, q: str = "", filter_sets, backend: SearchBackend | None = None) -> list[int]:
    """How many versions `user` may view match `q` under each of `filter_sets` (the search page's date
    shortcuts): the engine's totals, trimmed there by the caller's principals like the facet counts.
    No page is fetched, so there is nothing to re-check in the database; the query is parsed and the
    principals read once for all the counts."""
    parsed = _parse(q)
    principals = tuple(user_principals(user))
    if not principals:
        return [0 for _ in filter_sets]
    backend = backend or search_backend()
    return [backend.search(SearchRequest(query=parsed, principals=principals, filters=filters, limit=1,
                                         highlight=False)).total
            for filters in filter_sets]


def local_day_bounds(date_from: dt.date | None, date_to: dt.date | None) -> tuple[dt.datetime | None, dt.datetime | None]:
    """[start of date_from, start of the day after date_to) in the site's time zone."""
    from django.utils import timezone

    zone = timezone.get_current_timezone()
    start = dt.datetime.combine(date_from, dt.time.min, tzinfo=zone) if date_from else None
    end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min, tzinfo=zone) if date_to else None
    return start, end


def version_extracted_text(*, version_id: int) -> str:
    """The text extracted from a version for search ("" while it waits, or when it has none: an image,
    an unreadable file). For showing a version as text where it cannot be rendered otherwise; the
    caller has checked that it may be seen."""
    return VersionIndexState.objects.filter(version_id=version_id).values_list("text", flat=True).first() or ""


# --- the pipeline's state, for operations (/metrics) ---------------------------------------------


@dataclass(frozen=True)
class OutboxBacklog:
    rows: int
    oldest: dt.datetime | None  # when the oldest waiting row was queued


def outbox_backlog() -> OutboxBacklog:
    """How many outbox rows wait to be (re)indexed, and since when (one query)."""
    from django.db.models import Count, Min

    from indexing.models import SearchOutbox

    figures = SearchOutbox.objects.aggregate(rows=Count("id"), oldest=Min("created_at"))
    return OutboxBacklog(rows=figures["rows"], oldest=figures["oldest"])


def extraction_failure_count() -> int:
    """Versions whose text could not be extracted (listed by `manage.py search_status`)."""
    from indexing.models import IndexStatus

    return VersionIndexState.objects.filter(status=IndexStatus.FAILED).count()
