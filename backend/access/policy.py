"""THE access policy. Every access decision in Dossier is taken here.

    can(user, action, obj)            -> bool, for one object
    visible(user, queryset, action)   -> the queryset narrowed in SQL (subqueries, never per row)
    document_access_explanation(doc)  -> who can access a document and through which rule

Document rules, in order of strength:
  * the owner may do everything;
  * an explicit grant (to the user, or to a group/department the user belongs to) at a
    level allows that level and every weaker one: view < download < change < manage;
  * public documents: every active staff user may view and download;
  * internal documents: members of the owning department may view and download;
    the admin role may do everything; the compliance role may view metadata;
  * confidential and secret documents: only the owner and explicit grants, never a broad role.
Inactive users and anonymous callers may do nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from django.contrib.auth.models import Group
from django.db.models import Exists, OuterRef, Q, QuerySet

from backend.access.models import DocumentGroupObjectPermission, DocumentUserObjectPermission
from backend.accounts.models import Role, User
from backend.documents.models import Classification, Document


class Action(StrEnum):
    VIEW = "view"
    DOWNLOAD = "download"
    CHANGE = "change"
    MANAGE = "manage"


# Grant levels, weakest first. A grant at one level implies every level before it.
LEVELS: tuple[Action, ...] = (Action.VIEW, Action.DOWNLOAD, Action.CHANGE, Action.MANAGE)
CODENAMES: dict[Action, str] = {
    Action.VIEW: "view_document",
    Action.DOWNLOAD: "download_document",
    Action.CHANGE: "change_document",
    Action.MANAGE: "manage_document",
}
LEVEL_BY_CODENAME = {codename: action for action, codename in CODENAMES.items()}

_BROAD = (Classification.PUBLIC, Classification.INTERNAL)


def codenames_implying(action: Action) -> list[str]:
    """Grant codenames that allow `action` (the action's own level and every stronger one)."""
    return [CODENAMES[level] for level in LEVELS[LEVELS.index(Action(action)) :]]


def _is_active_staff(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def _role_rule(user: User, action: Action, classification: str, department_id: int | None) -> str | None:
    """The broad (non-grant) rule that lets `user` do `action`, or None."""
    if classification not in _BROAD:
        return None
    if user.role == Role.ADMIN:
        return "role:admin"
    if action in (Action.VIEW, Action.DOWNLOAD):
        if classification == Classification.PUBLIC:
            return "classification:public"
        if department_id is not None and user.department_id == department_id:
            return "department"
    if action == Action.VIEW and user.role == Role.COMPLIANCE:
        return "role:compliance"
    return None


def _grant_filters(user: User, action: Action) -> tuple[QuerySet, QuerySet]:
    codenames = codenames_implying(action)
    user_grants = DocumentUserObjectPermission.objects.filter(
        user_id=user.pk, permission__codename__in=codenames
    )
    group_grants = DocumentGroupObjectPermission.objects.filter(
        group_id__in=User.groups.through.objects.filter(user_id=user.pk).values("group_id"),
        permission__codename__in=codenames,
    )
    return user_grants, group_grants


def document_visibility_q(user, action: Action = Action.VIEW) -> Q:
    """A Q object selecting the documents `user` may `action`. Empty for nobody."""
    if not _is_active_staff(user):
        return Q(pk__in=[])
    action = Action(action)
    user_grants, group_grants = _grant_filters(user, action)
    q = (
        Q(owner_id=user.pk)
        | Exists(user_grants.filter(content_object_id=OuterRef("pk")))
        | Exists(group_grants.filter(content_object_id=OuterRef("pk")))
    )
    if user.role == Role.ADMIN:
        q |= Q(classification__in=_BROAD)
    else:
        if action in (Action.VIEW, Action.DOWNLOAD):
            q |= Q(classification=Classification.PUBLIC)
            if user.department_id is not None:
                q |= Q(classification=Classification.INTERNAL, department_id=user.department_id)
        if action == Action.VIEW and user.role == Role.COMPLIANCE:
            q |= Q(classification=Classification.INTERNAL)
    return q


def visible(user, queryset: QuerySet, action: Action = Action.VIEW) -> QuerySet:
    """Narrow a queryset of documents (or of rows pointing at documents) to what `user` may `action`."""
    model = queryset.model
    if model is Document:
        return queryset.filter(document_visibility_q(user, action))
    if hasattr(model, "document"):
        allowed = Document.objects.filter(document_visibility_q(user, action)).values("pk")
        return queryset.filter(document_id__in=allowed)
    raise TypeError(f"no access rule for {model.__name__}")


def can(user, action: Action | str, obj) -> bool:
    """May `user` do `action` on `obj` (a Document, or anything with a `.document`)?"""
    if not _is_active_staff(user):
        return False
    action = Action(action)
    document = obj if isinstance(obj, Document) else getattr(obj, "document", None)
    if not isinstance(document, Document):
        raise TypeError(f"no access rule for {type(obj).__name__}")
    if document.owner_id == user.pk:
        return True
    if _role_rule(user, action, document.classification, document.department_id):
        return True
    user_grants, group_grants = _grant_filters(user, action)
    return (
        user_grants.filter(content_object_id=document.pk).exists()
        or group_grants.filter(content_object_id=document.pk).exists()
    )


def can_review_access(user, document: Document) -> bool:
    """Who may ask "who can access this document and why": its managers, and compliance for any document."""
    if not _is_active_staff(user):
        return False
    return user.role == Role.COMPLIANCE or can(user, Action.MANAGE, document)


# --- explanation: "who can access this document, and through which grant" -------------------


@dataclass(frozen=True)
class AccessRule:
    """One reason some principal can access a document."""

    principal_type: str  # "user", "group", "department", "role", "everyone"
    principal_id: int | None
    principal_label: str
    actions: tuple[str, ...]
    via: str  # "owner", "grant", "classification:public", "department", "role:admin", ...
    members: tuple[dict, ...] = field(default_factory=tuple)


def _actions_up_to(level: Action) -> tuple[str, ...]:
    return tuple(str(a) for a in LEVELS[: LEVELS.index(level) + 1])


def document_access_explanation(document: Document) -> list[AccessRule]:
    rules: list[AccessRule] = [
        AccessRule("user", document.owner_id, str(document.owner), _actions_up_to(Action.MANAGE), "owner")
    ]
    user_grants: dict[int, tuple[User, Action]] = {}
    for grant in DocumentUserObjectPermission.objects.filter(content_object=document).select_related(
        "user", "permission"
    ):
        level = LEVEL_BY_CODENAME.get(grant.permission.codename)
        if level is None:
            continue
        current = user_grants.get(grant.user_id)
        if current is None or LEVELS.index(level) > LEVELS.index(current[1]):
            user_grants[grant.user_id] = (grant.user, level)
    for user, level in sorted(user_grants.values(), key=lambda item: item[0].username):
        rules.append(AccessRule("user", user.pk, str(user), _actions_up_to(level), "grant"))

    group_levels: dict[int, tuple[Group, Action]] = {}
    for grant in DocumentGroupObjectPermission.objects.filter(content_object=document).select_related(
        "group", "permission"
    ):
        level = LEVEL_BY_CODENAME.get(grant.permission.codename)
        if level is None:
            continue
        current = group_levels.get(grant.group_id)
        if current is None or LEVELS.index(level) > LEVELS.index(current[1]):
            group_levels[grant.group_id] = (grant.group, level)
    if group_levels:
        members_by_group: dict[int, list[dict]] = {gid: [] for gid in group_levels}
        memberships = User.groups.through.objects.filter(group_id__in=group_levels).select_related("user")
        for membership in memberships:
            if membership.user.is_active:
                members_by_group[membership.group_id].append(
                    {"id": membership.user_id, "label": str(membership.user)}
                )
        for gid, (group, level) in sorted(group_levels.items(), key=lambda item: item[1][0].name):
            label = group.department.name if hasattr(group, "department") else group.name
            rules.append(
                AccessRule(
                    "group", gid, label, _actions_up_to(level), "grant", tuple(members_by_group[gid])
                )
            )

    if document.classification in _BROAD:
        rules.append(AccessRule("role", None, str(Role.ADMIN.label), _actions_up_to(Action.MANAGE), "role:admin"))
        if document.classification == Classification.PUBLIC:
            rules.append(
                AccessRule("everyone", None, "All staff", _actions_up_to(Action.DOWNLOAD), "classification:public")
            )
        elif document.department_id is not None:
            rules.append(
                AccessRule(
                    "department",
                    document.department_id,
                    str(document.department),
                    _actions_up_to(Action.DOWNLOAD),
                    "department",
                )
            )
        rules.append(
            AccessRule("role", None, str(Role.COMPLIANCE.label), _actions_up_to(Action.VIEW), "role:compliance")
        )
    return rules
