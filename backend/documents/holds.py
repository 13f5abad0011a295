"""Legal holds: while a hold is active, nothing it covers may be trashed, purged or lose a version.

A hold names one document, a named matter (a set of documents), or a customer (every document linked
to it, those linked later included). Placing and lifting one needs compliance
(backend.access.policy.trash.may_manage_legal_holds) and is audited.

The objects of held documents are also held on the store itself (`ObjectStore.set_legal_hold`: S3
Object Lock legal hold on a versioned, object-lock bucket; the local store records the hold and refuses
deletes). `legal_holds_sync_store()` makes the store agree with the database: it holds what active
holds cover and releases the rest, recording each object it holds in HeldObject. It runs after each
place and lift (on commit) and hourly (beat), which also catches versions uploaded to a held document
and documents linked to a held customer since.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_noop

from backend.access.policy.trash import may_manage_legal_holds
from backend.audit import services as audit
from backend.common.errors import InvalidInput, NotFound, UnderLegalHold
from backend.common.text import clean_line
from backend.documents.audit_events import LEGAL_HOLD_CHANGED, LEGAL_HOLD_LIFTED, LEGAL_HOLD_PLACED
from backend.documents.models import Document, DocumentVersion, HeldObject, LegalHold, LegalHoldScope
from backend.documents.store import object_store
from storage.errors import StoreError

logger = logging.getLogger(__name__)

MAX_NAME_CHARS = 200
MAX_REASON_CHARS = 5_000

# The services' sentences, for the catalogue (backend/ui/errors.py shows them translated).
MESSAGES = (
    gettext_noop("The legal hold is invalid."), gettext_noop("At most 5000 characters."),
    gettext_noop("Choose a customer."), gettext_noop("Choose one document."),
    gettext_noop("Choose at least one document."), gettext_noop("Only an active matter's documents can change."),
    gettext_noop("Choose document, customer or matter."),
)


# --- what is held -------------------------------------------------------------------------------------


def active_holds() -> QuerySet:
    return LegalHold.objects.filter(lifted_at__isnull=True)


def held_documents_q() -> Q:
    """Documents an active hold covers, in SQL (named in a hold, or linked to a held customer)."""
    from backend.crm.models import DocumentLink

    named = LegalHold.documents.through.objects.filter(document_id=OuterRef("pk"), legalhold__lifted_at__isnull=True)
    by_customer = DocumentLink.objects.filter(
        document_id=OuterRef("pk"),
        customer_id__in=active_holds().filter(customer__isnull=False).values("customer_id"),
    )
    return Exists(named) | Exists(by_customer)


def holds_on_document(document: Document) -> list[LegalHold]:
    """The active holds covering `document`, oldest first."""
    from backend.crm.models import DocumentLink

    customers = DocumentLink.objects.filter(document_id=document.pk).values("customer_id")
    return list(active_holds().filter(Q(documents=document) | Q(customer_id__in=customers))
                .distinct().order_by("placed_at", "id"))


def is_held(document: Document) -> bool:
    return bool(holds_on_document(document))


def ensure_not_held(document: Document) -> None:
    """UnderLegalHold (409) naming the holds, when any active hold covers `document`."""
    holds = holds_on_document(document)
    if holds:
        raise UnderLegalHold(holds=[{"id": hold.pk, "name": hold.name} for hold in holds])


def held_object_keys() -> set[str]:
    """The keys of every version of every held document (what the store should hold)."""
    held = Document.objects.filter(held_documents_q()).values("pk")
    return set(DocumentVersion.objects.filter(document_id__in=held).values_list("object_key", flat=True).distinct())


# --- placing and lifting ---------------------------------------------------------------------------


def _require_compliance(actor) -> None:
    if not may_manage_legal_holds(actor):
        raise NotFound()


def _clean(name: str, reason: str) -> tuple[str, str]:
    name = clean_line(name or "")
    reason = (reason or "").strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = ["A name is required."]
    elif len(name) > MAX_NAME_CHARS:
        errors["name"] = ["At most 200 characters."]
    if not reason:
        errors["reason"] = ["A reason is required."]
    elif len(reason) > MAX_REASON_CHARS:
        errors["reason"] = ["At most 5000 characters."]
    if errors:
        raise InvalidInput("The legal hold is invalid.", fields=errors)
    return name, reason


def _documents(document_ids: Iterable[int]) -> list[Document]:
    ids = sorted({int(pk) for pk in document_ids})
    documents = list(Document.objects.filter(pk__in=ids).order_by("pk"))
    if len(documents) != len(ids):
        raise InvalidInput("No such document.", fields={"documents": ["No such document."]})
    return documents


def legal_hold_place(*, actor, scope: str, name: str, reason: str, documents: Iterable[Document] = (),
                     customer=None) -> LegalHold:
    """Place a hold (compliance only): on one document, a matter's documents, or a customer's."""
    _require_compliance(actor)
    name, reason = _clean(name, reason)
    documents = _documents(document.pk for document in documents)
    if scope == LegalHoldScope.CUSTOMER:
        if customer is None:
            raise InvalidInput("Choose a customer.", fields={"customer": ["Choose a customer."]})
        documents = []
    elif scope == LegalHoldScope.DOCUMENT:
        if len(documents) != 1:
            raise InvalidInput("Choose one document.", fields={"documents": ["Choose one document."]})
        customer = None
    elif scope == LegalHoldScope.MATTER:
        if not documents:
            raise InvalidInput("Choose at least one document.", fields={"documents": ["Choose at least one document."]})
        customer = None
    else:
        raise InvalidInput("The legal hold is invalid.", fields={"scope": ["Choose document, customer or matter."]})
    with transaction.atomic():
        hold = LegalHold.objects.create(scope=scope, name=name, reason=reason, customer=customer,
                                        placed_by=actor, placed_at=timezone.now())
        hold.documents.set(documents)
        transaction.on_commit(_sync_store_quietly)
        audit.record(LEGAL_HOLD_PLACED, actor=actor, target=hold,
                     customer_id=customer.pk if customer is not None else None,
                     detail={"scope": scope, "reason": reason, "documents": [d.pk for d in documents],
                             "customer": customer.pk if customer is not None else None})
    return hold


def legal_hold_documents_change(*, actor, hold: LegalHold, add: Iterable[Document] = (),
                                remove: Iterable[Document] = ()) -> LegalHold:
    """Add documents to (or remove them from) an active matter's hold."""
    _require_compliance(actor)
    if hold.scope != LegalHoldScope.MATTER or hold.lifted_at is not None:
        raise InvalidInput("Only an active matter's documents can change.",
                           fields={"documents": ["Only an active matter's documents can change."]})
    added = _documents(document.pk for document in add)
    removed = _documents(document.pk for document in remove)
    with transaction.atomic():
        locked = LegalHold.objects.select_for_update().get(pk=hold.pk)
        before = set(locked.documents.values_list("pk", flat=True))
        locked.documents.add(*added)
        locked.documents.remove(*removed)
        after = set(locked.documents.values_list("pk", flat=True))
        if not after:
            raise InvalidInput("Choose at least one document.", fields={"documents": ["Choose at least one document."]})
        if after != before:
            transaction.on_commit(_sync_store_quietly)
            audit.record(LEGAL_HOLD_CHANGED, actor=actor, target=locked,
                         detail={"added": sorted(after - before), "removed": sorted(before - after)})
    return locked


def legal_hold_lift(*, actor, hold: LegalHold, reason: str) -> LegalHold:
    """Lift a hold (compliance only, with a reason); the store releases objects no other hold covers."""
    _require_compliance(actor)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("A reason is required.", fields={"lift_reason": ["A reason is required."]})
    with transaction.atomic():
        locked = LegalHold.objects.select_for_update().get(pk=hold.pk)
        if locked.lifted_at is not None:
            return locked
        locked.lifted_at = timezone.now()
        locked.lifted_by = actor
        locked.lift_reason = reason[:MAX_REASON_CHARS]
        locked.save(update_fields=["lifted_at", "lifted_by", "lift_reason"])
        transaction.on_commit(_sync_store_quietly)
        audit.record(LEGAL_HOLD_LIFTED, actor=actor, target=locked, customer_id=locked.customer_id,
                     detail={"scope": locked.scope, "reason": reason})
    return locked


def legal_hold_get(*, actor, hold_id: int) -> LegalHold:
    _require_compliance(actor)
    hold = LegalHold.objects.select_related("customer", "placed_by", "lifted_by").filter(pk=hold_id).first()
    if hold is None:
        raise NotFound()
    return hold


# --- the store ---------------------------------------------------------------------------------------


@dataclass
class HoldSyncReport:
    held: list[str] = field(default_factory=list)
    released: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (key, why)


def legal_holds_sync_store() -> HoldSyncReport:
    """Hold on the store every object active holds cover, release the objects they no longer cover.
    Idempotent; a failure leaves the record as it was for that object, to be retried on the next run."""
    store = object_store()
    report = HoldSyncReport()
    wanted = held_object_keys()
    recorded = set(HeldObject.objects.values_list("object_key", flat=True))
    for key in sorted(wanted - recorded):
        try:
            store.set_legal_hold(key)
        except StoreError as exc:
            report.failed.append((key, str(exc)))
            continue
        HeldObject.objects.get_or_create(object_key=key)
        report.held.append(key)
    for key in sorted(recorded - wanted):
        try:
            store.clear_legal_hold(key)
        except StoreError as exc:
            report.failed.append((key, str(exc)))
            continue
        HeldObject.objects.filter(object_key=key).delete()
        report.released.append(key)
    return report


def _sync_store_quietly() -> None:
    try:
        report = legal_holds_sync_store()
    except StoreError as exc:
        logger.warning("legal holds not synced to the store (retried hourly): %s", exc)
        return
    for key, why in report.failed:
        logger.warning("legal hold of %s not synced to the store (retried hourly): %s", key, why)


# --- reading -------------------------------------------------------------------------------------------


def legal_holds_list(*, actor, active: bool) -> list[LegalHold]:
    """Active holds (newest first) or lifted ones (latest lifted first), with what they cover, for
    compliance; nothing for anyone else."""
    if not may_manage_legal_holds(actor):
        return []
    rows = LegalHold.objects.filter(lifted_at__isnull=active).select_related("customer", "placed_by", "lifted_by")
    rows = rows.prefetch_related("documents").order_by("-placed_at", "-id") if active else \
        rows.prefetch_related("documents").order_by("-lifted_at", "-id")
    return list(rows)


def held_document_ids(document_ids: Iterable[int]) -> set[int]:
    """Which of these documents an active hold covers (one query)."""
    return set(Document.objects.filter(pk__in=list(document_ids)).filter(held_documents_q())
               .values_list("pk", flat=True))
