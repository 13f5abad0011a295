"""The trash and legal holds: who may restore or purge a document in the trash, who places and lifts holds.

* A document in the trash is no one's under the document rules (documents.py: can_document and
  document_visibility_q leave it out), so it vanishes from every list, search, share and page at once.
* Who may see it in the trash and restore it: whoever the rules would let manage it, the trash aside
  (its owner, a manage grant, an admin for public and internal documents).
* Who may purge (delete for good): the same people for a document in the trash; compliance for any
  document (an approved disposal); the purge job itself (no actor) once the trash window has passed.
* Legal holds: placed, lifted and listed by the compliance role only.
"""

from __future__ import annotations

from django.db.models import Q

from backend.access.policy.actions import Action
from backend.access.policy.documents import document_rules_q, rules_allow_document
from backend.access.policy.registry import NOTHING
from backend.access.policy.users import is_active_staff
from backend.accounts.models import Role
from backend.documents.models import Document


def may_restore_document(user, document: Document) -> bool:
    return (document.trashed_at is not None and is_active_staff(user)
            and rules_allow_document(user, Action.MANAGE, document))


def may_purge_document(user, document: Document) -> bool:
    if not is_active_staff(user):
        return False
    return user.role == Role.COMPLIANCE or may_restore_document(user, document)


def trash_visibility_q(user) -> Q:
    """The documents in the trash `user` may see there (and restore), in SQL."""
    rules_q = document_rules_q(user, Action.MANAGE)
    return rules_q if rules_q is NOTHING else Q(trashed_at__isnull=False) & rules_q


def may_manage_legal_holds(user) -> bool:
    return is_active_staff(user) and user.role == Role.COMPLIANCE
