"""Writes for users, departments, groups and API tokens, and the portal accounts of customer contacts."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from backend.access.admin_policy import ADMIN_SITE_ROLES
from backend.access.policy import Action, is_active_staff
from backend.access.services import require as require_object
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
from backend.accounts.models import ApiToken, Department, PortalAccount, PortalInvitation, Role, User
from backend.accounts.signin_limits import ABSENT_PORTAL_ACCOUNT, PORTAL_SIGN_IN, STAFF_SIGN_IN, locked_error
from backend.audit import services as audit
from backend.common.errors import Conflict, Gone, InvalidInput, NotFound, PermissionDenied, TooManyAttempts
from backend.crm.models import Contact


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


def _is_system(actor) -> bool:
    return actor is None


def _deny(actor, *, action: str, user: User | None = None, reason: str, message: str) -> None:
    """Record the refusal (in its own transaction when the caller has none) and raise PermissionDenied."""
    audit.record(ACCOUNTS_CHANGE_DENIED, actor=actor if getattr(actor, "is_authenticated", False) else None,
                 target=user, target_type=None if user else "accounts.user", outcome="denied",
                 detail={"action": action, "reason": reason})
    raise PermissionDenied(message)


def _require_user_admin(actor, *, action: str, user: User | None = None) -> None:
    """Only the system or an active administrator; never on oneself; never on a portal user."""
    if _is_system(actor):
        return
    if not (is_active_staff(actor) and actor.role == Role.ADMIN):
        _deny(actor, action=action, user=user, reason="not_admin",
                message="Only administrators manage users and departments.")
    if user is not None and user.pk == actor.pk:
        _deny(actor, action=action, user=user, reason="self",
                message="Nobody may change their own role, department, groups or active state.")
    if user is not None and user.role == Role.PORTAL:
        _deny(actor, action=action, user=user, reason="portal_user",
                message="Portal users are managed from their customer's page (invite, disable, enable).")


def _is_staff_for(role: str) -> bool:
    """Django's is_staff kept in step with the role (the admin site itself decides by role)."""
    return role in ADMIN_SITE_ROLES


def department_create(*, actor, code: str, name: str) -> Department:
    _require_user_admin(actor, action="department.create")
    if Department.objects.filter(code=code).exists():
        raise Conflict("A department with this code exists already.", fields={"code": ["This code is taken."]})
    with transaction.atomic():
        group, _ = Group.objects.get_or_create(name=f"dept:{code}")
        department = Department.objects.create(code=code, name=name, group=group)
        audit.record(DEPARTMENT_CREATED, actor=actor, target=department, detail={"code": code, "name": name})
    return department


def _user_insert(*, username: str, password: str | None, role: str, department: Department | None,
                 display_name: str, email: str, preferred_language: str, is_active: bool = True) -> User:
    """The row and its department group; the caller checks and audits."""
    if User.objects.filter(username=username).exists():
        raise Conflict("A user with this user name exists already.", fields={"username": ["This name is taken."]})
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
        raise InvalidInput("Unknown role.", fields={"role": ["Choose one of the roles."]})
    if role == Role.PORTAL:
        raise InvalidInput("Portal users are invited from their customer's page.",
                           fields={"role": ["Choose a staff role."]})


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
        user = _user_insert(username=username, password=password, role=role, department=department,
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
        raise InvalidInput("A department's group follows the department: move the user instead.",
                           fields={"groups": ["Department groups cannot be changed here."]})
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
                message="Only active staff change their password here.")
    with transaction.atomic():
        locked = _locked(user)
        if password:
            locked.set_password(password)
        else:
            locked.set_unusable_password()
        locked.save(update_fields=["password"])
        revoked = _api_tokens_delete(locked)
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
        revoked = 0 if active else _api_tokens_delete(locked)
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
        raise PermissionDenied("API tokens are for active staff only.")
    now = timezone.now()
    key = secrets.token_urlsafe(32)
    with transaction.atomic():
        ApiToken.objects.filter(user_id=user.pk, expires_at__lte=now).delete()
        token = ApiToken.objects.create(user=user, key_sha256=ApiToken.digest(key), created_at=now,
                                        expires_at=now + dt.timedelta(seconds=settings.API_TOKEN_TTL_SECONDS))
        audit.record(API_SIGNED_IN, actor=user, target=user,
                     detail={"token": token.pk, "expires_at": token.expires_at.isoformat()})
    return key


def _api_tokens_delete(user: User) -> int:
    deleted, _ = ApiToken.objects.filter(user_id=user.pk).delete()
    return deleted


def api_tokens_revoke(*, actor, user: User, reason: str = "revoked") -> int:
    """Revoke every API token of `user`: their own, or an administrator's decision. Returns how many."""
    if actor is None or getattr(actor, "pk", None) != user.pk:
        _require_user_admin(actor, action="user.tokens", user=user)
    with transaction.atomic():
        revoked = _api_tokens_delete(user)
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


# --- portal accounts -----------------------------------------------------------------------------
#
# A customer's contact gets into the portal by invitation: staff invite the contact, the contact
# follows a single-use link that expires, sets a password and is signed in. Staff may disable the
# account at any time (sessions end at once: Django refuses inactive users on every request).
# Wrong passwords are counted per account; too many in a row lock it for a while. Failures from
# one address are also counted (in the cache), so guessing across many e-mails is slowed down too.


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _portal_username(email: str) -> str:
    """Portal users are known by their e-mail address: it is what they sign in with, and what the
    audit trail shows as the actor (staff user names never contain "@")."""
    return email[:150]


@dataclass(frozen=True)
class PortalInvite:
    invitation: PortalInvitation
    link: str


def portal_invite(*, actor, contact: Contact, base_url: str | None = None) -> PortalInvite:
    """Invite `contact` to the portal: create (or reuse) their account and e-mail a fresh link.

    A newer invitation withdraws the older ones. An active account cannot be invited again;
    a disabled one must be enabled instead.
    """
    require_object(actor=actor, action=Action.CHANGE, obj=contact.customer, denied_event="crm.access.denied")
    email = (contact.email or "").strip().lower()
    if not email:
        raise InvalidInput("The contact has no e-mail address; add one before inviting them.",
                           fields={"email": ["An e-mail address is required for a portal invitation."]})
    now = timezone.now()
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        account = (PortalAccount.objects.select_for_update().select_related("user")
                   .filter(contact=contact).first())
        if account is not None and account.disabled_at is not None:
            raise Conflict("This portal user is disabled; enable them instead of inviting them again.")
        if account is not None and account.activated_at is not None:
            raise Conflict("This contact already uses the portal.")
        clash = User.objects.filter(email__iexact=email, role=Role.PORTAL).exclude(
            portal_account__contact=contact)
        if clash.exists():
            raise Conflict("Another portal user already signs in with this e-mail address.")
        if account is None:
            if User.objects.filter(username=_portal_username(email)).exists():
                raise Conflict("Another user already has this e-mail address as their user name.")
            user = _user_insert(username=_portal_username(email), password=None, role=Role.PORTAL, department=None,
                                email=email, display_name=contact.name, is_active=False,
                                preferred_language=getattr(actor, "preferred_language", "en"))
            account = PortalAccount.objects.create(user=user, contact=contact, customer_id=contact.customer_id,
                                                   invited_by=actor, invited_at=now)
        else:
            if account.user.email != email:
                account.user.email, account.user.username = email, _portal_username(email)
                account.user.save(update_fields=["email", "username"])
            account.invited_by, account.invited_at = actor, now
            account.save(update_fields=["invited_by", "invited_at"])
        account.invitations.filter(used_at__isnull=True, withdrawn_at__isnull=True).update(withdrawn_at=now)
        invitation = PortalInvitation.objects.create(
            account=account, token_sha256=_token_digest(token), created_by=actor, created_at=now,
            expires_at=now + dt.timedelta(seconds=settings.PORTAL_INVITATION_SECONDS),
        )
        audit.record("portal.account.invited", actor=actor, target=account.user, customer_id=contact.customer_id,
                     detail={"contact": contact.pk, "email": email, "expires_at": invitation.expires_at.isoformat()})
        link = (base_url or settings.SITE_URL).rstrip("/") + reverse("portal:invitation", args=[token])
        transaction.on_commit(lambda: _send_invitation(account=account, link=link, expires_at=invitation.expires_at))
    return PortalInvite(invitation=invitation, link=link)


def _send_invitation(*, account: PortalAccount, link: str, expires_at: dt.datetime) -> None:
    from backend.common.text import header_safe

    language = account.user.preferred_language or settings.LANGUAGE_CODE
    with translation.override(language):
        context = {"name": account.contact.name, "customer": account.customer.name, "link": link,
                   "expires_at": timezone.localtime(expires_at)}
        # One clean line whatever the names hold: a line break in a header would be refused (or worse).
        subject = header_safe(render_to_string("accounts/portal_invitation_subject.txt", context))
        body = render_to_string("accounts/portal_invitation.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [account.user.email])


def _invitation_for(token: str, *, lock: bool = False) -> PortalInvitation:
    """The invitation a link stands for; NotFound for an unknown token, Gone when it can no longer be used."""
    queryset = PortalInvitation.objects.select_related("account__user", "account__customer", "account__contact")
    if lock:
        queryset = queryset.select_for_update()
    invitation = queryset.filter(token_sha256=_token_digest(token or "")).first()
    if invitation is None:
        raise NotFound("This invitation link is not valid.")
    reason = None
    if invitation.used_at is not None:
        reason = "used"
    elif invitation.withdrawn_at is not None or invitation.account.disabled_at is not None:
        reason = "withdrawn"
    elif invitation.expires_at <= timezone.now():
        reason = "expired"
    if reason is not None:
        raise Gone(f"This invitation link has been {reason}.", reason=reason)
    return invitation


def portal_invitation_check(*, token: str) -> PortalInvitation:
    """The usable invitation behind `token` (for showing the set-password page); refusals are audited."""
    try:
        return _invitation_for(token)
    except Gone as exc:
        invitation = PortalInvitation.objects.select_related("account").get(token_sha256=_token_digest(token))
        audit.record("portal.invitation.refused", actor=None, outcome="denied", target=invitation.account.user,
                     customer_id=invitation.account.customer_id, detail={"reason": exc.extra["reason"]})
        raise


def portal_invitation_accept(*, request, token: str, password: str, password_again: str) -> User:
    """Set the password from an invitation link, activate the account and sign the person in."""
    invitation = portal_invitation_check(token=token)
    errors: dict[str, list[str]] = {}
    if password != password_again:
        errors["password_again"] = ["The two passwords differ."]
    else:
        try:
            validate_password(password, user=invitation.account.user)
        except ValidationError as exc:
            errors["password"] = list(exc.messages)
    if errors:
        raise InvalidInput("Choose another password.", fields=errors)
    with transaction.atomic():
        invitation = _invitation_for(token, lock=True)  # a second tab may have used it meanwhile
        account = invitation.account
        now = timezone.now()
        user = account.user
        user.set_password(password)
        user.is_active = True
        user.save(update_fields=["password", "is_active"])
        invitation.used_at = now
        invitation.save(update_fields=["used_at"])
        account.activated_at = account.activated_at or now
        account.failed_signins, account.locked_until, account.last_signin_at = 0, None, now
        account.save(update_fields=["activated_at", "failed_signins", "locked_until", "last_signin_at"])
        audit.record("portal.account.activated", actor=user, target=user, customer_id=account.customer_id,
                     detail={"contact": account.contact_id})
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    audit.record("portal.signed_in", actor=user, target=user, customer_id=account.customer_id,
                 detail={"via": "invitation"})
    return user


def portal_account_disable(*, actor, account: PortalAccount) -> PortalAccount:
    require_object(actor=actor, action=Action.CHANGE, obj=account.customer, denied_event="crm.access.denied")
    with transaction.atomic():
        account = PortalAccount.objects.select_for_update().select_related("user").get(pk=account.pk)
        if account.disabled_at is not None:
            return account
        now = timezone.now()
        account.disabled_at, account.disabled_by = now, actor
        account.save(update_fields=["disabled_at", "disabled_by"])
        account.user.is_active = False
        account.user.save(update_fields=["is_active"])
        account.invitations.filter(used_at__isnull=True, withdrawn_at__isnull=True).update(withdrawn_at=now)
        revoked = _api_tokens_delete(account.user)
        audit.record("portal.account.disabled", actor=actor, target=account.user, customer_id=account.customer_id,
                     detail={"contact": account.contact_id})
        if revoked:
            audit.record(API_TOKENS_REVOKED, actor=actor, target=account.user, customer_id=account.customer_id,
                         detail={"reason": "portal_disabled", "count": revoked})
    return account


def portal_account_enable(*, actor, account: PortalAccount) -> PortalAccount:
    """Undo a disable. An account that never set a password needs a new invitation afterwards."""
    require_object(actor=actor, action=Action.CHANGE, obj=account.customer, denied_event="crm.access.denied")
    with transaction.atomic():
        account = PortalAccount.objects.select_for_update().select_related("user").get(pk=account.pk)
        if account.disabled_at is None:
            return account
        account.disabled_at, account.disabled_by = None, None
        account.failed_signins, account.locked_until = 0, None
        account.save(update_fields=["disabled_at", "disabled_by", "failed_signins", "locked_until"])
        if account.activated_at is not None:
            account.user.is_active = True
            account.user.save(update_fields=["is_active"])
        audit.record("portal.account.enabled", actor=actor, target=account.user, customer_id=account.customer_id,
                     detail={"contact": account.contact_id})
    return account


def _portal_sign_in_without_account(*, request, email: str, password: str | None) -> None:
    """The refusal of an e-mail address with no portal account, as costly and as locking as a known
    account's (see portal_sign_in); raises TooManyAttempts when it is, or becomes, locked."""
    wait = ABSENT_PORTAL_ACCOUNT.wait(email)
    if wait:
        _refuse(request=request, email=email, account=None, reason="locked")
        raise locked_error(wait)
    make_password(password or "")  # the hashing a known account's password check costs
    _refuse(request=request, email=email, account=None, reason="unknown_email")
    if ABSENT_PORTAL_ACCOUNT.failed(email):
        raise locked_error(settings.PORTAL_LOCKOUT_SECONDS)


def _refuse(*, request, email: str, account: PortalAccount | None, reason: str) -> None:
    PORTAL_SIGN_IN.failed_address(request)
    audit.record("portal.sign_in_failed", actor=None, outcome="denied",
                 target=account.user if account else None, target_type=None if account else "accounts.user",
                 target_label=None if account else email[:200],
                 customer_id=account.customer_id if account else None,
                 detail={"email": email[:254], "reason": reason})


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


def portal_sign_in(*, request, email: str, password: str) -> User:
    """Sign a portal user in by e-mail and password, or raise.

    InvalidInput for a wrong e-mail or password (the same words either way, so e-mails are not
    revealed), TooManyAttempts (429) while the account or the address is locked. Every refusal
    and every success is audited with the customer when it is known.

    An e-mail address with no account costs and answers like one with an account: the password is
    hashed all the same (against a stand-in, as Django's ModelBackend does for unknown user names),
    and its failures are counted and locked like an account's (PORTAL_SIGNIN_MAX_FAILURES, then
    PORTAL_LOCKOUT_SECONDS), in the cache instead of the database (signin_limits.ABSENT_PORTAL_ACCOUNT).
    Disabled and not yet activated accounts count their failures too, for the same reason.
    """
    email = (email or "").strip().lower()
    wrong = InvalidInput("The e-mail address or password is not right.", reason="credentials")
    if PORTAL_SIGN_IN.address_blocked(request):
        audit.record("portal.sign_in_failed", actor=None, outcome="denied", target_type="accounts.user",
                     target_label=email[:200], detail={"email": email[:254], "reason": "address_limited"})
        raise locked_error(PORTAL_SIGN_IN.address_wait(request))
    account = (PortalAccount.objects.select_related("user").filter(user__email__iexact=email, user__role=Role.PORTAL)
               .first() if email else None)
    if account is None:
        _portal_sign_in_without_account(request=request, email=email, password=password)
        raise wrong
    now = timezone.now()
    if account.locked_until is not None and account.locked_until > now:
        _refuse(request=request, email=email, account=account, reason="locked")
        raise locked_error((account.locked_until - now).total_seconds())
    user = authenticate(request, username=account.user.username, password=password or "")
    if user is None:
        reason = ("disabled" if account.disabled_at is not None
                  else "not_activated" if account.activated_at is None else "password")
        with transaction.atomic():
            locked_account = PortalAccount.objects.select_for_update().get(pk=account.pk)
            locked_account.failed_signins += 1
            lock = locked_account.failed_signins >= settings.PORTAL_SIGNIN_MAX_FAILURES
            if lock:
                locked_account.locked_until = now + dt.timedelta(seconds=settings.PORTAL_LOCKOUT_SECONDS)
                locked_account.failed_signins = 0
            locked_account.save(update_fields=["failed_signins", "locked_until"])
            _refuse(request=request, email=email, account=account, reason=reason)
            if lock:
                audit.record("portal.account.locked", actor=None, outcome="denied", target=account.user,
                             customer_id=account.customer_id,
                             detail={"until": locked_account.locked_until.isoformat()})
        if lock:
            raise locked_error(settings.PORTAL_LOCKOUT_SECONDS)
        raise wrong
    PortalAccount.objects.filter(pk=account.pk).update(failed_signins=0, locked_until=None, last_signin_at=now)
    login(request, user)
    audit.record("portal.signed_in", actor=user, target=user, customer_id=account.customer_id)
    return user


def portal_sign_out(*, request) -> None:
    user = request.user
    if getattr(user, "is_authenticated", False):
        account = PortalAccount.objects.filter(user_id=user.pk).values_list("customer_id", flat=True).first()
        audit.record("portal.signed_out", actor=user, target=user, customer_id=account)
    logout(request)
