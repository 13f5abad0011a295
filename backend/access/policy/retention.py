"""Retention and disposal review (backend/documents/retention.py).

* Retention policies (how long each kind and classification of document is kept, counted from which CRM
  event): read and changed by the compliance role and administrators.
* The disposal review queue (documents whose disposal date has come: dispose of them for good, or keep
  them longer): compliance only. Nobody bypasses a legal hold: the purge itself refuses held documents.
* Which product a piece of product material describes (it is kept while that product is active): whoever
  may change the document, and compliance.
"""

from __future__ import annotations

from backend.access.policy.actions import Action
from backend.access.policy.registry import can
from backend.access.policy.users import is_active_staff
from backend.accounts.models import Role

RETENTION_POLICY_ROLES = (Role.COMPLIANCE, Role.ADMIN)


def may_manage_retention_policies(user) -> bool:
    return is_active_staff(user) and user.role in RETENTION_POLICY_ROLES


def may_review_disposals(user) -> bool:
    return is_active_staff(user) and user.role == Role.COMPLIANCE


def may_set_retention_product(user, document, *, may_change: bool | None = None) -> bool:
    """`may_change`: the answer of can(user, CHANGE, document) when the caller has already asked it (the
    document page asks it once for all its panels), so the question is not put to the database again."""
    if not is_active_staff(user):
        return False
    if user.role == Role.COMPLIANCE:
        return True
    return can(user, Action.CHANGE, document) if may_change is None else bool(may_change)
