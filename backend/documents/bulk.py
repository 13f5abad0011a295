"""Bulk actions on a selection of documents: add or remove tags, link to a CRM record, change the
classification, share with a customer.

Each document of the selection goes through the same per-document service a single change uses
(`document_update`, `document_link_create`, `document_share_create`), so the policy decides and the
audit trail records every document on its own: a change as its usual event, a refusal as the usual
denial. One document's refusal never stops the others (each runs in its own transaction); the outcome
says, per document, what was done, what was already so, and what was refused and why. A last event,
`document.bulk.applied`, records the whole run: the action, its parameters and each document's result.

A document the actor may not see is reported as "not found" by its id alone, exactly like a missing
one: a selection never reveals a hidden document's title.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from django.db import transaction

from backend.access.policy import Action, can, can_share_document, is_active_staff
from backend.access.services import require
from backend.audit import services as audit
from backend.common.errors import DomainError, InvalidInput, NotFound, PermissionDenied, VersionLocked
from backend.common.text import clean_line
from backend.documents import services
from backend.documents.audit_events import DOCUMENT_BULK_APPLIED
from backend.documents.models import Classification, Document
from backend.documents.versions import locked_document

MAX_SELECTION = 200


class BulkAction(StrEnum):
    TAG = "tag"
    LINK = "link"
    CLASSIFY = "classify"
    SHARE = "share"


class BulkStatus(StrEnum):
    DONE = "done"
    UNCHANGED = "unchanged"
    REFUSED = "refused"


class RefusalReason(StrEnum):
    NOT_FOUND = "not_found"  # missing, or not visible: the same answer
    NO_CHANGE = "no_change_access"
    NO_MANAGE = "no_manage_access"
    NO_SHARE = "no_share_access"
    LOCKED = "locked"  # checked out by someone else
    INVALID = "invalid"  # the service refused the values for this document (the error says why)


@dataclass(frozen=True)
class BulkRow:
    """One document's result. `document` is None when it was not found (or is not visible)."""

    document_id: int
    status: BulkStatus
    document: Document | None = None
    reason: RefusalReason | None = None
    error: Exception | None = None  # the service's own error, for its translated sentence


@dataclass
class BulkOutcome:
    action: BulkAction
    rows: list[BulkRow] = field(default_factory=list)

    def _with(self, status: BulkStatus) -> list[BulkRow]:
        return [row for row in self.rows if row.status == status]

    @property
    def done(self) -> list[BulkRow]:
        return self._with(BulkStatus.DONE)

    @property
    def unchanged(self) -> list[BulkRow]:
        return self._with(BulkStatus.UNCHANGED)

    @property
    def refused(self) -> list[BulkRow]:
        return self._with(BulkStatus.REFUSED)


# --- the selection ---------------------------------------------------------------------------------


def selection_ids(values: Iterable) -> list[int]:
    """The selected document ids, in the order given, each once; InvalidInput for none, too many or a
    value that is not an id."""
    ids: list[int] = []
    for value in values:
        text = str(value).strip()
        if not text.isdigit() or len(text) > 12 or int(text) <= 0:
            raise InvalidInput("The selection is invalid.", fields={"document": ["Select documents from the list."]})
        if int(text) not in ids:
            ids.append(int(text))
    if not ids:
        raise InvalidInput("Select at least one document.", fields={"document": ["Select at least one document."]})
    if len(ids) > MAX_SELECTION:
        raise InvalidInput(f"Select at most {MAX_SELECTION} documents at once.",
                           fields={"document": [f"Select at most {MAX_SELECTION} documents at once."]})
    return ids


def _run(*, actor, action: BulkAction, document_ids: Iterable, parameters: dict,
         apply: Callable[[Document], bool], refused_as: RefusalReason) -> BulkOutcome:
    """`apply(document)` on each selected document the actor may see: True when it changed it, False when
    it was already so. A PermissionDenied from it is reported as `refused_as`; other refusals as their kind."""
    if not is_active_staff(actor):
        raise NotFound()
    ids = selection_ids(document_ids)
    found = {document.pk: document for document in
             Document.objects.select_related("owner", "checked_out_by", "valid_version").filter(pk__in=ids)}
    outcome = BulkOutcome(action=action)
    for document_id in ids:
        document = found.get(document_id)
        if document is None:
            outcome.rows.append(BulkRow(document_id, BulkStatus.REFUSED, reason=RefusalReason.NOT_FOUND))
            continue
        try:
            require(actor=actor, action=Action.VIEW, obj=document)  # a hidden document: its denial recorded
        except PermissionDenied:
            outcome.rows.append(BulkRow(document_id, BulkStatus.REFUSED, reason=RefusalReason.NOT_FOUND))
            continue
        outcome.rows.append(_one(document, apply, refused_as))
    _record(actor=actor, outcome=outcome, parameters=parameters)
    return outcome


def _one(document: Document, apply: Callable[[Document], bool], refused_as: RefusalReason) -> BulkRow:
    try:
        changed = apply(document)
    except PermissionDenied as error:
        return BulkRow(document.pk, BulkStatus.REFUSED, document, refused_as, error)
    except VersionLocked as error:
        return BulkRow(document.pk, BulkStatus.REFUSED, document, RefusalReason.LOCKED, error)
    except NotFound as error:  # gone since it was read (deleted meanwhile)
        return BulkRow(document.pk, BulkStatus.REFUSED, None, RefusalReason.NOT_FOUND, error)
    except DomainError as error:
        return BulkRow(document.pk, BulkStatus.REFUSED, document, RefusalReason.INVALID, error)
    return BulkRow(document.pk, BulkStatus.DONE if changed else BulkStatus.UNCHANGED, document)


def _record(*, actor, outcome: BulkOutcome, parameters: dict) -> None:
    refused = [{"id": row.document_id, "reason": str(row.reason),
                **({"error": row.error.message} if isinstance(row.error, DomainError) and row.reason in (
                    RefusalReason.INVALID, RefusalReason.LOCKED) else {})}
               for row in outcome.refused]
    ids = " ".join(f"#{row.document_id}" for row in outcome.rows)
    audit.record(
        DOCUMENT_BULK_APPLIED, actor=actor, target_type="documents.selection",
        target_label=ids if len(ids) <= 200 else ids[:198].rsplit(" ", 1)[0] + " …",
        detail={"action": str(outcome.action), "parameters": parameters,
                "done": [row.document_id for row in outcome.done],
                "unchanged": [row.document_id for row in outcome.unchanged],
                "refused": refused},
    )


# --- the actions -----------------------------------------------------------------------------------


def _tag_names(names: Iterable[str]) -> list[str]:
    cleaned = sorted({clean_line(name) for name in names if isinstance(name, str) and clean_line(name)})
    if any(len(name) > services.MAX_TAG_CHARS for name in cleaned):
        raise InvalidInput("A tag is too long.", fields={"tags": [
            f"A tag has at most {services.MAX_TAG_CHARS} characters."]})
    return cleaned


def documents_bulk_tag(*, actor, document_ids: Iterable, add: Iterable[str] = (),
                       remove: Iterable[str] = ()) -> BulkOutcome:
    """Add the tags `add` to, and take the tags `remove` off, each selected document (change access)."""
    add, remove = _tag_names(add), _tag_names(remove)
    if not add and not remove:
        raise InvalidInput("Name a tag to add or to remove.", fields={"tags": ["Name a tag to add or to remove."]})

    def apply(document: Document) -> bool:
        require(actor=actor, action=Action.CHANGE, obj=document)
        with transaction.atomic():
            locked = locked_document(document)
            current = set(locked.tags.values_list("name", flat=True))
            wanted = (current | set(add)) - set(remove)
            if wanted == current:
                return False
            services.document_update(actor=actor, document=locked, tags=sorted(wanted))
        return True

    return _run(actor=actor, action=BulkAction.TAG, document_ids=document_ids,
                parameters={"add": add, "remove": remove}, apply=apply, refused_as=RefusalReason.NO_CHANGE)


def documents_bulk_link(*, actor, document_ids: Iterable, target) -> BulkOutcome:
    """Link each selected document to the CRM record `target` (change access on both; the record is
    checked once, up front: without it nothing is linked)."""
    from backend.crm.models import DocumentLink
    from backend.crm.services.links import document_link_create

    if not is_active_staff(actor):
        raise NotFound()
    if not can(actor, Action.CHANGE, target):
        raise InvalidInput("You may not change that record, so you cannot link documents to it.",
                           fields={"target": ["You may not change that record, so you cannot link documents to it."]})

    def apply(document: Document) -> bool:
        require(actor=actor, action=Action.CHANGE, obj=document)
        before = set(DocumentLink.objects.filter(document=document).values_list("pk", flat=True))
        link = document_link_create(actor=actor, document=document, target=target)
        return link.pk not in before

    return _run(actor=actor, action=BulkAction.LINK, document_ids=document_ids,
                parameters={"target_type": target._meta.model_name, "target_id": target.pk, "target": str(target)},
                apply=apply, refused_as=RefusalReason.NO_CHANGE)


def documents_bulk_classify(*, actor, document_ids: Iterable, classification: str) -> BulkOutcome:
    """Give each selected document the classification (manage access on each)."""
    if classification not in Classification.values:
        raise InvalidInput("Choose a classification.", fields={"classification": ["Choose a classification."]})

    def apply(document: Document) -> bool:
        require(actor=actor, action=Action.MANAGE, obj=document)
        if document.classification == classification:
            return False
        services.document_update(actor=actor, document=document, classification=classification)
        return True

    return _run(actor=actor, action=BulkAction.CLASSIFY, document_ids=document_ids,
                parameters={"classification": classification}, apply=apply, refused_as=RefusalReason.NO_MANAGE)


def documents_bulk_share(*, actor, document_ids: Iterable, customer, downloadable: bool = True,
                         expires_at: dt.datetime | None = None) -> BulkOutcome:
    """Share each selected document (following its valid version) with `customer`'s portal users. A
    document already shared with the customer, in force, is left as it is."""
    from django.utils import timezone

    from backend.sharing import shares as sharing
    from backend.sharing.models import DocumentShare

    if not is_active_staff(actor):
        raise NotFound()
    if not can(actor, Action.VIEW, customer):
        raise NotFound()
    if expires_at is not None and expires_at <= timezone.now():
        raise InvalidInput("The expiry must be in the future.", fields={"expires_at": ["The expiry must be in the future."]})

    def apply(document: Document) -> bool:
        now = timezone.now()
        in_force = [share for share in DocumentShare.objects.filter(
            document=document, customer=customer, revoked_at__isnull=True, suspended_at__isnull=True)
            if not share.is_expired(now=now)]
        if in_force and can_share_document(actor, document, customer):
            return False
        sharing.document_share_create(actor=actor, document=document, customer=customer,
                                      downloadable=downloadable, expires_at=expires_at)
        return True

    return _run(actor=actor, action=BulkAction.SHARE, document_ids=document_ids,
                parameters={"customer_id": customer.pk, "customer": customer.name, "downloadable": bool(downloadable),
                            "expires_at": expires_at.isoformat() if expires_at else None},
                apply=apply, refused_as=RefusalReason.NO_SHARE)
