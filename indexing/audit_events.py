"""Audit event types of the search index (discovered by the audit app at start-up)."""

from django.utils.translation import gettext_lazy as _

from backend.audit.events import register

# (name, description, label), one row a type; a row binds the constant its call sites record with.
_EVENTS = [
    (SEARCH_REINDEX_STARTED := "search.reindex.started", "A full rebuild of the search index was started (or resumed).", _("Started rebuilding the search index")),
    (SEARCH_REINDEX_FINISHED := "search.reindex.finished", "A full rebuild of the search index finished.", _("Finished rebuilding the search index")),
    (SEARCH_INDEX_CLEARED := "search.index.cleared", "The search index was emptied before a rebuild.", _("Emptied the search index")),
    # A read that discloses content: the query, the filters and how many versions matched (never the snippets).
    (SEARCH_PERFORMED := "search.performed", "Staff searched the documents' full text (the query, filters, result count and the documents shown).", _("Searched documents")),
]
for _name, _description, _label in _EVENTS:
    register(_name, _description, label=_label)
