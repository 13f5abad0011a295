"""Portal accounts of customer contacts: invitations, activation, disable/enable, portal sign-in and out.

A customer's contact gets into the portal by invitation: staff invite the contact, the contact
follows a single-use link that expires, sets a password and is signed in. Staff may disable the
account at any time (sessions end at once: Django refuses inactive users on every request).
Wrong passwords are counted per account; too many in a row lock it for a while. Failures from
one address are also counted (in the cache), so guessing across many e-mails is slowed down too
(backend.accounts.signin_limits, shared with the staff sign-ins).

The portal user is a row of accounts' User (role portal), created through accounts' user_row_insert;
its API tokens go with accounts' api_tokens_delete when the account is disabled.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from backend.access.policy import Action
from backend.access.services import require
from backend.accounts.audit_events import API_TOKENS_REVOKED
from backend.accounts.models import Role, User
from backend.accounts.services import api_tokens_delete, user_row_insert
from backend.accounts.signin_limits import PORTAL_SIGN_IN, limited_address, locked_error
from backend.audit import services as audit
from backend.common.errors import Conflict, Gone, InvalidInput, NotFound, SignInUnavailable
from backend.crm.models import Contact
from backend.sharing.models import PortalAccount, PortalInvitation


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
    require(actor=actor, action=Action.CHANGE, obj=contact.customer)
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
            user = user_row_insert(username=_portal_username(email), password=None, role=Role.PORTAL, department=None,
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
        subject = header_safe(render_to_string("sharing/portal_invitation_subject.txt", context))
        body = render_to_string("sharing/portal_invitation.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [account.user.email])


def _invitation_for(token: str, *, lock: bool = False, reset: bool = False) -> PortalInvitation:
    """The invitation a link stands for; NotFound for an unknown token, Gone when it can no longer be used.

    A password reset link is a PortalInvitation its account's own user asked for (created_by is the
    portal user; staff create invitations): each kind of link works only on its own page (`reset`).
    """
    queryset = PortalInvitation.objects.select_related("account__user", "account__customer", "account__contact")
    if lock:
        queryset = queryset.select_for_update()
    invitation = queryset.filter(token_sha256=_token_digest(token or "")).first()
    if invitation is None or (invitation.created_by_id == invitation.account.user_id) != reset:
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


def _check_new_password(user: User, password: str, password_again: str) -> None:
    """InvalidInput naming the field when the two entries differ or Django's validators refuse it."""
    errors: dict[str, list[str]] = {}
    if password != password_again:
        errors["password_again"] = ["The two passwords differ."]
    else:
        try:
            validate_password(password, user=user)
        except ValidationError as exc:
            errors["password"] = list(exc.messages)
    if errors:
        raise InvalidInput("Choose another password.", fields=errors)


def portal_invitation_accept(*, request, token: str, password: str, password_again: str) -> User:
    """Set the password from an invitation link, activate the account and sign the person in."""
    invitation = portal_invitation_check(token=token)
    _check_new_password(invitation.account.user, password, password_again)
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
        account.last_signin_at = now
        account.save(update_fields=["activated_at", "last_signin_at"])
        audit.record("portal.account.activated", actor=user, target=user, customer_id=account.customer_id,
                     detail={"contact": account.contact_id})
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    audit.record("portal.signed_in", actor=user, target=user, customer_id=account.customer_id,
                 detail={"via": "invitation"})
    return user


def portal_account_disable(*, actor, account: PortalAccount) -> PortalAccount:
    require(actor=actor, action=Action.CHANGE, obj=account.customer)
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
        revoked = api_tokens_delete(account.user)
        audit.record("portal.account.disabled", actor=actor, target=account.user, customer_id=account.customer_id,
                     detail={"contact": account.contact_id})
        if revoked:
            audit.record(API_TOKENS_REVOKED, actor=actor, target=account.user, customer_id=account.customer_id,
                         detail={"reason": "portal_disabled", "count": revoked})
    return account


def portal_account_enable(*, actor, account: PortalAccount) -> PortalAccount:
    """Undo a disable. An account that never set a password needs a new invitation afterwards."""
    require(actor=actor, action=Action.CHANGE, obj=account.customer)
    with transaction.atomic():
        account = PortalAccount.objects.select_for_update().select_related("user").get(pk=account.pk)
        if account.disabled_at is None:
            return account
        account.disabled_at, account.disabled_by = None, None
        account.save(update_fields=["disabled_at", "disabled_by"])
        if account.activated_at is not None:
            account.user.is_active = True
            account.user.save(update_fields=["is_active"])
        audit.record("portal.account.enabled", actor=actor, target=account.user, customer_id=account.customer_id,
                     detail={"contact": account.contact_id})
    return account


def _refuse(*, email: str, account: PortalAccount | None, reason: str) -> None:
    audit.record("portal.sign_in_failed", actor=None, outcome="denied",
                 target=account.user if account else None, target_type=None if account else "accounts.user",
                 target_label=None if account else email[:200],
                 customer_id=account.customer_id if account else None,
                 detail={"email": email[:254], "reason": reason})


def portal_sign_in(*, request, email: str, password: str) -> User:
    """Sign a portal user in by e-mail and password, or raise.

    InvalidInput for a wrong e-mail or password (the same words either way, so e-mails are not
    revealed), TooManyAttempts (429) while the address, the (address, e-mail) pair or the e-mail
    must wait. Every refusal and every success is audited with the customer when it is known.

    The limits are the staff sign-in's three counts (signin_limits.PORTAL_SIGN_IN): per address,
    per (address, e-mail) with a lock that doubles, and a short back-off per e-mail that never
    applies where that e-mail signed in lately. So a stranger who types a customer's address five
    times locks out only themselves; the customer still signs in from their usual place.

    An e-mail address with no account costs and answers like one with an account: the password is
    hashed all the same (against a stand-in, as Django's ModelBackend does for unknown user names),
    and its failures go through the very same counts, which are kept per e-mail whether or not an
    account has it. Disabled and not yet activated accounts count their failures too, for the
    same reason.
    """
    email = (email or "").strip().lower()
    wrong = InvalidInput("The e-mail address or password is not right.", reason="credentials")
    account = (PortalAccount.objects.select_related("user").filter(user__email__iexact=email, user__role=Role.PORTAL)
               .first() if email else None)
    wait = PORTAL_SIGN_IN.wait(request, email)
    if wait > 0:
        reason = "address_limited" if PORTAL_SIGN_IN.address_blocked(request) else "locked"
        _refuse(email=email, account=account, reason=reason)
        raise locked_error(wait)
    if account is None:
        make_password(password or "")  # the hashing a known account's password check costs
        user, reason = None, "unknown_email"
    else:
        user = authenticate(request, username=account.user.username, password=password or "")
        reason = ("disabled" if account.disabled_at is not None
                  else "not_activated" if account.activated_at is None else "password")
    if user is None:
        with transaction.atomic():
            lock = PORTAL_SIGN_IN.failed(request, email)
            _refuse(email=email, account=account, reason=reason)
            if lock is not None:
                audit.record("portal.account.locked", actor=None, outcome="denied",
                             target=account.user if account else None,
                             target_type=None if account else "accounts.user",
                             target_label=None if account else email[:200],
                             customer_id=account.customer_id if account else None,
                             detail={"email": email[:254], "seconds": lock.seconds, "locks": list(lock.scopes)})
        if lock is not None and "pair" in lock.scopes:
            raise locked_error(lock.seconds)
        raise wrong
    PORTAL_SIGN_IN.succeeded(request, email)
    PortalAccount.objects.filter(pk=account.pk).update(last_signin_at=timezone.now())
    login(request, user)
    audit.record("portal.signed_in", actor=user, target=user, customer_id=account.customer_id)
    return user


def portal_sign_out(*, request) -> None:
    user = request.user
    if getattr(user, "is_authenticated", False):
        account = PortalAccount.objects.filter(user_id=user.pk).values_list("customer_id", flat=True).first()
        audit.record("portal.signed_out", actor=user, target=user, customer_id=account)
    logout(request)


# --- forgot password ------------------------------------------------------------------------------------
# A reset link is a PortalInvitation row the account's own user created (see _invitation_for): the same
# single-use, expiring, hashed token as an invitation, with PORTAL_PASSWORD_RESET_SECONDS to live.


def _reset_count(kind: str, value: str) -> int:
    """Count one reset request for `value` in the cache's current window; a cache that cannot be
    reached refuses (503) rather than send links without a count."""
    from django.core.cache import cache

    window = int(settings.PORTAL_PASSWORD_RESET_WINDOW_SECONDS)
    key = f"portal-reset:{kind}:{hashlib.sha256(value.encode('utf-8')).hexdigest()[:32]}"
    try:
        cache.add(key, 0, timeout=window)
        try:
            return int(cache.incr(key))
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=window)
            return 1
    except Exception as exc:  # noqa: BLE001 - each cache backend has errors of its own
        raise SignInUnavailable() from exc


def _reset_language(account: PortalAccount | None) -> str:
    """The contact's language (their portal user's), else the request's."""
    chosen = account.user.preferred_language if account is not None else ""
    return chosen or translation.get_language() or settings.LANGUAGE_CODE


def _reset_mail(*, account: PortalAccount | None, email: str, link: str, expires_at: dt.datetime,
                language: str) -> tuple[str, str]:
    from backend.common.text import header_safe

    with translation.override(language):
        context = {"name": account.contact.name if account else email, "link": link,
                   "customer": account.customer.name if account else "",
                   "expires_at": timezone.localtime(expires_at)}
        subject = header_safe(render_to_string("sharing/portal_password_reset_subject.txt", context))
        body = render_to_string("sharing/portal_password_reset.txt", context)
    return subject, body


def portal_password_reset_request(*, request, email: str, base_url: str | None = None) -> None:
    """Ask for a password reset link for `email`; it is e-mailed when an active portal account has it.

    The caller learns nothing either way: no account, a disabled or not yet activated one, and an
    e-mail that already had PORTAL_PASSWORD_RESET_MAX_PER_EMAIL links in this window all return
    alike, after the same work (a token made, the mail rendered, one audit row); only the audit
    trail says what happened. The one visible refusal is for the client's address: more than
    PORTAL_PASSWORD_RESET_MAX_PER_IP requests in the window raise TooManyAttempts (429), whatever
    the addresses asked for. A newer link withdraws the account's older unused ones.
    """
    email = (email or "").strip().lower()
    address = limited_address(request)
    window = int(settings.PORTAL_PASSWORD_RESET_WINDOW_SECONDS)
    account = (PortalAccount.objects.select_related("user", "contact", "customer")
               .filter(user__email__iexact=email, user__role=Role.PORTAL).first() if email else None)
    target = {"target": account.user} if account else {"target": None, "target_type": "accounts.user",
                                                       "target_label": email[:200]}
    customer_id = account.customer_id if account else None
    if _reset_count("address", address) > int(settings.PORTAL_PASSWORD_RESET_MAX_PER_IP):
        audit.record("portal.password_reset.requested", actor=None, outcome="denied", customer_id=customer_id,
                     detail={"email": email[:254], "result": "address_limited"}, **target)
        raise locked_error(window)
    too_many = _reset_count("email", email) > int(settings.PORTAL_PASSWORD_RESET_MAX_PER_EMAIL)
    usable = (account is not None and account.activated_at is not None and account.disabled_at is None
              and account.user.is_active)
    result = "limited" if too_many else "sent" if usable else (
        "no_account" if account is None else "disabled" if account.disabled_at is not None else "not_activated")
    now = timezone.now()
    token = secrets.token_urlsafe(32)
    expires_at = now + dt.timedelta(seconds=int(settings.PORTAL_PASSWORD_RESET_SECONDS))
    link = (base_url or settings.SITE_URL).rstrip("/") + reverse("portal:password_reset", args=[token])
    language = _reset_language(account)
    # rendered whatever the outcome, so an address without an account costs the same
    subject, body = _reset_mail(account=account, email=email, link=link, expires_at=expires_at, language=language)
    with transaction.atomic():
        if result == "sent":
            account = PortalAccount.objects.select_for_update().select_related("user").get(pk=account.pk)
            account.invitations.filter(used_at__isnull=True, withdrawn_at__isnull=True).update(withdrawn_at=now)
            PortalInvitation.objects.create(account=account, token_sha256=_token_digest(token),
                                            created_by=account.user, created_at=now, expires_at=expires_at)
            recipient = account.user.email
            from backend.sharing.tasks import portal_password_reset_mail

            # queued: the answer does not wait for the mail server (see the task)
            transaction.on_commit(lambda: portal_password_reset_mail.delay(subject, body, recipient))
        audit.record("portal.password_reset.requested", actor=None, customer_id=customer_id,
                     outcome="success" if result == "sent" else "denied",
                     detail={"email": email[:254], "result": result, "language": language,
                             **({"expires_at": expires_at.isoformat()} if result == "sent" else {})},
                     **target)


def portal_password_reset_check(*, token: str) -> PortalInvitation:
    """The usable reset link behind `token` (for showing the new-password page); refusals are audited."""
    try:
        return _invitation_for(token, reset=True)
    except Gone as exc:
        invitation = PortalInvitation.objects.select_related("account").get(token_sha256=_token_digest(token))
        audit.record("portal.password_reset.refused", actor=None, outcome="denied", target=invitation.account.user,
                     customer_id=invitation.account.customer_id, detail={"reason": exc.extra["reason"]})
        raise


def portal_password_reset_complete(*, request, token: str, password: str, password_again: str) -> User:
    """Set a new password from a reset link (once), withdraw the account's other links and sign the
    person in. Their other sessions end: Django ties a session to the password it was opened with."""
    invitation = portal_password_reset_check(token=token)
    _check_new_password(invitation.account.user, password, password_again)
    with transaction.atomic():
        invitation = _invitation_for(token, lock=True, reset=True)  # a second tab may have used it meanwhile
        account = invitation.account
        now = timezone.now()
        user = account.user
        user.set_password(password)
        user.save(update_fields=["password"])
        invitation.used_at = now
        invitation.save(update_fields=["used_at"])
        account.invitations.filter(used_at__isnull=True, withdrawn_at__isnull=True).update(withdrawn_at=now)
        account.last_signin_at = now
        account.save(update_fields=["last_signin_at"])
        audit.record("portal.password_reset.completed", actor=user, target=user, customer_id=account.customer_id,
                     detail={"contact": account.contact_id})
    PORTAL_SIGN_IN.succeeded(request, user.email)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    audit.record("portal.signed_in", actor=user, target=user, customer_id=account.customer_id,
                 detail={"via": "password_reset"})
    return user
