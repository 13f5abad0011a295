"""The same rules as tokens, for search indexes.

A search index cannot run SQL, so each indexed document carries the tokens of everyone who may view
it (documents.view_principals_for_documents, derived from the document rule table), and each query
carries the caller's tokens (user_principals). `user` may view `document` exactly when the two
intersect; tests/access/test_document_rules.py proves this rule by rule.
"""

from __future__ import annotations

from functools import lru_cache

from django.db import router
from django.db.models import Value

from backend.access.policy.users import is_active_staff, is_portal_user, portal_customer_id
from backend.accounts.models import User
from backend.common.prepared import PreparedQuery
from backend.crm.models import AccountTeamMember, ArticleVisibility, Customer, KnowledgeArticle

STAFF_TOKEN = "staff"
PORTAL_ALL_TOKEN = "portal"


def _token(prefix: str):
    """The token for one id (or role) of a kind: `prefix:value`."""

    def token(value: int | str) -> str:
        return f"{prefix}:{value}"

    token.__name__ = token.__qualname__ = f"{prefix.replace('-', '_')}_token"
    return token


user_token = _token("user")
group_token = _token("group")
role_token = _token("role")
department_token = _token("dept")
customer_team_token = _token("customer-team")  # everyone who owns the customer or is on its account team
portal_customer_token = _token("portal-customer")


def user_principals(user) -> list[str]:
    """The tokens that stand for `user` in a search query (empty for nobody)."""
    if is_portal_user(user):
        customer_id = portal_customer_id(user)
        return [] if customer_id is None else sorted([PORTAL_ALL_TOKEN, portal_customer_token(customer_id)])
    if not is_active_staff(user):
        return []
    tokens = {user_token(user.pk), role_token(user.role), STAFF_TOKEN}
    if user.department_id is not None:
        tokens.add(department_token(user.department_id))
    # One query (UNION ALL) for the user's groups and the customers they own or are on the account
    # team of (the same customers as documents.related_customer_ids): every search request pays for it,
    # so it is compiled once (_principal_rows) and rerun with the user's id.
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


def view_principals_for_article(article: KnowledgeArticle, audience_ids: list[int]) -> list[str]:
    """The tokens of everyone who may find a published article in search (drafts are not indexed)."""
    tokens = {STAFF_TOKEN}
    if article.visibility == ArticleVisibility.PORTAL:
        if audience_ids:
            tokens.update(portal_customer_token(cid) for cid in audience_ids)
        else:
            tokens.add(PORTAL_ALL_TOKEN)
    return sorted(tokens)
