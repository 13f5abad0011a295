"""Who may see and change campaigns, leads and expenses (issue 16).

* Campaigns are read by every member of staff (a rep should know what marketing runs in their region).
  The roles in MARKETING_ROLES (administrators and sales unless the deployment names others) start
  campaigns and record leads; a campaign is changed by its owner and administrators.
* A lead is a prospect customer with a source: it follows its customer (policy/crm.py), and whoever
  recorded it keeps seeing it. Assigning it hands the customer to the rep, which is the customer's MANAGE
  action (its one owner, or an administrator): once a rep owns it, marketing cannot take it back.
* An expense is seen by whoever submitted it, by administrators and compliance, by the submitter's
  manager (their department's team manager: a member of the department holding `crm.view_team_figures`,
  the one notion of a manager that the reports use too, policy/reports.py) and by whoever may change
  the customer it was spent on. It is decided (approved or rejected) by the submitter's manager or an
  administrator — never by the submitter.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import Q

from backend.access.policy.actions import Action
from backend.access.policy.crm import CRM_ACCESS_DENIED, customer_visibility_q
from backend.access.policy.registry import EVERYTHING, NOTHING, register_staff
from backend.access.policy.reports import is_team_manager, managed_reps_q
from backend.access.policy.users import is_active_staff
from backend.accounts.models import Role
from backend.crm.models import Campaign, Expense, ExpenseStatus, Lead

_EXPENSE_READERS = (Role.ADMIN, Role.COMPLIANCE)


def may_run_campaigns(user) -> bool:
    """Start campaigns and record leads: active staff whose role is in MARKETING_ROLES."""
    return is_active_staff(user) and user.role in settings.MARKETING_ROLES


def may_submit_expenses(user) -> bool:
    """Any active member of staff submits their own expenses (compliance reads them and spends nothing)."""
    return is_active_staff(user) and user.role != Role.COMPLIANCE


def is_expense_approver(user) -> bool:
    """May `user` decide anyone's expenses at all: everyone's for administrators, their department's for a
    team manager (is_team_manager: the permission is looked up once per user object)?"""
    return is_active_staff(user) and (user.role == Role.ADMIN or is_team_manager(user))


def decidable_expenses_q(user) -> Q:
    """The expenses `user` may approve or reject: their department's members' (administrators: anyone's),
    never their own."""
    if not is_expense_approver(user):
        return NOTHING
    # managed_reps_q: the one notion of a manager, the one the reports use for team figures.
    return managed_reps_q(user, "submitter") & ~Q(submitter_id=user.pk)


def may_decide_expense(user, expense: Expense) -> bool:
    """The submitter's manager (or an administrator), while the expense waits for a decision."""
    return (expense.status == ExpenseStatus.SUBMITTED
            and Expense.objects.filter(pk=expense.pk).filter(decidable_expenses_q(user)).exists())


def may_assign_lead(user, lead: Lead) -> bool:
    """Hand a lead to a rep: the MANAGE rule of its customer (policy/crm.py) in Python, for lists — its one
    owner (marketing, until it is assigned) or an administrator. The service checks it again in SQL."""
    return is_active_staff(user) and (user.role == Role.ADMIN or lead.customer.owner_id == user.pk)


def _campaign_q(user, action: Action) -> Q:
    if not is_active_staff(user):
        return NOTHING
    if action == Action.VIEW or user.role == Role.ADMIN:
        return EVERYTHING
    return Q(owner_id=user.pk)


def _lead_q(user, action: Action) -> Q:
    q = customer_visibility_q(user, action, prefix="customer__")
    if action == Action.VIEW and is_active_staff(user):
        q |= Q(recorded_by_id=user.pk)
    return q


def _expense_q(user, action: Action) -> Q:
    if not is_active_staff(user):
        return NOTHING
    if action != Action.VIEW:
        # Nobody changes an expense directly: it is submitted, then decided (may_decide_expense).
        return NOTHING
    if user.role in _EXPENSE_READERS:
        return EVERYTHING
    q = Q(submitter_id=user.pk) | customer_visibility_q(user, Action.CHANGE, prefix="customer__")
    return q | managed_reps_q(user, "submitter")


register_staff(Campaign, q=_campaign_q, denied_event=CRM_ACCESS_DENIED)
register_staff(Lead, q=_lead_q, denied_event=CRM_ACCESS_DENIED)
register_staff(Expense, q=_expense_q, denied_event=CRM_ACCESS_DENIED)
