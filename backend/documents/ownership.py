"""Handing a document to another owner: for whoever may manage it, audited, the search index told.

The owner has every right on a document (backend/access/policy/documents.py), so a transfer changes who
may see it: the previous owner keeps only what a grant, their department or an account team still gives
them. The owning department stays as it is (it decides internal documents' department rule).
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from backend.access.policy import Action, is_active_staff
from backend.access.services import require
from backend.audit import services as audit
from backend.common.errors import InvalidInput
from backend.documents.audit_events import DOCUMENT_OWNER_TRANSFERRED
from backend.documents.models import Document
from backend.documents.versions import locked_document
from indexing import hooks as search_index


def document_owner_transfer(*, actor, document: Document, new_owner) -> Document:
    """Make `new_owner` (active staff) the owner of `document`. Needs manage on the document."""
    require(actor=actor, action=Action.MANAGE, obj=document)
    if new_owner is None or not is_active_staff(new_owner):
        raise InvalidInput("The new owner must be an active member of staff.",
                           fields={"owner": ["Choose an active member of staff."]})
    with transaction.atomic():
        locked = locked_document(document)
        previous_id = locked.owner_id
        if previous_id == new_owner.pk:
            raise InvalidInput("That person already owns the document.",
                               fields={"owner": ["That person already owns the document."]})
        previous = type(new_owner).objects.filter(pk=previous_id).only("id", "username").first()
        locked.owner = new_owner
        locked.updated_at = timezone.now()
        locked.save(update_fields=["owner", "updated_at"])
        search_index.index_document_acl_changed(document_id=locked.pk)
        audit.record(
            DOCUMENT_OWNER_TRANSFERRED, actor=actor, target=locked,
            detail={"from_id": previous_id, "from": previous.username if previous else None,
                    "to_id": new_owner.pk, "to": new_owner.username},
        )
    return locked
