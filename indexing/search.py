"""Searching documents as a recorded read: what the staff search API and page call.

`document_search` runs the search (`indexing.selectors.search_documents`: the engine filters on
the caller's principals, the page is re-checked against the database) and records it in the audit
trail as `search.performed`, since a search discloses content.
"""

from __future__ import annotations

import dataclasses

from backend.audit import services as audit
from indexing.backends import SearchBackend, SearchFilters
from indexing.selectors import SearchPage, search_documents


def _filters_detail(filters: SearchFilters | None) -> dict:
    """The filters that were set, as JSON for the audit trail."""
    if filters is None:
        return {}
    detail = {}
    for name, value in dataclasses.asdict(filters).items():
        if value in ((), [], None, False):
            continue
        detail[name] = list(value) if isinstance(value, (tuple, list)) else value
    return detail


def document_search(*, actor, q: str = "", filters: SearchFilters | None = None, sort: str = "relevance",
                    page: int = 1, page_size: int = 20, facets: tuple[str, ...] = (),
                    highlight_matches: bool = True, backend: SearchBackend | None = None) -> SearchPage:
    """Search (indexing.selectors.search_documents) and record it as `search.performed`: the query, the
    filters, the sort and page, how many versions matched and which documents the page showed — never the
    snippets. Browsing without a query or filter (the newest documents, as any document list) and a search
    that fails (bad query, engine down) are not recorded."""
    result = search_documents(user=actor, q=q, filters=filters, sort=sort, page=page, page_size=page_size,
                              facets=facets, highlight_matches=highlight_matches, backend=backend)
    chosen = _filters_detail(filters)
    if not q.strip() and not chosen:
        return result
    audit.record("search.performed", actor=actor, target_type="search.query", target_label=q[:200], detail={
        "q": q, "filters": chosen, "sort": sort, "page": result.page, "count": result.total,
        "document_ids": [row.version.document_id for row in result.results],
    })
    return result
