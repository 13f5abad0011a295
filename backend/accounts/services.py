"""Writes for users, departments, groups and API tokens, and the limits on staff sign-ins.

The portal accounts of customer contacts (invitations, portal sign-in) live with the portal's domain:
backend.sharing.portal_accounts.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from backend.access.policy.admin import ADMIN_SITE_ROLES
from backend.access.policy import is_active_staff
from backend.access.policy.users import user_admin_refusal
from backend.accounts.audit_events import (
    ACCOUNTS_CHANGE_DENIED,
    API_SIGNED_IN,
    API_TOKENS_REVOKED,
    DEPARTMENT_CREATED,
    USER_ACTIVATED,
    USER_CREATED,
    USER_DEACTIVATED,
    USER_DEPARTMENT_CHANGED,
    USER_GROUPS_CHANGED,
    USER_PASSWORD_SET,
    USER_ROLE_CHANGED,
)
from backend.accounts.models import ApiToken, Department, Role, User
from backend.accounts.signin_limits import STAFF_SIGN_IN
from backend.audit import services as audit
from backend.common.errors import Conflict, InvalidInput, PermissionDenied, TooManyAttempts


# --- staff users, departments, groups ------------------------------------------------------------
#
# Every change to who someone is (role, department, groups, password, active or not) goes through
# these services: they take the acting user, check the rule, and record the audit event in the same
# transaction. `actor=None` is the system itself (the demo seed, management commands, migrations);
# an interface always passes the signed-in user (an anonymous one is refused).
#
# Rules: only an active user with the admin role manages users and departments; nobody changes their
# own role, department, groups or active state (nobody raises themselves); portal users are managed
# through their portal account (invitation, disable, enable), never here.
#
# A department's group is how documents are granted to it, so a user belongs to exactly one
# department group: their department's. Moving a user removes every other department group in the
# same transaction, and the group service refuses department groups, so a stale grant cannot remain.


def _deny(actor, *, action: str, user: User | None = None, reason: str, message: str) -> None:
    """Record the refusal (in its own transaction when the caller has none) and raise PermissionDenied."""
    audit.record(ACCOUNTS_CHANGE_DENIED, actor=actor if getattr(actor, "is_authenticated", False) else None,
                 target=user, target_type=None if user else "accounts.user", outcome="denied",
                 detail={"action": action, "reason": reason})
    raise PermissionDenied(message)


_REFUSED = {
    "not_admin": gettext_lazy("Only administrators manage users and departments."),
    "self": gettext_lazy("Nobody may change their own role, department, groups or active state."),
    "portal_user": gettext_lazy("Portal users are managed from their customer's page (invite, disable, enable)."),
}


def _require_user_admin(actor, *, action: str, user: User | None = None) -> None:
    """The policy decides (backend.access.policy.users.user_admin_refusal); a refusal is audited."""
    reason = user_admin_refusal(actor, user=user)
    if reason is not None:
        _deny(actor, action=action, user=user, reason=reason, message=str(_REFUSED[reason]))


def _is_staff_for(role: str) -> bool:
    """Django's is_staff kept in step with the role (the admin site itself decides by role)."""
    return role in ADMIN_SITE_ROLES


def department_create(*, actor, code: str, name: str) -> Department:
    _require_user_admin(actor, action="department.create")
    if Department.objects.filter(code=code).exists():
        raise Conflict(_("A department with this code exists already."), fields={"code": [_("This code is taken.")]})
    with transaction.atomic():
        group, _created = Group.objects.get_or_create(name=f"dept:{code}")
        department = Department.objects.create(code=code, name=name, group=group)
        audit.record(DEPARTMENT_CREATED, actor=actor, target=department, detail={"code": code, "name": name})
    return department


def user_row_insert(*, username: str, password: str | None, role: str, department: Department | None,
                    display_name: str, email: str, preferred_language: str, is_active: bool = True) -> User:
    """The row and its department group; the caller checks and audits (user_create here, portal_invite
    in backend.sharing.portal_accounts)."""
    if User.objects.filter(username=username).exists():
        raise Conflict(_("A user with this user name exists already."), fields={"username": [_("This name is taken.")]})
    user = User(username=username, role=role, department=department, display_name=display_name, email=email,
                preferred_language=preferred_language, is_staff=_is_staff_for(role), is_active=is_active)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    if department is not None:
        user.groups.add(department.group)
    return user


def _check_staff_role(role: str) -> None:
    if role not in Role.values:
        raise InvalidInput(_("Unknown role."), fields={"role": [_("Choose one of the roles.")]})
    if role == Role.PORTAL:
        raise InvalidInput(_("Portal users are invited from their customer's page."),
                           fields={"role": [_("Choose a staff role.")]})


def user_create(
    *,
    actor,
    username: str,
    password: str | None = None,
    role: str = Role.STAFF,
    department: Department | None = None,
    display_name: str = "",
    email: str = "",
    preferred_language: str = "en",
) -> User:
    """A new staff user (portal users come from invitations: `portal_invite`)."""
    _require_user_admin(actor, action="user.create")
    _check_staff_role(role)
    with transaction.atomic():
        user = user_row_insert(username=username, password=password, role=role, department=department,
                               display_name=display_name, email=email, preferred_language=preferred_language)
        audit.record(USER_CREATED, actor=actor, target=user,
                     detail={"username": username, "role": role, "department": department.code if department else None})
    return user


def _locked(user: User) -> User:
    return User.objects.select_for_update(of=("self",)).select_related("department").get(pk=user.pk)


def _synced(user: User, locked: User) -> User:
    """The caller's instance takes the committed state, so code still holding it sees the change."""
    for field in User._meta.concrete_fields:
        setattr(user, field.attname, getattr(locked, field.attname))
    if User.department.is_cached(locked):
        User.department.field.set_cached_value(user, locked.department)
    return locked


def user_role_change(*, actor, user: User, role: str) -> User:
    _require_user_admin(actor, action="user.role", user=user)
    _check_staff_role(role)
    with transaction.atomic():
        locked = _locked(user)
        before = locked.role
        if before == role:
            return _synced(user, locked)
        locked.role, locked.is_staff = role, _is_staff_for(role)
        locked.save(update_fields=["role", "is_staff"])
        audit.record(USER_ROLE_CHANGED, actor=actor, target=locked, detail={"from": before, "to": role})
    return _synced(user, locked)


def user_move_department(*, actor, user: User, department: Department | None) -> User:
    """Move `user` to `department` (or to none). Every department group but the new one's is left,
    in the same transaction: access granted to the old department ends with the move."""
    _require_user_admin(actor, action="user.department", user=user)
    with transaction.atomic():
        locked = _locked(user)
        before = locked.department
        memberships = User.groups.through.objects.filter(user_id=locked.pk, group__department__isnull=False)
        if department is not None:
            memberships = memberships.exclude(group_id=department.group_id)
        removed = sorted(memberships.values_list("group__name", flat=True))
        memberships.delete()
        locked.department = department
        locked.save(update_fields=["department"])
        if department is not None:
            locked.groups.add(department.group)
        if before != department or removed:
            audit.record(USER_DEPARTMENT_CHANGED, actor=actor, target=locked,
                         detail={"from": before.code if before else None,
                                 "to": department.code if department else None, "groups_removed": removed})
    return _synced(user, locked)


def user_groups_change(*, actor, user: User, add=(), remove=()) -> User:
    """Add `user` to or remove them from groups other than department groups (those follow the department)."""
    _require_user_admin(actor, action="user.groups", user=user)
    add, remove = list(add), list(remove)
    if any(Department.objects.filter(group_id=group.pk).exists() for group in add + remove):
        raise InvalidInput(_("A department's group follows the department: move the user instead."),
                           fields={"groups": [_("Department groups cannot be changed here.")]})
    with transaction.atomic():
        locked = _locked(user)
        current = set(locked.groups.values_list("pk", flat=True))
        added = [group for group in add if group.pk not in current]
        removed = [group for group in remove if group.pk in current]
        if not added and not removed:
            return _synced(user, locked)
        locked.groups.add(*added)
        locked.groups.remove(*removed)
        audit.record(USER_GROUPS_CHANGED, actor=actor, target=locked,
                     detail={"added": sorted(g.name for g in added), "removed": sorted(g.name for g in removed)})
    return _synced(user, locked)


def user_password_set(*, actor, user: User, password: str | None) -> User:
    """Set `user`'s password (None: no usable password). Their API tokens are revoked with it.

    Anyone may set their own; an administrator may set a staff user's. Validation (strength, the
    old password) belongs to the form asking for it.
    """
    own = actor is not None and getattr(actor, "pk", None) == user.pk
    if not own:
        _require_user_admin(actor, action="user.password", user=user)
    elif not is_active_staff(actor):
        _deny(actor, action="user.password", user=user, reason="inactive",
                message=_("Only active staff change their password here."))
    with transaction.atomic():
        locked = _locked(user)
        if password:
            locked.set_password(password)
        else:
            locked.set_unusable_password()
        locked.save(update_fields=["password"])
        revoked = api_tokens_delete(locked)
        audit.record(USER_PASSWORD_SET, actor=actor, target=locked,
                     detail={"own": own, "usable": bool(password), "tokens_revoked": revoked})
        if revoked:
            audit.record(API_TOKENS_REVOKED, actor=actor, target=locked,
                         detail={"reason": "password_set", "count": revoked})
    user.password = locked.password
    return _synced(user, locked)


def user_active_set(*, actor, user: User, active: bool) -> User:
    """Activate or deactivate a staff user. Deactivating ends their sessions (Django refuses inactive
    users on every request) and revokes their API tokens."""
    _require_user_admin(actor, action="user.activate" if active else "user.deactivate", user=user)
    with transaction.atomic():
        locked = _locked(user)
        if locked.is_active == active:
            return _synced(user, locked)
        locked.is_active = active
        locked.save(update_fields=["is_active"])
        revoked = 0 if active else api_tokens_delete(locked)
        audit.record(USER_ACTIVATED if active else USER_DEACTIVATED, actor=actor, target=locked,
                     detail={"tokens_revoked": revoked} if not active else {})
        if revoked:
            audit.record(API_TOKENS_REVOKED, actor=actor, target=locked,
                         detail={"reason": "deactivated", "count": revoked})
    return _synced(user, locked)


# --- API tokens -------------------------------------------------------------------------------------
#
# A token is a random key given to the client once; the database keeps its SHA-256 only. Tokens
# expire API_TOKEN_TTL_SECONDS after they are issued, and are deleted when the password is set or
# the user is deactivated or disabled. Every issue ("API token sign-in") and revocation is audited.


def api_token_issue(*, user: User) -> str:
    """A new token for `user` (already authenticated by the caller); returns the key, never stored."""
    if not is_active_staff(user):
        raise PermissionDenied(_("API tokens are for active staff only."))
    now = timezone.now()
    key = secrets.token_urlsafe(32)
    with transaction.atomic():
        ApiToken.objects.filter(user_id=user.pk, expires_at__lte=now).delete()
        token = ApiToken.objects.create(user=user, key_sha256=ApiToken.digest(key), created_at=now,
                                        expires_at=now + dt.timedelta(seconds=settings.API_TOKEN_TTL_SECONDS))
        audit.record(API_SIGNED_IN, actor=user, target=user,
                     detail={"token": token.pk, "expires_at": token.expires_at.isoformat()})
    return key


def api_tokens_delete(user: User) -> int:
    """Delete every API token of `user`, unaudited: the caller records why (and the count)."""
    deleted, _by_model = ApiToken.objects.filter(user_id=user.pk).delete()
    return deleted


def api_tokens_revoke(*, actor, user: User, reason: str = "revoked") -> int:
    """Revoke every API token of `user`: their own, or an administrator's decision. Returns how many."""
    if actor is None or getattr(actor, "pk", None) != user.pk:
        _require_user_admin(actor, action="user.tokens", user=user)
    with transaction.atomic():
        revoked = api_tokens_delete(user)
        if revoked:
            audit.record(API_TOKENS_REVOKED, actor=actor, target=user, detail={"reason": reason, "count": revoked})
    return revoked


LANGUAGE_CODES = tuple(code for code, _name in settings.LANGUAGES)


def user_language_set(*, user, language: str) -> str:
    """Remember the person's interface language. Returns the language kept (unknown codes are ignored)."""
    if language not in LANGUAGE_CODES:
        return getattr(user, "preferred_language", settings.LANGUAGE_CODE)
    if getattr(user, "is_authenticated", False) and user.preferred_language != language:
        User.objects.filter(pk=user.pk).update(preferred_language=language)
        user.preferred_language = language
    return language


# --- staff sign-in limits --------------------------------------------------------------------------


def staff_sign_in_check(*, request, username: str, via: str) -> None:
    """Raise TooManyAttempts (429) while this user name or address must wait; audited."""
    try:
        STAFF_SIGN_IN.check(request, username)
    except TooManyAttempts:
        _staff_sign_in_refused(username=username, via=via, reason="locked")
        raise


def staff_sign_in_failed(*, request, username: str, via: str) -> None:
    """Count a refused staff sign-in (web form or API) and audit it, and the lock it may cause
    (`locks`: which of the address, the (address, name) pair and the name; see signin_limits)."""
    _staff_sign_in_refused(username=username, via=via, reason="credentials")
    if lock := STAFF_SIGN_IN.failed(request, username):
        audit.record("staff.sign_in_locked", actor=None, outcome="denied", target_type="accounts.user",
                     target_label=username[:200],
                     detail={"username": username[:150], "via": via, "seconds": lock.seconds,
                             "locks": list(lock.scopes)})


def _staff_sign_in_refused(*, username: str, via: str, reason: str) -> None:
    audit.record("web.sign_in_failed" if via == "web" else "api.sign_in_failed", actor=None, outcome="denied",
                 target_type="accounts.user", target_label=username[:200],
                 detail={"username": username[:150], "reason": reason})


def staff_sign_in_succeeded(*, request, username: str) -> None:
    STAFF_SIGN_IN.succeeded(request, username)
