"""Writes that change who may access what, and `require`, the one "check or 404" every service uses.

Decisions come from backend.access.policy; this module records them.
"""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import transaction
from guardian.shortcuts import assign_perm

from backend.access.models import DocumentGroupObjectPermission, DocumentUserObjectPermission
from backend.access.policy import (
    CODENAMES,
    LEVELS,
    AccessRule,
    Action,
    can,
    can_review_access,
    denied_event_for,
    document_access_explanation,
)
from backend.accounts.models import Role, User
from backend.audit import services as audit
from backend.common.errors import InvalidInput, NotFound, PermissionDenied
from backend.documents.audit_events import (
    DOCUMENT_ACCESS_DENIED,
    DOCUMENT_ACCESS_LISTED,
    DOCUMENT_PERMISSION_GRANTED,
    DOCUMENT_PERMISSION_REVOKED,
)
from backend.documents.models import Document
from indexing import hooks as search_index


def require(*, actor, action: Action, obj) -> None:
    """Raise PermissionDenied (rendered 404) unless `actor` may `action` `obj` (any model the policy has
    rules for: a document, a customer, a quote ...).

    The denial is recorded (as the policy names it for the model: document.access.denied,
    crm.access.denied) in its own transaction so that it survives the caller's rollback. Call it before
    opening the service's transaction.
    """
    if can(actor, action, obj):
        return
    audit.record(
        denied_event_for(obj),
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        target=obj,
        outcome="denied",
        detail={"action": str(action)},
    )
    raise PermissionDenied()


def _principal(user: User | None, group: Group | None) -> User | Group:
    if (user is None) == (group is None):
        raise InvalidInput("Name exactly one user or one group.", fields={"principal": ["Give a user or a group."]})
    if user is not None and not user.is_active:
        raise InvalidInput("That user is inactive.", fields={"user": ["This user is inactive."]})
    if user is not None and user.role == Role.PORTAL:
        raise InvalidInput("Portal users cannot be granted access to documents; share the document with "
                           "their customer instead.", fields={"user": ["This is a customer portal user."]})
    return user if user is not None else group


def _existing_grants(document: Document, principal: User | Group):
    if isinstance(principal, Group):
        return DocumentGroupObjectPermission.objects.filter(content_object=document, group=principal)
    return DocumentUserObjectPermission.objects.filter(content_object=document, user=principal)


def _principal_detail(principal: User | Group) -> dict:
    if isinstance(principal, Group):
        return {"principal_type": "group", "principal_id": principal.pk, "principal": principal.name}
    return {"principal_type": "user", "principal_id": principal.pk, "principal": principal.username}


def document_permission_grant(
    *, actor, document: Document, level: str, user: User | None = None, group: Group | None = None
) -> None:
    """Give a user or group one access level on a document (replacing any earlier level)."""
    try:
        level = Action(level)
    except ValueError:
        raise InvalidInput(
            f"Unknown level {level!r}.", fields={"level": [f"Choose one of: {', '.join(LEVELS)}."]}
        ) from None
    principal = _principal(user, group)
    require(actor=actor, action=Action.MANAGE, obj=document)
    with transaction.atomic():
        _existing_grants(document, principal).delete()
        assign_perm(CODENAMES[level], principal, document)
        search_index.index_document_acl_changed(document_id=document.pk)
        audit.record(
            DOCUMENT_PERMISSION_GRANTED,
            actor=actor,
            target=document,
            detail={**_principal_detail(principal), "level": str(level)},
        )


def document_permission_revoke(
    *, actor, document: Document, user: User | None = None, group: Group | None = None
) -> bool:
    """Remove every grant a user or group holds on a document. Returns whether any existed."""
    principal = _principal(user, group)
    require(actor=actor, action=Action.MANAGE, obj=document)
    with transaction.atomic():
        removed, _ = _existing_grants(document, principal).delete()
        search_index.index_document_acl_changed(document_id=document.pk)
        audit.record(
            DOCUMENT_PERMISSION_REVOKED,
            actor=actor,
            target=document,
            detail={**_principal_detail(principal), "removed": removed},
        )
    return removed > 0


def document_access_list(*, actor, document_id: int) -> list[AccessRule]:
    """Who can access a document and through which grant or rule (an audited read)."""
    document = Document.objects.select_related("owner", "department").filter(pk=document_id).first()
    if document is None:
        raise NotFound()
    if not can_review_access(actor, document):
        audit.record(
            DOCUMENT_ACCESS_DENIED,
            actor=actor,
            target=document,
            outcome="denied",
            detail={"action": "review_access"},
        )
        raise PermissionDenied()
    rules = document_access_explanation(document)
    audit.record(DOCUMENT_ACCESS_LISTED, actor=actor, target=document)
    return rules
