"""Who is asking: active staff, a customer's portal user, or nobody (anonymous, inactive)."""

from __future__ import annotations

from backend.accounts.models import Role
from backend.sharing.models import PortalAccount


def is_active_user(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def is_active_staff(user) -> bool:
    """A signed-in, active member of staff: who may create documents, customers and articles at all."""
    return is_active_user(user) and user.role != Role.PORTAL


def staff_kind(user) -> tuple[str, bool] | None:
    """(role, has a department) for an active staff user: all the policy's SQL rules vary on besides the
    user's own ids, so the key of queries prepared per kind of user (backend.common.prepared.staff_instances);
    None for anyone else (portal users and the inactive get their queries built afresh)."""
    if not is_active_staff(user):
        return None
    return str(user.role), user.department_id is not None


def is_portal_user(user) -> bool:
    """A signed-in customer contact (whatever the state of their account)."""
    return is_active_user(user) and user.role == Role.PORTAL


def portal_customer_id(user) -> int | None:
    """The customer a portal user acts for, or None (staff, anonymous, disabled or unactivated accounts).

    Looked up once per user object (one indexed query) and remembered on it.
    """
    if not is_portal_user(user):
        return None
    if "_portal_customer_id" not in user.__dict__:
        user.__dict__["_portal_customer_id"] = (
            PortalAccount.objects.filter(user_id=user.pk, disabled_at__isnull=True, activated_at__isnull=False)
            .values_list("customer_id", flat=True)
            .first()
        )
    return user.__dict__["_portal_customer_id"]


def user_admin_refusal(actor, *, user=None) -> str | None:
    """Why `actor` may not manage users and departments (or `user` in particular), or None when they may.

    The system itself (`actor=None`) may. Otherwise only an active administrator, never on themselves
    (nobody raises themselves), never on a portal user (managed through their portal account).
    Returns "not_admin", "self" or "portal_user".
    """
    if actor is None:
        return None
    if not (is_active_staff(actor) and actor.role == Role.ADMIN):
        return "not_admin"
    if user is not None and user.pk == actor.pk:
        return "self"
    if user is not None and user.role == Role.PORTAL:
        return "portal_user"
    return None
