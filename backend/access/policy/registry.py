"""The rule table: for each model, which rows a user may see or change, in SQL (and in Python where cheaper).

Each rule module (documents, sharing, crm, portal) registers the models it speaks for; `can()` and
`visible()` look the model up here instead of walking a chain of `if model is X`.

* staff rules: `q(user, action) -> Q`, the rows active staff may `action`; optionally
  `check(user, action, obj) -> bool`, the same rule in Python (documents: no query for the owner and
  the broad rules) — both forms are proved to agree by tests/access/test_document_rules.py;
* portal rules: `q(customer_id) -> Q`, the rows a portal user may view (portal users never change
  anything through the policy);
* `denied_event`: the audit event a refused request for such a row records (access.services.require).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Model, Q, QuerySet

from backend.access.policy.actions import Action
from backend.access.policy.users import is_active_user, is_portal_user, portal_customer_id
from backend.accounts.models import Role

# Q() is not "everything": Q() | Q(x) is just Q(x). These two compile to no WHERE clause / an empty result.
EVERYTHING = ~Q(pk__in=[])
NOTHING = Q(pk__in=[])


@dataclass(frozen=True)
class StaffRules:
    q: Callable[..., Q]  # (user, action) -> Q
    check: Callable[..., bool] | None = None  # (user, action, obj) -> bool; None: one EXISTS query over q
    denied_event: str = ""


_STAFF: dict[type[Model], StaffRules] = {}
_PORTAL: dict[type[Model], Callable[[int], Q]] = {}


def register_staff(*models: type[Model], q, check=None, denied_event: str) -> None:
    for model in models:
        if model in _STAFF:
            raise ValueError(f"{model.__name__} already has staff access rules")
        _STAFF[model] = StaffRules(q=q, check=check, denied_event=denied_event)


def register_portal(*models: type[Model], q) -> None:
    for model in models:
        if model in _PORTAL:
            raise ValueError(f"{model.__name__} already has portal access rules")
        _PORTAL[model] = q


def has_rules(model: type[Model]) -> bool:
    """Does the policy have visible() for `model` (for staff)?"""
    return model in _STAFF


def _staff_rules(model: type[Model]) -> StaffRules:
    try:
        return _STAFF[model]
    except KeyError:
        raise TypeError(f"no access rule for {model.__name__}") from None


def denied_event_for(obj) -> str:
    """The audit event recording that someone was refused `obj`."""
    return _staff_rules(type(obj)).denied_event


def portal_q(model: type[Model], user, action: Action) -> Q:
    """What a portal user may see: their own customer's rows, read-only."""
    customer_id = portal_customer_id(user)
    rule = _PORTAL.get(model)
    if customer_id is None or action != Action.VIEW or rule is None:
        return NOTHING
    return rule(customer_id)


def visibility_q(model: type[Model], user, action: Action) -> Q:
    if not is_active_user(user):
        # As in can(): inactive users (disabled staff, disabled or unactivated portal users) see nothing,
        # even rows they still own.
        return NOTHING
    if is_portal_user(user):
        return portal_q(model, user, action)
    return _staff_rules(model).q(user, action)


def visible(user, queryset: QuerySet, action: Action = Action.VIEW) -> QuerySet:
    """Narrow a queryset to the rows `user` may `action`, in SQL."""
    return queryset.filter(visibility_q(queryset.model, user, Action(action)))


def can(user, action: Action | str, obj) -> bool:
    """May `user` do `action` on `obj`?"""
    if not is_active_user(user):
        return False
    action = Action(action)
    model = type(obj)
    if user.role == Role.PORTAL:
        return model._default_manager.filter(pk=obj.pk).filter(portal_q(model, user, action)).exists()
    rules = _staff_rules(model)
    if rules.check is not None:
        return rules.check(user, action, obj)
    return model._default_manager.filter(pk=obj.pk).filter(rules.q(user, action)).exists()
