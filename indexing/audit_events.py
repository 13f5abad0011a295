"""Audit event types of the search index (discovered by the audit app at start-up)."""

from django.utils.translation import gettext_lazy as _

from backend.audit.events import register

# One line a type: its stable name, a description and a short translated label.
SEARCH_REINDEX_STARTED = register("search.reindex.started", "A full rebuild of the search index was started (or resumed).", label=_("Started rebuilding the search index"))
SEARCH_REINDEX_FINISHED = register("search.reindex.finished", "A full rebuild of the search index finished.", label=_("Finished rebuilding the search index"))
SEARCH_INDEX_CLEARED = register("search.index.cleared", "The search index was emptied before a rebuild.", label=_("Emptied the search index"))
# A read that discloses content: the query, the filters and how many versions matched (never the snippets).
SEARCH_PERFORMED = register("search.performed", "Staff searched the documents' full text (the query, filters, result count and the documents shown).", label=_("Searched documents"))
