"""The trash: deleting a document moves it here; its owner (or whoever could manage it) restores it
within TRASH_RETENTION_DAYS; then the purge job deletes it for good.

    document_trash(actor, document)              manage access; refused under a legal hold
    document_restore(actor, document)            backend.access.policy.trash.may_restore_document
    document_purge(actor, document, reason)      delete for good: from the trash (its restorers), an
                                                 approved disposal (compliance), or the purge job
                                                 (actor None); never under a legal hold
    trash_purge_expired(now)                     the job: every document past the trash window

A document in the trash keeps its rows and objects; the access policy hides it from everyone
(lists, search, shares, pages), and the search index drops it until it is restored. Its objects go
only when purged and no row references them any more (as document_delete).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from backend.access.policy import Action
from backend.access.policy.trash import may_purge_document, may_restore_document, trash_visibility_q
from backend.access.services import require
from backend.audit import services as audit
from backend.common.errors import Conflict, NotFound, UnderLegalHold
from backend.documents.audit_events import DOCUMENT_PURGED, DOCUMENT_RESTORED, DOCUMENT_TRASHED
from backend.documents.holds import ensure_not_held
from backend.documents.models import Document
from backend.documents.services import document_erase
from backend.documents.versions import ensure_not_locked_by_other, locked_document
from indexing import hooks as search_index

logger = logging.getLogger(__name__)

# The services' sentences, for the catalogue (backend/ui/errors.py shows them translated).
MESSAGES = (
    gettext_noop("This document is under a legal hold: it cannot be deleted, purged or lose a version until "
                 "compliance lifts the hold."),
    gettext_noop("The document is not in the trash."),
    gettext_noop("The document is already in the trash."),
)


def trash_retention_days() -> int:
    return int(getattr(settings, "TRASH_RETENTION_DAYS", 30))


def purge_due_at(document: Document) -> dt.datetime | None:
    """When the purge job deletes a document in the trash for good."""
    if document.trashed_at is None:
        return None
    return document.trashed_at + dt.timedelta(days=trash_retention_days())


def trashed_document_get(*, actor, document_id: int) -> Document:
    """A document in the trash that `actor` may restore; NotFound otherwise (missing, not in the trash, or
    not theirs: alike)."""
    document = (Document.objects.select_related("owner", "trashed_by").filter(trash_visibility_q(actor))
                .filter(pk=document_id).first())
    if document is None:
        raise NotFound()
    return document


def document_trash(*, actor, document: Document) -> Document:
    """Move a document to the trash (manage access). Refused under a legal hold (409) or while someone
    else has it checked out (409). Audited; the search index drops it."""
    require(actor=actor, action=Action.MANAGE, obj=document)
    with transaction.atomic():
        locked = locked_document(document)
        if locked.trashed_at is not None:
            raise Conflict("The document is already in the trash.")
        ensure_not_locked_by_other(locked, actor)
        ensure_not_held(locked)
        locked.trashed_at = timezone.now()
        locked.trashed_by = actor
        locked.save(update_fields=["trashed_at", "trashed_by"])
        search_index.index_document_changed(document_id=locked.pk, reason="trashed")
        audit.record(DOCUMENT_TRASHED, actor=actor, target=locked,
                     detail={"title": locked.title, "purge_due": purge_due_at(locked).isoformat()})
    return locked


def document_restore(*, actor, document: Document) -> Document:
    """Take a document out of the trash (whoever could manage it). Audited; the index has it again."""
    if not may_restore_document(actor, document):
        raise NotFound()
    with transaction.atomic():
        locked = locked_document(document)
        if locked.trashed_at is None:
            raise Conflict("The document is not in the trash.")
        trashed_at, trashed_by = locked.trashed_at, locked.trashed_by_id
        locked.trashed_at = None
        locked.trashed_by = None
        locked.save(update_fields=["trashed_at", "trashed_by"])
        search_index.index_document_changed(document_id=locked.pk, reason="restored")
        audit.record(DOCUMENT_RESTORED, actor=actor, target=locked,
                     detail={"trashed_at": trashed_at.isoformat(), "trashed_by": trashed_by})
    return locked


def document_purge(*, actor, document: Document, reason: str, detail: dict | None = None) -> None:
    """Delete a document for good: its rows now, its objects once no row references them.

    `actor`: who purges it from the trash (whoever may restore it), compliance for an approved disposal
    (any document, in the trash or not), or None for the purge job (only documents in the trash past
    TRASH_RETENTION_DAYS). `reason` (and `detail`) go into the `document.purged` event, e.g. the
    disposal that approved it. Never under a legal hold: UnderLegalHold (409)."""
    if actor is not None and not may_purge_document(actor, document):
        raise NotFound()
    with transaction.atomic():
        locked = locked_document(document)
        if actor is None:
            due = purge_due_at(locked)
            if due is None or due > timezone.now():
                raise Conflict("The document is not in the trash.")
        ensure_not_held(locked)
        extra = {"reason": reason, "trashed_at": locked.trashed_at.isoformat() if locked.trashed_at else None,
                 **(detail or {})}
        document_erase(actor=actor, locked=locked, event=DOCUMENT_PURGED, detail=extra)


@dataclass
class PurgeReport:
    purged: list[int] = field(default_factory=list)
    held: list[int] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)


def trash_purge_expired(*, now: dt.datetime | None = None, limit: int | None = None) -> PurgeReport:
    """The purge job: delete for good every document in the trash longer than TRASH_RETENTION_DAYS.
    Held documents stay (listed in the report); each document is its own transaction, so one failure
    stops nothing else. Idempotent."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=trash_retention_days())
    report = PurgeReport()
    due = Document.objects.filter(trashed_at__isnull=False, trashed_at__lte=cutoff).order_by("trashed_at", "pk")
    for document in due[:limit] if limit else due:
        try:
            document_purge(actor=None, document=document, reason="trash_expired")
        except UnderLegalHold:
            report.held.append(document.pk)
        except (Conflict, Document.DoesNotExist) as exc:  # restored or purged meanwhile
            report.failed.append((document.pk, str(exc)))
        else:
            report.purged.append(document.pk)
    return report


def trash_list_for(*, user) -> list[Document]:
    """The documents in the trash `user` may restore, latest first, each with `purge_due` and `held`."""
    from backend.documents.holds import held_document_ids

    documents = list(Document.objects.filter(trash_visibility_q(user)).select_related("owner", "trashed_by")
                     .order_by("-trashed_at", "-pk")[:500])
    held = held_document_ids(document.pk for document in documents)
    for document in documents:
        document.purge_due = purge_due_at(document)
        document.held = document.pk in held
    return documents
