"""Audit event types of the search index (discovered by the audit app at start-up)."""

from backend.audit.events import register

SEARCH_REINDEX_STARTED = register(
    "search.reindex.started", "A full rebuild of the search index was started (or resumed)."
)
SEARCH_REINDEX_FINISHED = register("search.reindex.finished", "A full rebuild of the search index finished.")
SEARCH_INDEX_CLEARED = register("search.index.cleared", "The search index was emptied before a rebuild.")
