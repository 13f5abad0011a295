"""Portal accounts: invitations, accepting them, disabling, and signing in with lockout — all audited."""

from __future__ import annotations

import datetime as dt
import itertools
import re
import time

import pytest
from django.contrib.auth import get_user
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.middleware import SessionMiddleware
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from backend.accounts.models import ApiToken, Role, User
from backend.audit.models import AuditEvent
from backend.common.errors import Conflict, Gone, InvalidInput, NotFound, PermissionDenied, TooManyAttempts
from backend.crm.models import Contact
from backend.sharing.models import PortalAccount, PortalInvitation
from backend.sharing.portal_accounts import (
    portal_account_disable,
    portal_account_enable,
    portal_invitation_accept,
    portal_invitation_check,
    portal_invite,
    portal_sign_in,
    portal_sign_out,
)
from tests import factories
from tests.crm.factories import CustomerFactory
from tests.portal_factories import PORTAL_PASSWORD, portal_user

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Blue-lathe-spindle-77"
_addresses = itertools.count(1)


def a_request(path="/portal/signin/", ip: str | None = None):
    """A request with a session, from its own address (so per-address limits never leak between tests)."""
    request = RequestFactory().post(path, REMOTE_ADDR=ip or f"10.9.{next(_addresses) // 250}.{next(_addresses) % 250}")
    SessionMiddleware(lambda r: None).process_request(request)
    request.user = AnonymousUser()
    return request


def events(event_type, **filters):
    return AuditEvent.objects.filter(event_type=event_type, **filters).order_by("id")


@pytest.fixture
def world():
    owner = factories.UserFactory(username="owner")
    customer = CustomerFactory(name="上海华东精密", owner=owner)
    contact = Contact.objects.create(customer=customer, name="Li Na", email="Li.Na@Example.com")
    return {"owner": owner, "customer": customer, "contact": contact,
            "outsider": factories.UserFactory(username="outsider")}


@pytest.fixture
def invite(world, mailoutbox, django_capture_on_commit_callbacks):
    """Invite the contact as the customer's owner; returns (result, token) after the mail has gone out."""

    def go(contact=None, actor=None):
        with django_capture_on_commit_callbacks(execute=True):
            result = portal_invite(actor=actor or world["owner"], contact=contact or world["contact"],
                                   base_url="https://dossier.example.com")
        token = re.search(r"/portal/invitation/([^/]+)/", result.link).group(1)
        return result, token

    return go


# --- invitations ---------------------------------------------------------------------------------


def test_an_invitation_mails_a_single_use_link_and_creates_an_inactive_account(world, invite, mailoutbox):
    # when the owner invites the contact
    result, token = invite()
    # then one e-mail with the link goes to the contact's address (lower-cased)
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["li.na@example.com"]
    assert result.link == "https://dossier.example.com" + reverse("portal:invitation", args=[token])
    assert result.link in mail.body
    assert "上海华东精密" in mail.body
    # and the account exists but cannot be used yet; only the token's digest is stored
    account = PortalAccount.objects.select_related("user").get(contact=world["contact"])
    assert account.customer_id == world["customer"].pk and account.state == "invited"
    assert account.user.role == Role.PORTAL and not account.user.is_active
    assert not account.user.has_usable_password()
    assert token not in PortalInvitation.objects.values_list("token_sha256", flat=True)
    assert events("portal.account.invited", customer_id=world["customer"].pk).count() == 1


def test_accepting_sets_the_password_activates_and_signs_in(world, invite):
    # given an invitation
    _, token = invite()
    assert portal_invitation_check(token=token).account.contact_id == world["contact"].pk
    request = a_request(reverse("portal:invitation", args=[token]))
    # when the contact sets a password through it
    user = portal_invitation_accept(request=request, token=token, password=NEW_PASSWORD, password_again=NEW_PASSWORD)
    # then the account is active, the password works, and the person is signed in
    user.refresh_from_db()
    assert user.is_active and user.check_password(NEW_PASSWORD)
    assert PortalAccount.objects.get(user=user).state == "active"
    assert request.session["_auth_user_id"] == str(user.pk)
    customer_id = world["customer"].pk
    assert events("portal.account.activated", customer_id=customer_id, actor_id=user.pk).count() == 1
    assert events("portal.signed_in", customer_id=customer_id, actor_id=user.pk).count() == 1


def test_an_invitation_link_works_once(world, invite):
    # given an accepted invitation
    _, token = invite()
    portal_invitation_accept(request=a_request(), token=token, password=NEW_PASSWORD, password_again=NEW_PASSWORD)
    # when the link is opened or used again / then it is gone (410), and the refusal is audited
    with pytest.raises(Gone) as opened:
        portal_invitation_check(token=token)
    with pytest.raises(Gone):
        portal_invitation_accept(request=a_request(), token=token, password="Other-pass-9911",
                                 password_again="Other-pass-9911")
    assert opened.value.status_code == 410 and opened.value.extra["reason"] == "used"
    refused = events("portal.invitation.refused", customer_id=world["customer"].pk)
    assert refused.count() == 2 and refused.first().outcome == "denied"
    # and the first password still stands
    assert User.objects.get(portal_account__contact=world["contact"]).check_password(NEW_PASSWORD)


def test_an_expired_invitation_is_gone(world, invite, settings):
    # given an invitation that expires after 60 seconds, and 61 seconds later
    settings.PORTAL_INVITATION_SECONDS = 60
    result, token = invite()
    assert result.invitation.expires_at - result.invitation.created_at == dt.timedelta(seconds=60)
    PortalInvitation.objects.filter(pk=result.invitation.pk).update(
        created_at=timezone.now() - dt.timedelta(seconds=61), expires_at=timezone.now() - dt.timedelta(seconds=1))
    # then the link is gone and accepting it changes nothing
    with pytest.raises(Gone) as exc:
        portal_invitation_accept(request=a_request(), token=token, password=NEW_PASSWORD,
                                 password_again=NEW_PASSWORD)
    assert exc.value.extra["reason"] == "expired"
    assert PortalAccount.objects.get(contact=world["contact"]).state == "invited"


def test_a_new_invitation_withdraws_the_old_link(world, invite, mailoutbox):
    # given two invitations to the same contact
    _, first = invite()
    _, second = invite()
    # then the first link is withdrawn and the second one works
    with pytest.raises(Gone) as exc:
        portal_invitation_check(token=first)
    assert exc.value.extra["reason"] == "withdrawn"
    assert portal_invitation_check(token=second)
    assert len(mailoutbox) == 2
    assert PortalAccount.objects.filter(contact=world["contact"]).count() == 1


def test_unknown_tokens_are_not_found(world, invite):
    invite()
    for token in ("", "nope", "x" * 43):
        with pytest.raises(NotFound):
            portal_invitation_check(token=token)


def test_passwords_must_match_and_pass_the_validators(world, invite):
    # given an invitation
    _, token = invite()
    # when the two passwords differ, or the password is short / common
    with pytest.raises(InvalidInput) as differ:
        portal_invitation_accept(request=a_request(), token=token, password=NEW_PASSWORD, password_again="other")
    with pytest.raises(InvalidInput) as weak:
        portal_invitation_accept(request=a_request(), token=token, password="password", password_again="password")
    # then field errors name the problem, nothing is activated, and the link still works
    assert "password_again" in differ.value.extra["fields"]
    assert "password" in weak.value.extra["fields"]
    assert PortalAccount.objects.get(contact=world["contact"]).state == "invited"
    assert portal_invitation_check(token=token)


def test_only_whoever_may_change_the_customer_may_invite(world, mailoutbox, django_capture_on_commit_callbacks):
    # when an unrelated sales rep invites the contact
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(PermissionDenied):
        portal_invite(actor=world["outsider"], contact=world["contact"])
    # then nothing is created or sent, and the denial is audited
    assert not PortalAccount.objects.exists() and mailoutbox == []
    assert events("crm.access.denied", actor_id=world["outsider"].pk).count() == 1


def test_a_portal_user_cannot_invite_even_a_colleague(world, mailoutbox, django_capture_on_commit_callbacks):
    alice = portal_user(world["customer"], name="Alice")
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(PermissionDenied):
        portal_invite(actor=alice, contact=world["contact"])
    assert mailoutbox == []


def test_invitation_refusals(world, invite):
    # a contact without an e-mail address
    no_mail = Contact.objects.create(customer=world["customer"], name="No Mail")
    with pytest.raises(InvalidInput):
        portal_invite(actor=world["owner"], contact=no_mail)
    # an e-mail another portal user already signs in with
    portal_user(world["customer"], email="li.na@example.com", name="Other Li")
    with pytest.raises(Conflict):
        portal_invite(actor=world["owner"], contact=world["contact"])


def test_an_active_or_disabled_account_is_not_invited_again(world, invite):
    _, token = invite()
    portal_invitation_accept(request=a_request(), token=token, password=NEW_PASSWORD, password_again=NEW_PASSWORD)
    with pytest.raises(Conflict):
        portal_invite(actor=world["owner"], contact=world["contact"])
    account = PortalAccount.objects.get(contact=world["contact"])
    portal_account_disable(actor=world["owner"], account=account)
    with pytest.raises(Conflict):
        portal_invite(actor=world["owner"], contact=world["contact"])


# --- disable / enable ---------------------------------------------------------------------------


def test_disabling_ends_the_session_at_once_and_withdraws_links_and_tokens(world, client, invite):
    # given Alice signed in, holding an API token, and a pending invitation for another contact of hers
    alice = portal_user(world["customer"], name="Alice")
    client.force_login(alice)
    factories.api_token(alice)
    account = PortalAccount.objects.get(user=alice)
    # when the owner disables her
    portal_account_disable(actor=world["owner"], account=account)
    # then her existing session no longer authenticates, her token is gone, and she cannot sign in
    request = RequestFactory().get("/portal/")
    request.session = client.session
    assert get_user(request).is_anonymous
    assert not ApiToken.objects.filter(user=alice).exists()
    with pytest.raises(InvalidInput):
        portal_sign_in(request=a_request(), email=alice.email, password=PORTAL_PASSWORD)
    assert events("portal.account.disabled", customer_id=world["customer"].pk, actor_id=world["owner"].pk).exists()
    # and disabling twice changes nothing
    assert portal_account_disable(actor=world["owner"], account=account).disabled_at is not None
    assert events("portal.account.disabled").count() == 1


def test_disabling_withdraws_a_pending_invitation(world, invite):
    _, token = invite()
    portal_account_disable(actor=world["owner"], account=PortalAccount.objects.get(contact=world["contact"]))
    with pytest.raises(Gone) as exc:
        portal_invitation_check(token=token)
    assert exc.value.extra["reason"] == "withdrawn"


def test_enabling_restores_an_activated_account_only(world, invite):
    # given Alice (activated) and an invited contact, both disabled
    alice = portal_user(world["customer"], name="Alice")
    invite()
    owner = world["owner"]
    for account in PortalAccount.objects.all():
        portal_account_disable(actor=owner, account=account)
    # when the owner enables both
    for account in PortalAccount.objects.all():
        portal_account_enable(actor=owner, account=account)
    # then Alice signs in again, while the invited contact still needs a new invitation
    assert portal_sign_in(request=a_request(), email=alice.email, password=PORTAL_PASSWORD) == alice
    invited = PortalAccount.objects.select_related("user").get(contact=world["contact"])
    assert invited.state == "invited" and not invited.user.is_active
    assert invite()[1]


def test_only_whoever_may_change_the_customer_may_disable(world):
    alice = portal_user(world["customer"], name="Alice")
    with pytest.raises(PermissionDenied):
        portal_account_disable(actor=world["outsider"], account=PortalAccount.objects.get(user=alice))
    with pytest.raises(PermissionDenied):
        portal_account_disable(actor=alice, account=PortalAccount.objects.get(user=alice))
    alice.refresh_from_db()
    assert alice.is_active


# --- signing in ---------------------------------------------------------------------------------


def test_signing_in_by_e_mail_in_any_case(world):
    alice = portal_user(world["customer"], email="alice@example.com", name="Alice")
    request = a_request()
    assert portal_sign_in(request=request, email="  ALICE@example.com ", password=PORTAL_PASSWORD) == alice
    assert request.session["_auth_user_id"] == str(alice.pk)
    assert events("portal.signed_in", actor_id=alice.pk, customer_id=world["customer"].pk).count() == 1
    portal_sign_out(request=request)
    assert "_auth_user_id" not in request.session
    assert events("portal.signed_out", actor_id=alice.pk, customer_id=world["customer"].pk).count() == 1


def test_unknown_e_mail_and_wrong_password_look_the_same_and_are_audited(world):
    alice = portal_user(world["customer"], email="alice@example.com", name="Alice")
    invited = portal_user(world["customer"], email="invited@example.com", name="Invited", active=False)
    staff = factories.UserFactory(username="staffer", email="staffer@example.com")
    refusals = {}
    for email, password in [("nobody@example.com", PORTAL_PASSWORD), ("alice@example.com", "wrong"),
                            ("invited@example.com", PORTAL_PASSWORD), ("staffer@example.com", "pw-for-tests"),
                            ("", "")]:
        with pytest.raises(InvalidInput) as exc:
            portal_sign_in(request=a_request(), email=email, password=password)
        refusals[email] = exc.value
    # then the same words and status each time, so an e-mail's existence is not revealed
    assert len({(e.message, e.status_code, e.code) for e in refusals.values()}) == 1
    # and each attempt is audited; the customer is named when the account is known
    failed = events("portal.sign_in_failed")
    assert failed.count() == 5 and set(failed.values_list("outcome", flat=True)) == {"denied"}
    by_email = {row.detail["email"]: row for row in failed}
    assert by_email["alice@example.com"].customer_id == world["customer"].pk
    assert by_email["alice@example.com"].target_id == str(alice.pk)
    assert by_email["invited@example.com"].customer_id == world["customer"].pk
    assert by_email["invited@example.com"].detail["reason"] == "not_activated"
    assert by_email["nobody@example.com"].customer_id is None
    assert by_email["staffer@example.com"].detail["reason"] == "unknown_email"
    assert not PortalAccount.objects.filter(user=staff).exists()
    assert invited.is_active is False


def test_too_many_wrong_passwords_lock_the_address_and_e_mail_until_the_lock_passes(world, settings):
    # given at most 3 wrong passwords in a row, then a 2-second lock
    settings.PORTAL_SIGNIN_MAX_FAILURES = 3
    settings.PORTAL_LOCKOUT_SECONDS = 2
    alice = portal_user(world["customer"], email="alice@example.com", name="Alice")
    ip = "10.20.30.40"
    # when two wrong passwords are tried, then a third
    for _ in range(2):
        with pytest.raises(InvalidInput):
            portal_sign_in(request=a_request(ip=ip), email=alice.email, password="wrong")
    with pytest.raises(TooManyAttempts) as third:
        portal_sign_in(request=a_request(ip=ip), email=alice.email, password="wrong")
    # then the third locks that address for that e-mail (429), and even the right password is refused there
    assert third.value.status_code == 429 and third.value.extra["retry_after"] >= 2
    with pytest.raises(TooManyAttempts):
        portal_sign_in(request=a_request(ip=ip), email=alice.email, password=PORTAL_PASSWORD)
    assert events("portal.account.locked", customer_id=world["customer"].pk).count() == 1
    assert events("portal.sign_in_failed", customer_id=world["customer"].pk).count() == 4
    assert [e.detail["reason"] for e in events("portal.sign_in_failed")][-1] == "locked"
    # when the lock has passed
    time.sleep(2.2)
    # then the right password works again
    assert portal_sign_in(request=a_request(ip=ip), email=alice.email, password=PORTAL_PASSWORD) == alice
    assert PortalAccount.objects.get(user=alice).last_signin_at is not None


def test_a_stranger_cannot_lock_a_customer_out_of_the_portal(world, settings):
    # given Alice signs in from her office, and the portal locks after 3 wrong passwords
    settings.PORTAL_SIGNIN_MAX_FAILURES = 3
    alice = portal_user(world["customer"], email="alice@example.com", name="Alice")
    office, stranger = "10.1.1.1", "203.0.113.9"
    assert portal_sign_in(request=a_request(ip=office), email=alice.email, password=PORTAL_PASSWORD) == alice
    # when a stranger types her e-mail address with wrong passwords until they are locked
    for _ in range(2):
        with pytest.raises(InvalidInput):
            portal_sign_in(request=a_request(ip=stranger), email=alice.email, password="wrong")
    with pytest.raises(TooManyAttempts):
        portal_sign_in(request=a_request(ip=stranger), email=alice.email, password="wrong")
    # then the stranger stays locked out, even with the right password
    with pytest.raises(TooManyAttempts):
        portal_sign_in(request=a_request(ip=stranger), email=alice.email, password=PORTAL_PASSWORD)
    # but Alice signs in from her office at once
    assert portal_sign_in(request=a_request(ip=office), email=alice.email, password=PORTAL_PASSWORD) == alice
    locked = events("portal.account.locked", customer_id=world["customer"].pk).get()
    assert "pair" in locked.detail["locks"] and locked.detail["seconds"] == settings.PORTAL_LOCKOUT_SECONDS


def test_a_new_address_waits_only_a_short_back_off_while_the_e_mail_is_attacked(world, settings):
    # given the e-mail was guessed at from many addresses (3 failures each would lock a pair)
    settings.PORTAL_SIGNIN_MAX_FAILURES = 3
    settings.PORTAL_SIGNIN_NAME_BACKOFF_MAX_SECONDS = 2
    alice = portal_user(world["customer"], email="alice@example.com", name="Alice")
    for n in range(3):
        with pytest.raises(InvalidInput):
            portal_sign_in(request=a_request(ip=f"203.0.113.{n + 1}"), email=alice.email, password="wrong")
    # when Alice signs in from an address she never used, at once
    with pytest.raises(TooManyAttempts) as backoff:
        portal_sign_in(request=a_request(ip="10.9.9.9"), email=alice.email, password=PORTAL_PASSWORD)
    # then she waits a second or two, not a lockout
    assert backoff.value.extra["retry_after"] <= 2
    time.sleep(2.1)
    assert portal_sign_in(request=a_request(ip="10.9.9.9"), email=alice.email, password=PORTAL_PASSWORD) == alice


def test_a_right_password_resets_the_count_of_wrong_ones(world, settings):
    settings.PORTAL_SIGNIN_MAX_FAILURES = 3
    alice = portal_user(world["customer"], email="alice@example.com", name="Alice")
    for password in ("wrong", "wrong", PORTAL_PASSWORD, "wrong", "wrong", PORTAL_PASSWORD):
        try:
            portal_sign_in(request=a_request(ip="10.55.0.1"), email=alice.email, password=password)
        except InvalidInput:
            pass
    # then the sixth attempt, the right password, was let in: the count started afresh at the third
    assert events("portal.signed_in", customer_id=world["customer"].pk).count() == 2
    # and no lock of the address or of the pair started (the e-mail's short back-off spares a known address)
    assert all(set(e.detail["locks"]) == {"name"} for e in events("portal.account.locked"))


def test_one_address_guessing_across_many_e_mails_is_slowed_down(world, settings):
    # given at most 4 failures from one address
    settings.PORTAL_SIGNIN_MAX_FAILURES_PER_IP = 4
    alice = portal_user(world["customer"], email="alice@example.com", name="Alice")
    ip = "10.77.0.1"
    for n in range(4):
        with pytest.raises(InvalidInput):
            portal_sign_in(request=a_request(ip=ip), email=f"guess{n}@example.com", password="x")
    # then the next attempt from that address is refused (429) even with the right password
    with pytest.raises(TooManyAttempts):
        portal_sign_in(request=a_request(ip=ip), email=alice.email, password=PORTAL_PASSWORD)
    assert events("portal.sign_in_failed").last().detail["reason"] == "address_limited"
    # while another address signs in normally
    assert portal_sign_in(request=a_request(ip="10.77.0.2"), email=alice.email, password=PORTAL_PASSWORD) == alice
