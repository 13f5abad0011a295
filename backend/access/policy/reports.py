"""Whose figures a user may read on the reports page, and whose sales targets they may set.

Figures are grouped by the rep a row belongs to (an order's, a deal's or an activity's owner, an
expense's submitter, a customer's owner). Administrators and compliance officers read everyone's. A
team's manager — a member of a department holding the permission `crm.view_team_figures` (granted
in the admin, directly or through a group) — reads the figures of every member of their department.
Everyone else on the staff reads their own. Portal users and inactive users read nothing.

Targets are set by administrators for anyone, and by a team's manager for their department and its
other members (never for themselves: nobody sets the bar they are measured against).

**The one notion of a manager** (`manages`, `managed_reps_q`): an administrator manages everyone; a team
manager (is_team_manager) manages the members of their department; nobody else manages anyone. The same
function says whose figures a manager reads here and whose expenses they decide (policy/marketing.py), so
the two can never disagree. Compliance reads everyone's figures without managing anyone (it decides
nothing).

Currency rates (the reports' conversion table) are kept by administrators (`may_set_currency_rates`).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from backend.access.policy.registry import EVERYTHING, NOTHING
from backend.access.policy.users import is_active_staff
from backend.accounts.models import Role

TEAM_FIGURES_PERMISSION = "crm.view_team_figures"
_EVERYONE_ROLES = (Role.ADMIN, Role.COMPLIANCE)


@dataclass(frozen=True)
class FigureScope:
    """Everything, one department's members (and the user), or only the user."""

    everything: bool = False
    department_id: int | None = None
    user_id: int | None = None

    @property
    def is_team(self) -> bool:
        return not self.everything and self.department_id is not None

    def rep_q(self, rep_path: str) -> Q:
        """Rows whose rep, reached through `rep_path` (e.g. "owner", "order__owner"), is in the scope."""
        if self.everything:
            return EVERYTHING
        if self.user_id is None:
            return NOTHING
        q = Q(**{f"{rep_path}_id": self.user_id})
        if self.department_id is not None:
            q |= Q(**{f"{rep_path}__department_id": self.department_id})
        return q

    def department_q(self, department_path: str) -> Q:
        """Rows naming a department (a team's target) the scope covers."""
        if self.everything:
            return EVERYTHING
        if self.department_id is None:
            return NOTHING
        return Q(**{f"{department_path}_id": self.department_id})


def is_team_manager(user) -> bool:
    return bool(is_active_staff(user) and user.department_id is not None and user.has_perm(TEAM_FIGURES_PERMISSION))


def managed_reps_q(user, rep_path: str) -> Q:
    """Rows whose rep, reached through `rep_path` (e.g. "submitter", "order__owner"), `user` manages:
    everyone's for an administrator, their department's members' for a team manager, nobody's otherwise."""
    if not is_active_staff(user):
        return NOTHING
    if user.role == Role.ADMIN:
        return EVERYTHING
    if is_team_manager(user):
        return Q(**{f"{rep_path}__department_id": user.department_id})
    return NOTHING


def manages(user, rep) -> bool:
    """Does `user` manage `rep` (managed_reps_q in Python, for one person)? Nobody manages a portal user."""
    if rep is None or not is_active_staff(user) or rep.role == Role.PORTAL:
        return False
    if user.role == Role.ADMIN:
        return True
    return is_team_manager(user) and rep.department_id == user.department_id


def may_set_currency_rates(user) -> bool:
    """Keep the reports' currency rate table: administrators."""
    return is_active_staff(user) and user.role == Role.ADMIN


def figure_scope(user) -> FigureScope:
    """The reps whose figures `user` may read."""
    if not is_active_staff(user):
        return FigureScope()
    if user.role in _EVERYONE_ROLES:
        return FigureScope(everything=True, user_id=user.pk)
    if is_team_manager(user):
        return FigureScope(department_id=user.department_id, user_id=user.pk)
    return FigureScope(user_id=user.pk)


def service_figure_scope(user) -> FigureScope:
    """Service figures: service staff read every record they may see (the service desk's work is theirs),
    everyone else the records of the customers their figure scope's reps own."""
    if is_active_staff(user) and user.role == Role.SERVICE:
        return FigureScope(everything=True, user_id=user.pk)
    return figure_scope(user)


def may_read_figures_of_rep(user, rep) -> bool:
    scope = figure_scope(user)
    if rep is None:
        return False
    return scope.everything or rep.pk == scope.user_id or (
        scope.department_id is not None and rep.department_id == scope.department_id)


def may_read_figures_of_team(user, department) -> bool:
    scope = figure_scope(user)
    return department is not None and (scope.everything or department.pk == scope.department_id)


def may_set_targets(user) -> bool:
    """May `user` open the targets form at all (administrators and team managers)?"""
    return is_active_staff(user) and (user.role == Role.ADMIN or is_team_manager(user))


def may_set_target_for(user, *, rep=None, department=None) -> bool:
    """May `user` set (or remove) the target of `rep` or of `department`?"""
    if not may_set_targets(user):
        return False
    if rep is not None:
        return rep.is_active and rep.pk != user.pk and manages(user, rep)
    if department is not None:
        return user.role == Role.ADMIN or department.pk == user.department_id
    return False
