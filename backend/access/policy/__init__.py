"""THE access policy. Every access decision in Dossier is taken here.

    can(user, action, obj)            -> bool, for one object
    visible(user, queryset, action)   -> the queryset narrowed in SQL (subqueries, never per row)
    document_access_explanation(doc)  -> who can access a document and through which rule
    user_principals(user), search_principals_for_documents(ids) -> the same rules as search-index tokens

One module per area, each registering its models' rules in the rule table (registry.py):

    documents.py    documents and versions: the rule table stated once, in every form (Python, SQL,
                    index tokens, explanation)
    sharing.py      shares with customers: who may share, who vouches, what portal users read
    crm.py          customers and what hangs off them, service, knowledge, products, announcements, reports
    marketing.py    campaigns, leads and expenses (who runs campaigns, who decides an expense)
    portal.py       what a portal user sees of their own customer
    approval.py     the four-eyes rule: who may not approve a version they uploaded
    compliance.py   the compliance console, "who can access this", a document's access log
    rights.py       every right of one user on one document at once (the document page)
    principals.py   the search-index tokens
    admin.py        the Django admin (imported by the admin modules, not here)

Inactive users and anonymous callers may do nothing. Views and templates never decide by role: they
ask can() or one of the named functions below.
"""

from backend.access.policy.actions import (
    CODENAMES,
    LEVEL_BY_CODENAME,
    LEVELS,
    Action,
    codenames_implying,
)
from backend.access.policy.approval import four_eyes_applies, four_eyes_forbids
from backend.access.policy.compliance import (
    can_review_access,
    document_access_explanation,
    may_open_compliance_console,
    may_read_access_log,
)
from backend.access.policy.crm import (
    can_manage_portal_access,
    can_publish_announcements,
    customer_visibility_q,
    may_export_reports,
)
from backend.access.policy.documents import (
    DOCUMENT_RULES,
    document_visibility_q,
    related_customer_ids,
    search_principals_for_documents,
    view_principals_for_documents,
)
from backend.access.policy.explanation import AccessRule, ShareAccess
from backend.access.policy import marketing as _marketing  # noqa: F401 (registers campaigns, leads, expenses)
from backend.access.policy.portal import portal_can_follow_up
from backend.access.policy.principals import (
    PORTAL_ALL_TOKEN,
    STAFF_TOKEN,
    portal_customer_token,
    user_principals,
    view_principals_for_article,
)
from backend.access.policy.registry import EVERYTHING, NOTHING, can, denied_event_for, visible
from backend.access.policy.rights import DocumentRights, document_rights
from backend.access.policy.sharing import (
    can_share_document,
    may_share_document,
    may_vouch_for_share,
    vouched_shares_q,
)
from backend.access.policy.users import is_active_staff, is_portal_user, portal_customer_id, staff_kind

__all__ = [
    "CODENAMES", "DOCUMENT_RULES", "EVERYTHING", "LEVELS", "LEVEL_BY_CODENAME", "NOTHING", "PORTAL_ALL_TOKEN",
    "STAFF_TOKEN", "AccessRule", "Action", "DocumentRights", "ShareAccess", "can", "can_manage_portal_access",
    "can_publish_announcements", "can_review_access", "can_share_document", "codenames_implying",
    "customer_visibility_q", "denied_event_for", "document_access_explanation", "document_rights",
    "document_visibility_q", "four_eyes_applies", "four_eyes_forbids",
    "is_active_staff", "is_portal_user", "staff_kind", "may_export_reports", "may_open_compliance_console",
    "may_read_access_log", "may_share_document", "may_vouch_for_share", "portal_can_follow_up",
    "portal_customer_id", "portal_customer_token", "related_customer_ids", "user_principals",
    "search_principals_for_documents", "view_principals_for_article", "view_principals_for_documents", "visible", "vouched_shares_q",
]
