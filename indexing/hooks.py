"""What other apps call when a document changed: the search index follows after the commit.

    search_index.index_document_changed(document_id=doc.pk, reason="created")

Call it inside the service's transaction, before its audit event (never from an on-commit callback:
a crash between the commit and the callback would lose the change). The document is queued in the
outbox (`indexing.outbox`) in that transaction, and once it commits the `indexing.sync_documents`
task starts (`transaction.on_commit`, as `indexing.articles.article_changed` does for knowledge
articles). A hook never raises: the change it reports already happened. If the engine is down
the row stays in the outbox and the periodic drain writes it later.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from indexing.outbox import outbox_add
from indexing.tasks import sync_documents_start


def index_documents_changed(*, document_ids: Iterable[int], reason: str = "changed") -> None:
    """Queue documents for re-indexing and start the work once the transaction commits."""
    ids = outbox_add(document_ids=document_ids, reason=reason)
    if ids:
        transaction.on_commit(lambda: sync_documents_start(ids))


def index_document_changed(*, document_id: int, reason: str = "changed") -> None:
    """A document, one of its versions, its tags or its status changed (or it was deleted)."""
    index_documents_changed(document_ids=[document_id], reason=reason)


def index_document_acl_changed(*, document_id: int) -> None:
    """Who may see a document changed (grant, revoke, classification, CRM link)."""
    index_documents_changed(document_ids=[document_id], reason="access")
