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
  * internal documents linked to a customer: that customer's owner and account team may view
    (not download) them; reassigning the owner moves this access at once;
  * confidential and secret documents: only the owner and explicit grants, never a broad role.
Inactive users and anonymous callers may do nothing.

CRM rules: a customer is visible to its owner and account team, to colleagues in the owner's
department, and to the admin, compliance and service roles; its owner, team and admins may change
it (and what hangs off it: contacts, opportunities, quotes, orders, activities); its owner and
admins may reassign it. Deals, quotes and orders are also changeable by their own owner. Service
records are visible and changeable by the service role and the assigned engineer as well. Products
and published knowledge articles are visible to all staff.

Portal rules: a portal user (a customer's contact, role "portal") gets none of the rules above.
They see, read-only, what belongs to their own customer: documents shared with it (shares neither
revoked nor suspended, and whose voucher - who re-confirmed the share, else who created it - may
still share the document under its current classification: may_vouch_for_share), its orders and invoices, its service records with the notes meant for the customer,
published portal articles addressed to every customer or to theirs, and published announcements
likewise. They may follow up their own customer's service records (comment, rate, complain).
A disabled or not yet activated portal account may do nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache

from django.contrib.auth.models import Group
from django.db import router
from django.db.models import Exists, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Coalesce

from backend.access.models import DocumentGroupObjectPermission, DocumentUserObjectPermission
from backend.accounts.models import PortalAccount, Role, User
from backend.common.prepared import PreparedQuery
from backend.crm.models import (
    AccountTeamMember,
    Activity,
    Announcement,
    ArticleStatus,
    ArticleVisibility,
    Contact,
    Customer,
    DocumentLink,
    Invoice,
    KnowledgeArticle,
    Opportunity,
    Order,
    Product,
    Quote,
    ServiceAttachment,
    ServiceNote,
    ServiceRecord,
)
from backend.documents.models import Classification, Document, DocumentShare, DocumentVersion


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


def _is_active_user(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def is_active_staff(user) -> bool:
    """A signed-in, active member of staff: who may create documents, customers and articles at all."""
    return _is_active_user(user) and user.role != Role.PORTAL


def is_portal_user(user) -> bool:
    """A signed-in customer contact (whatever the state of their account)."""
    return _is_active_user(user) and user.role == Role.PORTAL


def portal_customer_id(user) -> int | None:
    """The customer a portal user acts for, or None (staff, anonymous, disabled or unactivated accounts).

    Looked up once per user object (one indexed query) and remembered on it.
    """
    if not is_portal_user(user):
        return None
    if "_portal_customer_id" not in user.__dict__:
        user.__dict__["_portal_customer_id"] = (
            PortalAccount.objects.filter(user_id=user.pk, disabled_at__isnull=True, activated_at__isnull=False)
            .values_list("customer_id", flat=True)
            .first()
        )
    return user.__dict__["_portal_customer_id"]


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


def related_customer_ids(user) -> QuerySet:
    """Customers `user` owns or is on the account team of (a subquery, evaluated in SQL)."""
    return Customer.objects.filter(
        Q(owner_id=user.pk) | Q(pk__in=AccountTeamMember.objects.filter(user_id=user.pk).values("customer_id"))
    ).values("pk")


def _relationship_q(user) -> Q:
    """Internal documents linked to one of the user's customers (view only).

    Two EXISTS (customers owned, customers on the account team) rather than one over
    related_customer_ids(): PostgreSQL estimates `owner_id = X OR id IN (...)` at half of all
    customers, plans a sequential scan of every document link per list request (125 ms per page
    at 500,000 links), while each half on its own is estimated well and uses the customer_id
    index (7 ms). Same rows either way; see bench/document_list.py and BENCHMARKS.md.
    """
    owned = DocumentLink.objects.filter(document_id=OuterRef("pk"), customer__owner_id=user.pk)
    on_team = DocumentLink.objects.filter(
        document_id=OuterRef("pk"),
        customer_id__in=AccountTeamMember.objects.filter(user_id=user.pk).values("customer_id"),
    )
    return Q(classification=Classification.INTERNAL) & (Exists(owned) | Exists(on_team))


def document_visibility_q(user, action: Action = Action.VIEW) -> Q:
    """A Q object selecting the documents `user` may `action`. Empty for nobody."""
    if not is_active_staff(user):
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
        if action == Action.VIEW:
            q |= _relationship_q(user)
    return q


def _can_document(user, action: Action, document: Document) -> bool:
    if document.owner_id == user.pk:
        return True
    if _role_rule(user, action, document.classification, document.department_id):
        return True
    user_grants, group_grants = _grant_filters(user, action)
    if (
        user_grants.filter(content_object_id=document.pk).exists()
        or group_grants.filter(content_object_id=document.pk).exists()
    ):
        return True
    if action == Action.VIEW and document.classification == Classification.INTERNAL:
        return DocumentLink.objects.filter(
            document_id=document.pk, customer_id__in=related_customer_ids(user)
        ).exists()
    return False


# --- CRM ---------------------------------------------------------------------------------------

_CUSTOMER_WIDE_ROLES = (Role.ADMIN, Role.COMPLIANCE, Role.SERVICE)

# Q() is not "everything": Q() | Q(x) is just Q(x). These two compile to no WHERE clause / an empty result.
EVERYTHING = ~Q(pk__in=[])
NOTHING = Q(pk__in=[])


def customer_visibility_q(user, action: Action = Action.VIEW, prefix: str = "") -> Q:
    """Customers (or rows reached through `prefix`, e.g. "customer__") that `user` may `action`."""
    if not is_active_staff(user):
        return NOTHING
    p = prefix
    if user.role == Role.ADMIN:
        return EVERYTHING
    mine = Q(**{f"{p}owner_id": user.pk})
    team_customers = AccountTeamMember.objects.filter(user_id=user.pk).values("customer_id")
    team = Q(**{f"{p}pk__in": team_customers})
    if action == Action.MANAGE:
        return mine
    if action == Action.CHANGE:
        return mine | team
    q = mine | team
    if user.role in _CUSTOMER_WIDE_ROLES:
        return EVERYTHING
    if user.department_id is not None:
        q |= Q(**{f"{p}owner__department_id": user.department_id})
    return q


def _customer_record_q(user, action: Action) -> Q:
    """Deals, quotes, orders, contacts, activities: follow the customer; their own owner may change them."""
    q = customer_visibility_q(user, action, prefix="customer__")
    if action == Action.CHANGE:
        q |= Q(owner_id=user.pk)
    return q


def _service_record_q(user, action: Action) -> Q:
    if not is_active_staff(user):
        return NOTHING
    if user.role in (Role.ADMIN, Role.SERVICE):
        return EVERYTHING
    q = Q(engineer_id=user.pk) | customer_visibility_q(user, Action.CHANGE, prefix="customer__")
    if action == Action.VIEW:
        q |= customer_visibility_q(user, Action.VIEW, prefix="customer__")
    return q


def _article_q(user, action: Action) -> Q:
    if not is_active_staff(user):
        return NOTHING
    if user.role in (Role.ADMIN, Role.SERVICE):
        return EVERYTHING
    q = Q(author_id=user.pk)
    if action == Action.VIEW:
        q |= Q(status=ArticleStatus.PUBLISHED)
    return q


def _product_q(user, action: Action) -> Q:
    if not is_active_staff(user):
        return NOTHING
    if action == Action.VIEW or user.role == Role.ADMIN:
        return EVERYTHING
    return NOTHING


def _link_q(user, action: Action) -> Q:
    """A link shows when both its document and its customer are visible."""
    documents = Document.objects.filter(document_visibility_q(user, action)).values("pk")
    return Q(document_id__in=documents) & customer_visibility_q(user, Action.VIEW, prefix="customer__")


def _share_q(user, action: Action) -> Q:
    """Staff see the shares of documents they may view; changing them needs a right to share."""
    documents = Document.objects.filter(document_visibility_q(user, action)).values("pk")
    return Q(document_id__in=documents)


def _service_child_q(user, action: Action) -> Q:
    records = ServiceRecord.objects.filter(_service_record_q(user, action)).values("pk")
    return Q(record_id__in=records)


def _announcement_q(user, action: Action) -> Q:
    if not is_active_staff(user):
        return NOTHING
    if action == Action.VIEW or user.role == Role.ADMIN:
        return EVERYTHING
    return Q(created_by_id=user.pk)


def _visibility_q(model, user, action: Action) -> Q:
    if not _is_active_user(user):
        # As in can(): inactive users (disabled staff, disabled or unactivated portal users) see nothing,
        # even rows they still own.
        return NOTHING
    if is_portal_user(user):
        return _portal_q(model, user, action)
    if model is DocumentShare:
        return _share_q(user, action)
    if model in (ServiceNote, ServiceAttachment):
        return _service_child_q(user, action)
    if model is Announcement:
        return _announcement_q(user, action)
    if model is Invoice:
        return Q(order__in=Order.objects.filter(_customer_record_q(user, action)).values("pk"))
    if model is Document:
        return document_visibility_q(user, action)
    if model is DocumentVersion:
        return Q(document_id__in=Document.objects.filter(document_visibility_q(user, action)).values("pk"))
    if model is Customer:
        return customer_visibility_q(user, action)
    if model is Contact:
        # Contacts have no owner of their own: they follow their customer only.
        return customer_visibility_q(user, action, prefix="customer__")
    if model in (Opportunity, Quote, Order, Activity):
        return _customer_record_q(user, action)
    if model is ServiceRecord:
        return _service_record_q(user, action)
    if model is KnowledgeArticle:
        return _article_q(user, action)
    if model is Product:
        return _product_q(user, action)
    if model is DocumentLink:
        return _link_q(user, action)
    raise TypeError(f"no access rule for {model.__name__}")


def visible(user, queryset: QuerySet, action: Action = Action.VIEW) -> QuerySet:
    """Narrow a queryset to the rows `user` may `action`, in SQL."""
    return queryset.filter(_visibility_q(queryset.model, user, Action(action)))


def can(user, action: Action | str, obj) -> bool:
    """May `user` do `action` on `obj`?"""
    if not _is_active_user(user):
        return False
    action = Action(action)
    if user.role == Role.PORTAL:
        model = type(obj)
        return model._default_manager.filter(pk=obj.pk).filter(_portal_q(model, user, action)).exists()
    if isinstance(obj, Document):
        return _can_document(user, action, obj)
    if isinstance(obj, DocumentVersion):
        return _can_document(user, action, obj.document)
    model = type(obj)
    return model._default_manager.filter(pk=obj.pk).filter(_visibility_q(model, user, action)).exists()


def can_share_document(user, document: Document, customer: Customer) -> bool:
    """May `user` share `document` with `customer`'s portal users?

    They must be able to download it themselves and see the customer; a confidential or secret
    document also needs the right to manage it (sharing outside the company is a permission decision).
    """
    if not is_active_staff(user):
        return False
    if not (can(user, Action.DOWNLOAD, document) and can(user, Action.VIEW, customer)):
        return False
    return document.classification in _BROAD or can(user, Action.MANAGE, document)


def may_vouch_for_share(user, document: Document) -> bool:
    """May `user` keep a share of `document` alive? Asked of a share's voucher at every portal read.

    The rights sharing needs on the document under its current classification: download it, and for
    a confidential or secret document manage it. (Sight of the customer is checked when sharing, not
    afterwards: a rep changing teams does not cut the customer off.) Inactive users vouch for nothing.
    """
    if not is_active_staff(user):
        return False
    if not can(user, Action.DOWNLOAD, document):
        return False
    return document.classification in _BROAD or can(user, Action.MANAGE, document)


def _vouched_shares_q(customer_id: int) -> Q:
    """The customer's shares whose voucher may_vouch_for_share their document, in SQL.

    One query finds who vouches for the customer's live shares (a handful of colleagues); each adds
    one subquery: the documents that colleague may share (document_visibility_q, the same rules).
    """
    voucher_ids = (
        DocumentShare.objects.filter(customer_id=customer_id, revoked_at__isnull=True, suspended_at__isnull=True)
        .annotate(voucher=Coalesce("confirmed_by_id", "created_by_id"))
        .values("voucher")
    )
    q = NOTHING
    for voucher in User.objects.filter(pk__in=voucher_ids, is_active=True).exclude(role=Role.PORTAL):
        shareable = Document.objects.filter(document_visibility_q(voucher, Action.DOWNLOAD)).filter(
            Q(classification__in=_BROAD) | document_visibility_q(voucher, Action.MANAGE)
        )
        vouched_by = Q(confirmed_by_id=voucher.pk) | Q(confirmed_by__isnull=True, created_by_id=voucher.pk)
        q |= vouched_by & Q(document_id__in=shareable.values("pk"))
    return q


def can_manage_portal_access(user, customer: Customer) -> bool:
    """Invite a customer's contacts to the portal, and disable them: whoever may change the customer."""
    return is_active_staff(user) and can(user, Action.CHANGE, customer)


def can_publish_announcements(user) -> bool:
    return is_active_staff(user) and user.role in (Role.ADMIN, Role.SALES, Role.SERVICE)


# --- the customer portal -------------------------------------------------------------------------

PORTAL_ALL_TOKEN = "portal"


def portal_customer_token(customer_id: int) -> str:
    return f"portal-customer:{customer_id}"


def _portal_article_q(customer_id: int) -> Q:
    through = KnowledgeArticle.audience_customers.through.objects
    addressed = through.filter(knowledgearticle_id=OuterRef("pk"))
    return (
        Q(status=ArticleStatus.PUBLISHED, visibility=ArticleVisibility.PORTAL)
        & (~Exists(addressed) | Exists(addressed.filter(customer_id=customer_id)))
    )


def _portal_announcement_q(customer_id: int) -> Q:
    from django.utils import timezone

    addressed = Announcement.customers.through.objects.filter(announcement_id=OuterRef("pk"), customer_id=customer_id)
    return Q(published_at__isnull=False, published_at__lte=timezone.now()) & (Q(all_customers=True) | Exists(addressed))


def _portal_q(model, user, action: Action) -> Q:
    """What a portal user may see: their own customer's rows, read-only."""
    customer_id = portal_customer_id(user)
    if customer_id is None or action != Action.VIEW:
        return NOTHING
    if model is DocumentShare:
        return Q(customer_id=customer_id, revoked_at__isnull=True, suspended_at__isnull=True) & _vouched_shares_q(
            customer_id
        )
    if model in (Order, ServiceRecord):
        return Q(customer_id=customer_id)
    if model is Customer:
        return Q(pk=customer_id)
    if model is Invoice:
        return Q(order__customer_id=customer_id)
    if model is ServiceNote:
        return Q(record__customer_id=customer_id) & (Q(from_customer=True) | Q(visible_to_customer=True))
    if model is ServiceAttachment:
        # Files of the request itself and of notes meant for the customer; never an internal note's files.
        return Q(record__customer_id=customer_id) & (Q(note__isnull=True) | Q(note__visible_to_customer=True))
    if model is KnowledgeArticle:
        return _portal_article_q(customer_id)
    if model is Announcement:
        return _portal_announcement_q(customer_id)
    return NOTHING


def portal_can_follow_up(user, record: ServiceRecord) -> bool:
    """A portal user may comment on, rate and complain about their own customer's service records."""
    customer_id = portal_customer_id(user)
    return customer_id is not None and record.customer_id == customer_id


def can_review_access(user, document: Document) -> bool:
    """Who may ask "who can access this document and why": its managers, and compliance for any document."""
    if not is_active_staff(user):
        return False
    return user.role == Role.COMPLIANCE or can(user, Action.MANAGE, document)


# --- principals: the same rules as tokens, for search indexes -------------------------------
#
# A search index cannot run SQL, so each indexed document carries the tokens of everyone who may
# view it, and each query carries the caller's tokens. The rule is: `user` may view `document`
# exactly when view_principals_for_documents(...)[document] and user_principals(user) intersect.
# tests/access/test_policy.py checks that this agrees with can().

STAFF_TOKEN = "staff"


def user_principals(user) -> list[str]:
    """The tokens that stand for `user` in a search query (empty for nobody)."""
    if is_portal_user(user):
        customer_id = portal_customer_id(user)
        return [] if customer_id is None else sorted([PORTAL_ALL_TOKEN, portal_customer_token(customer_id)])
    if not is_active_staff(user):
        return []
    tokens = {f"user:{user.pk}", f"role:{user.role}", STAFF_TOKEN}
    if user.department_id is not None:
        tokens.add(f"dept:{user.department_id}")
    # One query (UNION ALL) for the user's groups and the customers they own or are on the account
    # team of (the same customers as related_customer_ids): every search request pays for it, so
    # it is compiled once (_principal_rows) and rerun with the user's id.
    rows = _principal_rows(router.db_for_read(User)).rows({"user": user.pk})
    tokens.update(f"{kind}:{value}" for kind, value in rows)
    return sorted(tokens)


_PRINCIPAL_USER_SLOT = -(2**41)  # a placeholder user id (never a real primary key)


@lru_cache(maxsize=8)
def _principal_rows(using: str) -> PreparedQuery:
    """user_principals' query, compiled with a placeholder for the user's id."""
    user_id = _PRINCIPAL_USER_SLOT
    groups = User.groups.through.objects.filter(user_id=user_id).order_by().values_list(Value("group"), "group_id")
    owned = Customer.objects.filter(owner_id=user_id).order_by().values_list(Value("customer-team"), "pk")
    on_team = AccountTeamMember.objects.filter(user_id=user_id).order_by().values_list(
        Value("customer-team"), "customer_id"
    )
    return PreparedQuery(groups.union(owned, on_team, all=True), {user_id: "user"}, using=using, required=["user"])


def view_principals_for_documents(document_ids) -> dict[int, list[str]]:
    """For each document id, the tokens of everyone who may view it. A fixed number of queries."""
    ids = list(document_ids)
    tokens: dict[int, set[str]] = {}
    rows = Document.objects.filter(pk__in=ids).values_list("pk", "owner_id", "classification", "department_id")
    for pk, owner_id, classification, department_id in rows:
        found = {f"user:{owner_id}"}
        if classification in _BROAD:
            found.add(f"role:{Role.ADMIN}")
            if classification == Classification.PUBLIC:
                found.add(STAFF_TOKEN)
            else:
                found.add(f"role:{Role.COMPLIANCE}")
                if department_id is not None:
                    found.add(f"dept:{department_id}")
        tokens[pk] = found
    # Every grant level includes view.
    for pk, user_id in DocumentUserObjectPermission.objects.filter(content_object_id__in=ids).values_list(
        "content_object_id", "user_id"
    ):
        tokens[pk].add(f"user:{user_id}")
    for pk, group_id in DocumentGroupObjectPermission.objects.filter(content_object_id__in=ids).values_list(
        "content_object_id", "group_id"
    ):
        tokens[pk].add(f"group:{group_id}")
    # Relationship access: an internal document linked to a customer is visible to its owner and team.
    internal_links = DocumentLink.objects.filter(
        document_id__in=ids, document__classification=Classification.INTERNAL
    ).values_list("document_id", "customer_id")
    for pk, customer_id in internal_links:
        tokens[pk].add(f"customer-team:{customer_id}")
    return {pk: sorted(found) for pk, found in tokens.items()}


# --- explanation: "who can access this document, and through which grant" -------------------


@dataclass(frozen=True)
class AccessRule:
    """One reason some principal can access a document."""

    principal_type: str  # "user", "group", "department", "role", "everyone"
    principal_id: int | None
    principal_label: str
    actions: tuple[str, ...]
    via: str  # "owner", "grant", "classification:public", "department", "role:admin", "share", ...
    members: tuple[dict, ...] = field(default_factory=tuple)
    # For via="share": the share the customer's portal users read the document through.
    share: ShareAccess | None = None


@dataclass(frozen=True)
class ShareAccess:
    """A share as "who can access this" explains it."""

    id: int
    downloadable: bool  # False: view-only (pages rendered as images; the file is never sent)
    version: int | None  # the pinned version's number; None: follows the valid version
    expires_at: object  # datetime | None
    expired: bool
    suspended: bool
    suspended_at: object  # datetime | None
    suspended_reason: str
    voucher: dict  # {"id", "label"}: who re-confirmed the share, else who created it
    vouched: bool  # the voucher may still share the document (may_vouch_for_share)
    in_force: bool  # portal users can open it now: not expired, not suspended, vouched for


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
    if document.classification == Classification.INTERNAL:
        customers = Customer.objects.filter(document_links__document=document).select_related("owner").distinct()
        for customer in customers.prefetch_related("team__user"):
            members = [{"id": customer.owner_id, "label": f"{customer.owner} (owner)"}]
            members += [{"id": m.user_id, "label": str(m.user)} for m in customer.team.all() if m.user.is_active]
            rules.append(
                AccessRule(
                    "customer",
                    customer.pk,
                    str(customer),
                    _actions_up_to(Action.VIEW),
                    "customer:owner-and-team",
                    tuple(members),
                )
            )
    rules.extend(_share_rules(document))
    return rules


def _share_rules(document: Document) -> list[AccessRule]:
    """The customers whose portal users read `document` through a share (every unrevoked share).

    A share not in force (expired, suspended, or its voucher may no longer share the document) is
    listed with no actions and says why. Members are the customer's contacts with an active portal
    account. A fixed number of queries, plus the access checks of each distinct voucher.
    """
    from django.utils import timezone

    shares = list(
        DocumentShare.objects.filter(document_id=document.pk, revoked_at__isnull=True)
        .select_related("customer", "version", "created_by", "confirmed_by")
        .order_by("customer__name", "id")
    )
    if not shares:
        return []
    vouched: dict[int, bool] = {}
    for share in shares:
        if share.voucher_id not in vouched:
            vouched[share.voucher_id] = may_vouch_for_share(share.voucher, document)
    readers: dict[int, list[dict]] = {}
    accounts = (
        PortalAccount.objects.filter(customer_id__in={share.customer_id for share in shares},
                                     activated_at__isnull=False, disabled_at__isnull=True, user__is_active=True)
        .select_related("user", "contact")
        .order_by("contact__name", "pk")
    )
    for account in accounts:
        readers.setdefault(account.customer_id, []).append(
            {"id": account.user_id, "label": f"{account.contact.name} <{account.user.email}>"}
        )
    now = timezone.now()
    rules = []
    for share in shares:
        expired, suspended = share.is_expired(now=now), share.suspended_at is not None
        in_force = not expired and not suspended and vouched[share.voucher_id]
        actions = (Action.VIEW, Action.DOWNLOAD) if share.downloadable else (Action.VIEW,)
        rules.append(AccessRule(
            "customer", share.customer_id, str(share.customer), tuple(str(a) for a in actions) if in_force else (),
            "share", tuple(readers.get(share.customer_id, ())),
            share=ShareAccess(
                id=share.pk, downloadable=share.downloadable,
                version=share.version.number if share.version_id else None,
                expires_at=share.expires_at, expired=expired, suspended=suspended,
                suspended_at=share.suspended_at, suspended_reason=share.suspended_reason,
                voucher={"id": share.voucher_id, "label": str(share.voucher)},
                vouched=vouched[share.voucher_id], in_force=in_force,
            ),
        ))
    return rules


def view_principals_for_article(article: KnowledgeArticle, audience_ids: list[int]) -> list[str]:
    """The tokens of everyone who may find a published article in search (drafts are not indexed)."""
    tokens = {STAFF_TOKEN}
    if article.visibility == ArticleVisibility.PORTAL:
        if audience_ids:
            tokens.update(portal_customer_token(cid) for cid in audience_ids)
        else:
            tokens.add(PORTAL_ALL_TOKEN)
    return sorted(tokens)
