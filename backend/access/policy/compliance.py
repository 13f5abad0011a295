"""Reviewing access: the compliance console, "who can access this document and why", its access log.

* The compliance console (audit log, exports, chain verification, access reports): the compliance
  role, active staff only.
* Who can access a document, and its access log: its managers, and compliance for any document.
"""

from __future__ import annotations

from backend.access.policy.actions import Action
from backend.access.policy.documents import document_rules_explanation
from backend.access.policy.explanation import AccessRule
from backend.access.policy.registry import can
from backend.access.policy.sharing import share_explanation
from backend.access.policy.users import is_active_staff
from backend.accounts.models import Role
from backend.documents.models import Document


def may_open_compliance_console(user) -> bool:
    return is_active_staff(user) and user.role == Role.COMPLIANCE


def can_review_access(user, document: Document) -> bool:
    """Who may ask "who can access this document and why": its managers, and compliance for any document."""
    return is_active_staff(user) and review_rule(user, may_manage=lambda: can(user, Action.MANAGE, document))


def review_rule(user, *, may_manage) -> bool:
    """The rule itself, over the user's right to manage the document (asked lazily)."""
    return user.role == Role.COMPLIANCE or may_manage()


def may_read_access_log(user, document: Document) -> bool:
    """Who may read a document's access log (its audit events): whoever may review its access."""
    return can_review_access(user, document)


def document_access_explanation(document: Document) -> list[AccessRule]:
    """Who can access `document` and through which rule: the staff rules, then the customers' shares."""
    return document_rules_explanation(document) + share_explanation(document)
