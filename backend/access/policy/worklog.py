"""Whose work log a user may read: the visits, calls, e-mails, notes and reminders a rep logged.

Every active member of staff reads their own. The roles in WORKLOG_READER_ROLES (administrators unless
the deployment names more, e.g. a sales manager's role) read anyone's. Either way a work log lists only
activities whose customer the reader may see (policy/crm.py): reading a colleague's log never shows a
customer the reader could not open. Portal users have no work log.
"""

from __future__ import annotations

from django.conf import settings

from backend.access.policy.users import is_active_staff
from backend.accounts.models import Role


def may_read_worklogs_of_others(actor) -> bool:
    """May `actor` choose any rep's work log (managers and administrators)?"""
    return is_active_staff(actor) and actor.role in settings.WORKLOG_READER_ROLES


def may_read_worklog_of(actor, rep) -> bool:
    """May `actor` read what `rep` logged? Their own always; anyone's for the work-log readers."""
    if not is_active_staff(actor) or rep is None or rep.role == Role.PORTAL:
        return False
    return rep.pk == actor.pk or may_read_worklogs_of_others(actor)
