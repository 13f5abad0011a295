"""Who may do what with a document: the rules, stated once (DOCUMENT_RULES).

In order of strength:
  * the owner may do everything;
  * an explicit grant (to the user, or to a group/department the user belongs to) at a
    level allows that level and every weaker one: view < read < download < change < manage
    (view: the metadata only; read: also the pages drawn on the server, each with the reader's mark
    across it, never the file);
  * public and internal documents: the admin role may do everything;
  * public documents: every active staff user may view and download;
  * internal documents: members of the owning department may view and download;
  * public and internal documents: the compliance role may read them (metadata and marked pages; they
    could see the previews before the read level existed, and still can);
  * internal documents linked to a customer: that customer's owner and account team may read
    (not download) them; reassigning the owner moves this access at once;
  * confidential and secret documents: only the owner and explicit grants, never a broad role.
Inactive users, portal users and anonymous callers get none of these (portal users read documents
through shares only: policy/sharing.py).

Each rule is a row of DOCUMENT_RULES: which documents it covers (classifications), up to which action,
and who it speaks of (a principal). Each principal holds every form of its rule side by side:

  * admits(user, action, document) - Python, for can() (free rules first, then those needing a query);
  * q(user, action)                - SQL over Document, for visible() and selectors;
  * view_tokens(...)               - the index tokens of who may view (and, with a level, how far), for search;
  * explain(document, rule)        - "who can access this, and why", for the compliance console.

The four views are derived from the one table; tests/access/test_document_rules.py proves, rule by
rule, that the Python, SQL and token forms agree.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable
from dataclasses import dataclass
from functools import reduce

from django.contrib.auth.models import Group
from django.db.models import Exists, OuterRef, Q, QuerySet

from backend.access.models import DocumentGroupObjectPermission, DocumentUserObjectPermission
from backend.access.policy.actions import LEVEL_BY_CODENAME, LEVELS, Action, actions_up_to, at_most, codenames_implying
from backend.access.policy.explanation import AccessRule
from backend.access.policy.principals import (
    STAFF_TOKEN,
    customer_team_token,
    department_token,
    group_token,
    role_token,
    user_token,
)
from backend.access.policy.registry import EVERYTHING, NOTHING, register_staff
from backend.access.policy.users import is_active_staff
from backend.accounts.models import Department, Role, User
from backend.crm.models import AccountTeamMember, Customer, DocumentLink
from backend.documents.audit_events import DOCUMENT_ACCESS_DENIED
from backend.documents.models import Classification, Document, DocumentVersion

ALL: tuple[str, ...] = tuple(Classification.values)
BROAD: tuple[str, ...] = (Classification.PUBLIC, Classification.INTERNAL)

# (pk, owner_id, classification, department_id) of each document being indexed
Row = tuple[int, int, str, int | None]


def _classification_q(classifications: Iterable[str], prefix: str = "") -> Q:
    ordered = [c for c in ALL if c in set(classifications)]
    if len(ordered) == 1:
        return Q(**{f"{prefix}classification": ordered[0]})
    return Q(**{f"{prefix}classification__in": ordered})


def related_customer_ids(user) -> QuerySet:
    """Customers `user` owns or is on the account team of (a subquery, evaluated in SQL)."""
    return Customer.objects.filter(
        Q(owner_id=user.pk) | Q(pk__in=AccountTeamMember.objects.filter(user_id=user.pk).values("customer_id"))
    ).values("pk")


# --- principals: who a rule speaks of, in every form --------------------------------------------


class Principal:
    costs_query = False  # admits() runs a query: tried after the free rules

    def admits(self, user, action: Action, document: Document) -> bool:
        raise NotImplementedError

    def q(self, user, action: Action) -> Q | None:
        """Documents (of any classification) whose principal includes `user`; None: none at all."""
        raise NotImplementedError

    def includes_everyone_like(self, user) -> bool:
        """Does the principal include `user` whatever the document (a role, all staff)?"""
        return False

    def view_tokens(self, ids: list[int], rows: list[Row], classifications) -> Iterable[tuple]:
        """(document id, token) for the documents among `rows` (or `ids`) this principal may view; a principal
        whose holders differ in level (grants) adds a third item, the holder's level on that document."""
        raise NotImplementedError

    def explain(self, document: Document, rule: DocumentRule) -> list[AccessRule]:
        raise NotImplementedError


class Owner(Principal):
    def admits(self, user, action, document):
        return document.owner_id == user.pk

    def q(self, user, action):
        return Q(owner_id=user.pk)

    def view_tokens(self, ids, rows, classifications):
        return ((pk, user_token(owner_id)) for pk, owner_id, classification, _ in rows
                if classification in classifications)

    def explain(self, document, rule):
        return [AccessRule("user", document.owner_id, str(document.owner), actions_up_to(rule.up_to), rule.via)]


class _Grants(Principal):
    """Explicit grants (guardian's direct foreign-key tables), each at its own level."""

    costs_query = True
    model: type = DocumentUserObjectPermission
    holder = "user"

    def held(self, user, action: Action) -> QuerySet:
        raise NotImplementedError

    def admits(self, user, action, document):
        return self.held(user, action).filter(content_object_id=document.pk).exists()

    def q(self, user, action):
        return Exists(self.held(user, action).filter(content_object_id=OuterRef("pk")))

    def view_tokens(self, ids, rows, classifications):
        grants = self.model.objects.filter(content_object_id__in=ids)
        if set(classifications) != set(ALL):
            grants = grants.filter(_classification_q(classifications, "content_object__"))
        # Every grant level includes view; each grant's own level says whether it also lets its holder read.
        token = user_token if self.holder == "user" else group_token
        return ((pk, token(holder_id), LEVEL_BY_CODENAME.get(codename, Action.VIEW)) for pk, holder_id, codename
                in grants.values_list("content_object_id", f"{self.holder}_id", "permission__codename"))

    def strongest(self, document: Document) -> dict[int, tuple[object, Action]]:
        """Each holder's strongest grant on `document`: {holder id: (holder, level)}."""
        found: dict[int, tuple[object, Action]] = {}
        grants = self.model.objects.filter(content_object=document).select_related(self.holder, "permission")
        for grant in grants:
            level = LEVEL_BY_CODENAME.get(grant.permission.codename)
            if level is None:
                continue
            holder_id = getattr(grant, f"{self.holder}_id")
            current = found.get(holder_id)
            if current is None or LEVELS.index(level) > LEVELS.index(current[1]):
                found[holder_id] = (getattr(grant, self.holder), level)
        return found


class UserGrants(_Grants):
    model = DocumentUserObjectPermission
    holder = "user"

    def held(self, user, action):
        return DocumentUserObjectPermission.objects.filter(
            user_id=user.pk, permission__codename__in=codenames_implying(action)
        )

    def explain(self, document, rule):
        return [AccessRule("user", user.pk, str(user), actions_up_to(level), rule.via)
                for user, level in sorted(self.strongest(document).values(), key=lambda item: item[0].username)]


class GroupGrants(_Grants):
    model = DocumentGroupObjectPermission
    holder = "group"

    def held(self, user, action):
        return DocumentGroupObjectPermission.objects.filter(
            group_id__in=User.groups.through.objects.filter(user_id=user.pk).values("group_id"),
            permission__codename__in=codenames_implying(action),
        )

    def explain(self, document, rule):
        levels: dict[int, tuple[Group, Action]] = self.strongest(document)
        if not levels:
            return []
        members: dict[int, list[dict]] = {gid: [] for gid in levels}
        for membership in User.groups.through.objects.filter(group_id__in=levels).select_related("user"):
            if membership.user.is_active:
                members[membership.group_id].append({"id": membership.user_id, "label": str(membership.user)})
        # a department's group reads as the department: their names in one query, not one per group
        departments = dict(Department.objects.filter(group_id__in=levels).values_list("group_id", "name"))
        rules = []
        for gid, (group, level) in sorted(levels.items(), key=lambda item: item[1][0].name):
            label = departments.get(gid, group.name)
            rules.append(AccessRule("group", gid, label, actions_up_to(level), rule.via, tuple(members[gid])))
        return rules


@dataclass(frozen=True)
class RoleHolder(Principal):
    role: str

    def admits(self, user, action, document):
        return user.role == self.role

    def q(self, user, action):
        return EVERYTHING if user.role == self.role else None

    def includes_everyone_like(self, user):
        return user.role == self.role

    def view_tokens(self, ids, rows, classifications):
        return ((pk, role_token(self.role)) for pk, _, classification, _ in rows if classification in classifications)

    def explain(self, document, rule):
        return [AccessRule("role", None, str(Role(self.role).label), actions_up_to(rule.up_to), rule.via)]


class AllStaff(Principal):
    def admits(self, user, action, document):
        return True

    def q(self, user, action):
        return EVERYTHING

    def includes_everyone_like(self, user):
        return True

    def view_tokens(self, ids, rows, classifications):
        return ((pk, STAFF_TOKEN) for pk, _, classification, _ in rows if classification in classifications)

    def explain(self, document, rule):
        return [AccessRule("everyone", None, "All staff", actions_up_to(rule.up_to), rule.via)]


class OwningDepartment(Principal):
    def admits(self, user, action, document):
        return user.department_id is not None and user.department_id == document.department_id

    def q(self, user, action):
        return None if user.department_id is None else Q(department_id=user.department_id)

    def view_tokens(self, ids, rows, classifications):
        return ((pk, department_token(department_id)) for pk, _, classification, department_id in rows
                if classification in classifications and department_id is not None)

    def explain(self, document, rule):
        if document.department_id is None:
            return []
        return [AccessRule("department", document.department_id, str(document.department),
                           actions_up_to(rule.up_to), rule.via)]


class LinkedCustomerTeam(Principal):
    """The owner and account team of a customer the document is linked to."""

    costs_query = True

    def admits(self, user, action, document):
        return DocumentLink.objects.filter(document_id=document.pk, customer_id__in=related_customer_ids(user)).exists()

    def q(self, user, action):
        # Two EXISTS (customers owned, customers on the account team) rather than one over
        # related_customer_ids(): PostgreSQL estimates `owner_id = X OR id IN (...)` at half of all
        # customers, plans a sequential scan of every document link per list request (125 ms per page
        # at 500,000 links), while each half on its own is estimated well and uses the customer_id
        # index (7 ms). Same rows either way; see bench/document_list.py and BENCHMARKS.md.
        owned = DocumentLink.objects.filter(document_id=OuterRef("pk"), customer__owner_id=user.pk)
        on_team = DocumentLink.objects.filter(
            document_id=OuterRef("pk"),
            customer_id__in=AccountTeamMember.objects.filter(user_id=user.pk).values("customer_id"),
        )
        return Exists(owned) | Exists(on_team)

    def view_tokens(self, ids, rows, classifications):
        links = DocumentLink.objects.filter(_classification_q(classifications, "document__"), document_id__in=ids)
        return ((pk, customer_team_token(customer_id)) for pk, customer_id in
                links.values_list("document_id", "customer_id"))

    def explain(self, document, rule):
        rules = []
        customers = Customer.objects.filter(document_links__document=document).select_related("owner").distinct()
        for customer in customers.prefetch_related("team__user"):
            members = [{"id": customer.owner_id, "label": f"{customer.owner} (owner)"}]
            members += [{"id": m.user_id, "label": str(m.user)} for m in customer.team.all() if m.user.is_active]
            rules.append(AccessRule("customer", customer.pk, str(customer), actions_up_to(rule.up_to), rule.via,
                                    tuple(members)))
        return rules


# --- the rules ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DocumentRule:
    via: str  # how the explanation names it
    who: Principal
    up_to: Action  # the strongest action it allows (a grant: its own level, at most this)
    classifications: tuple[str, ...]  # the documents it covers

    def applies(self, action: Action, classification: str) -> bool:
        return at_most(action, self.up_to) and classification in self.classifications

    def allows(self, user, action: Action, document: Document) -> bool:
        """The Python form: does this rule let `user` do `action` on `document`?"""
        return self.applies(action, document.classification) and self.who.admits(user, action, document)

    def q(self, user, action: Action) -> Q | None:
        """The SQL form: the documents this rule lets `user` `action` (None: none)."""
        if not at_most(action, self.up_to):
            return None
        who = self.who.q(user, action)
        if who is None:
            return None
        return who if set(self.classifications) == set(ALL) else _classification_q(self.classifications) & who


DOCUMENT_RULES: tuple[DocumentRule, ...] = (
    DocumentRule("owner", Owner(), Action.MANAGE, ALL),
    DocumentRule("grant", UserGrants(), Action.MANAGE, ALL),
    DocumentRule("grant", GroupGrants(), Action.MANAGE, ALL),
    DocumentRule("role:admin", RoleHolder(Role.ADMIN), Action.MANAGE, BROAD),
    DocumentRule("classification:public", AllStaff(), Action.DOWNLOAD, (Classification.PUBLIC,)),
    DocumentRule("department", OwningDepartment(), Action.DOWNLOAD, (Classification.INTERNAL,)),
    # These two gave "view" when view still included the previews: they give "read", so the pages stay
    # open to them (now marked with their name); a grant at "view" shows the metadata only.
    DocumentRule("role:compliance", RoleHolder(Role.COMPLIANCE), Action.READ, BROAD),
    DocumentRule("customer:owner-and-team", LinkedCustomerTeam(), Action.READ, (Classification.INTERNAL,)),
)
# can() tries the rules that need no query first.
_CHEAPEST_FIRST = tuple(sorted(DOCUMENT_RULES, key=lambda rule: rule.who.costs_query))


def can_document(user, action: Action, document: Document) -> bool:
    """Active staff only (can() has already turned everyone else away). A document in the trash is no
    one's (backend/access/policy/trash.py says who may restore it)."""
    return document.trashed_at is None and rules_allow_document(user, action, document)


def rules_allow_document(user, action: Action, document: Document) -> bool:
    """Would the rules let `user` `action` `document`, the trash aside?"""
    return any(rule.allows(user, action, document) for rule in _CHEAPEST_FIRST)


# A document in the trash is hidden from every list, search, share and page (can_document's SQL form).
NOT_TRASHED = Q(trashed_at__isnull=True)


def document_visibility_q(user, action: Action = Action.VIEW) -> Q:
    """A Q object selecting the documents `user` may `action` (never one in the trash). Empty for nobody."""
    rules_q = document_rules_q(user, action)
    return rules_q if rules_q is NOTHING else NOT_TRASHED & rules_q


def document_rules_q(user, action: Action = Action.VIEW) -> Q:
    """The documents the rules let `user` `action`, the trash aside. Empty for nobody.

    The OR of every rule's q(); a rule whose documents a role or "all staff" already opens to `user`
    (the department rule for an admin, say) is left out, so the query stays as small as the rules allow.
    """
    if not is_active_staff(user):
        return NOTHING
    action = Action(action)
    rules = [rule for rule in DOCUMENT_RULES if at_most(action, rule.up_to)]
    opened = {c for rule in rules if rule.who.includes_everyone_like(user) for c in rule.classifications}
    terms: list[Q] = []
    for rule in rules:
        if rule.who.includes_everyone_like(user):
            if opened and not any(t is _OPENED for t in terms):
                terms.append(_OPENED)
            continue
        if set(rule.classifications) <= opened:
            continue
        term = rule.q(user, action)
        if term is not None:
            terms.append(term)
    terms = [_classification_q(opened) if t is _OPENED else t for t in terms]
    return reduce(operator.or_, terms) if terms else NOTHING


_OPENED = object()  # where the classifications a role or "all staff" opens go in the OR


def _version_q(user, action: Action) -> Q:
    return Q(document_id__in=Document.objects.filter(document_visibility_q(user, action)).values("pk"))


register_staff(Document, q=document_visibility_q, check=can_document, denied_event=DOCUMENT_ACCESS_DENIED)
register_staff(DocumentVersion, q=_version_q, check=lambda user, action, version: can_document(user, action, version.document),
               denied_event=DOCUMENT_ACCESS_DENIED)


def view_principals_for_documents(document_ids) -> dict[int, list[str]]:
    """For each document id, the tokens of everyone who may view it. A fixed number of queries."""
    return {pk: view for pk, (view, _) in search_principals_for_documents(document_ids).items()}


def search_principals_for_documents(document_ids) -> dict[int, tuple[list[str], list[str]]]:
    """For each document id, (the tokens of everyone who may view it, of everyone who may also read its
    pages). Search finds a document by its metadata for the first and by its text only for the second: a
    "view" grant shows the details, never what the pages say. A fixed number of queries."""
    ids = list(document_ids)
    rows: list[Row] = list(
        Document.objects.filter(pk__in=ids).values_list("pk", "owner_id", "classification", "department_id")
    )
    view: dict[int, set[str]] = {row[0]: set() for row in rows}
    read: dict[int, set[str]] = {row[0]: set() for row in rows}
    for rule in DOCUMENT_RULES:  # every rule allows viewing
        for pk, token, *level in rule.who.view_tokens(ids, rows, rule.classifications):
            view[pk].add(token)
            strongest = level[0] if level and at_most(level[0], rule.up_to) else rule.up_to
            if at_most(Action.READ, strongest):
                read[pk].add(token)
    return {pk: (sorted(found), sorted(read[pk])) for pk, found in view.items()}


def document_rules_explanation(document: Document) -> list[AccessRule]:
    """Every staff rule through which someone can access `document`, in the table's order."""
    return [access for rule in DOCUMENT_RULES if document.classification in rule.classifications
            for access in rule.who.explain(document, rule)]
