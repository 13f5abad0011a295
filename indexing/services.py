"""The old import path of the search hooks: import `indexing.hooks` instead.

Kept only while backend/documents is split into its own modules (they still name this path);
the writes of the index now live in hooks, outbox, sync, extraction, reindex and search.
"""

from indexing.hooks import index_document_acl_changed, index_document_changed, index_documents_changed

__all__ = ["index_document_acl_changed", "index_document_changed", "index_documents_changed"]
