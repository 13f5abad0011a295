"""Forgot password (issue 15): an e-mailed, single-use, expiring link to choose a new password,
rate-limited, audited, and never saying whether an address has an account."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from backend.audit.models import AuditEvent
from backend.sharing.models import PortalInvitation
from backend.sharing.portal_accounts import portal_account_disable, portal_invite
from backend.crm.models import Contact
from tests.portal_factories import PORTAL_PASSWORD, portal_user

pytestmark = pytest.mark.django_db

KNOWN = "alice@jinggong.example.com"
UNKNOWN = "nobody@jinggong.example.com"
NEW_PASSWORD = "Gear-Box-2026"


def ask(email: str, capture, address: str = "198.51.100.7", client: Client | None = None):
    client = client or Client(REMOTE_ADDR=address)
    with capture(execute=True):
        return client.post(reverse("portal:password_forgot"), {"email": email})


def link_in(message) -> str:
    return re.search(r"https?://[^/\s]+(/portal/password/reset/\S+/)", message.body).group(1)


def page(response, email: str) -> str:
    """The page as a visitor sees it, without the address they typed and the per-response CSRF token."""
    text = response.content.decode().replace(email, "EMAIL")
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", text)


def requested(email: str) -> list[str]:
    return [event.detail["result"] for event in
            AuditEvent.objects.filter(event_type="portal.password_reset.requested").order_by("id")
            if event.detail.get("email") == email]


def test_the_sign_in_page_offers_forgot_password(world):
    response = Client().get(reverse("portal:signin"))
    assert reverse("portal:password_forgot") in response.content.decode()
    assert Client().get(reverse("portal:password_forgot")).status_code == 200


def test_a_link_sets_a_new_password_once_and_signs_in(world, django_capture_on_commit_callbacks):
    # given Alice asked for a link
    response = ask(KNOWN, django_capture_on_commit_callbacks)
    assert response.status_code == 200
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [KNOWN]
    link = link_in(mail.outbox[0])
    client = Client()
    # when she opens it and chooses a new password
    assert client.get(link).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(link, {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    # then she is signed in, the new password works and the old one does not
    assert response.status_code == 302 and response["Location"] == reverse("portal:home")
    assert client.get(reverse("portal:home")).status_code == 200
    world.alice.refresh_from_db()
    assert world.alice.check_password(NEW_PASSWORD) and not world.alice.check_password(PORTAL_PASSWORD)
    # and the link works only once (410, a page that says so), audited
    again = Client()
    used = again.get(link)
    assert used.status_code == 410 and "already been used" in used.content.decode()
    assert AuditEvent.objects.filter(event_type="portal.password_reset.completed", target_id=str(world.alice.pk)).exists()
    assert AuditEvent.objects.filter(event_type="portal.password_reset.refused", detail__reason="used").exists()
    assert AuditEvent.objects.filter(event_type="portal.signed_in", detail__via="password_reset").exists()
    assert requested(KNOWN) == ["sent"]


def test_other_sessions_end_when_the_password_is_reset(world, django_capture_on_commit_callbacks):
    # given Alice is signed in on another device
    elsewhere = Client()
    assert elsewhere.post(reverse("portal:signin"), {"email": KNOWN, "password": PORTAL_PASSWORD}).status_code == 302
    ask(KNOWN, django_capture_on_commit_callbacks)
    # when she resets her password from the link
    Client().post(link_in(mail.outbox[0]), {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    # then the other session is over
    assert elsewhere.get(reverse("portal:home")).status_code == 302


def test_known_and_unknown_addresses_get_the_same_answer(world, django_capture_on_commit_callbacks):
    # given a portal user who was invited but never set a password, and one who was disabled
    invited = portal_user(world.a, email="ivy@jinggong.example.com", name="Ivy", active=False)
    disabled = portal_user(world.a, email="dan@jinggong.example.com", name="Dan")
    portal_account_disable(actor=world.staff["rep"], account=disabled.portal_account)
    answers = {}
    # when each address asks for a link, from its own client address
    for n, email in enumerate([KNOWN, UNKNOWN, invited.email, disabled.email, "staffer@dossier.example.com"]):
        answers[email] = ask(email, django_capture_on_commit_callbacks, address=f"203.0.113.{n}")
    # then every page is the same, status and text
    reference = page(answers[KNOWN], KNOWN)
    for email, response in answers.items():
        assert response.status_code == 200, email
        assert page(response, email) == reference, email
    # but only the active account got an e-mail, and the trail says what happened to each
    assert [m.to for m in mail.outbox] == [[KNOWN]]
    assert requested(KNOWN) == ["sent"] and requested(UNKNOWN) == ["no_account"]
    assert requested(invited.email) == ["not_activated"] and requested(disabled.email) == ["disabled"]


def test_a_link_expires(world, django_capture_on_commit_callbacks, settings):
    # given a link that lives one hour
    settings.PORTAL_PASSWORD_RESET_SECONDS = 3600
    ask(KNOWN, django_capture_on_commit_callbacks)
    link = link_in(mail.outbox[0])
    reset = PortalInvitation.objects.get(account__user=world.alice)
    assert timezone.now() + dt.timedelta(minutes=59) < reset.expires_at <= timezone.now() + dt.timedelta(hours=1)
    # when an hour has passed
    PortalInvitation.objects.filter(pk=reset.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = Client().post(link, {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    # then it is refused (410) and the password is unchanged
    assert response.status_code == 410 and "expired" in response.content.decode()
    world.alice.refresh_from_db()
    assert world.alice.check_password(PORTAL_PASSWORD)


def test_a_newer_link_withdraws_the_older_one(world, django_capture_on_commit_callbacks):
    ask(KNOWN, django_capture_on_commit_callbacks)
    ask(KNOWN, django_capture_on_commit_callbacks)
    first, second = link_in(mail.outbox[0]), link_in(mail.outbox[1])
    assert Client().get(first).status_code == 410
    assert Client().get(second).status_code == 200


def test_reset_and_invitation_links_each_work_only_on_their_own_page(world, django_capture_on_commit_callbacks):
    # given a reset link for Alice and an invitation link for a new contact
    ask(KNOWN, django_capture_on_commit_callbacks)
    token = link_in(mail.outbox[0]).rstrip("/").rsplit("/", 1)[1]
    contact = Contact.objects.create(customer=world.a, name="张伟 Zhang", email="zhang@jinggong.example.com")
    with django_capture_on_commit_callbacks(execute=True):
        invite = portal_invite(actor=world.staff["rep"], contact=contact, base_url="http://testserver")
    invitation_token = invite.link.rstrip("/").rsplit("/", 1)[1]
    # then neither opens on the other's page
    assert Client().get(reverse("portal:invitation", args=[token])).status_code == 404
    assert Client().get(reverse("portal:password_reset", args=[invitation_token])).status_code == 404
    assert Client().get(reverse("portal:password_reset", args=["not-a-real-token"])).status_code == 404


def test_one_address_gets_at_most_so_many_links_and_the_answer_stays_the_same(world, django_capture_on_commit_callbacks,
                                                                             settings):
    # given at most two links per e-mail address per window
    settings.PORTAL_PASSWORD_RESET_MAX_PER_EMAIL = 2
    # when Alice's address is asked for four times, from different client addresses
    answers = [ask(KNOWN, django_capture_on_commit_callbacks, address=f"192.0.2.{n}") for n in range(4)]
    # then every answer is the same page, but only two e-mails went out
    assert {r.status_code for r in answers} == {200}
    assert len({page(r, KNOWN) for r in answers}) == 1
    assert len(mail.outbox) == 2
    assert requested(KNOWN) == ["sent", "sent", "limited", "limited"]


def test_one_client_address_must_wait_after_too_many_requests(world, django_capture_on_commit_callbacks, settings):
    # given at most three requests per client address per window
    settings.PORTAL_PASSWORD_RESET_MAX_PER_IP = 3
    # when one address asks for four different e-mail addresses
    answers = [ask(f"guess{n}@jinggong.example.com", django_capture_on_commit_callbacks) for n in range(3)]
    answers.append(ask(KNOWN, django_capture_on_commit_callbacks))
    # then the fourth is refused (429 with Retry-After), no mail went out, and it is audited
    assert [r.status_code for r in answers] == [200, 200, 200, 429]
    assert int(answers[-1]["Retry-After"]) > 0
    assert "Too many requests" in answers[-1].content.decode()
    assert mail.outbox == []
    assert requested(KNOWN) == ["address_limited"]
    # and another client address is not affected
    assert ask(KNOWN, django_capture_on_commit_callbacks, address="198.51.100.99").status_code == 200
    assert len(mail.outbox) == 1


def test_the_e_mail_is_in_the_contacts_language(world, django_capture_on_commit_callbacks):
    # given Alice reads the portal in Chinese
    world.alice.preferred_language = "zh-hans"
    world.alice.save(update_fields=["preferred_language"])
    # when she asks for a link from an English page
    ask(KNOWN, django_capture_on_commit_callbacks)
    # then the e-mail is in Chinese
    assert mail.outbox[0].subject == "设置客户门户的新密码"
    assert "链接仅可使用一次" in mail.outbox[0].body


def test_the_e_mail_is_in_english_for_an_english_reader_even_from_a_chinese_page(world, django_capture_on_commit_callbacks):
    client = Client(REMOTE_ADDR="198.51.100.7", HTTP_ACCEPT_LANGUAGE="zh-hans")
    ask(KNOWN, django_capture_on_commit_callbacks, client=client)
    assert mail.outbox[0].subject == "Set a new password for the customer portal"


def test_the_pages_read_in_chinese(world, django_capture_on_commit_callbacks):
    client = Client(REMOTE_ADDR="198.51.100.7", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "忘记密码" in client.get(reverse("portal:password_forgot")).content.decode()
    assert "请查收邮件" in ask(UNKNOWN, django_capture_on_commit_callbacks, client=client).content.decode()


def test_a_bad_new_password_is_refused_and_the_link_still_works(world, django_capture_on_commit_callbacks):
    ask(KNOWN, django_capture_on_commit_callbacks)
    link = link_in(mail.outbox[0])
    response = Client().post(link, {"password": "12345678", "password_again": "12345678"})
    assert response.status_code == 400
    response = Client().post(link, {"password": NEW_PASSWORD, "password_again": "other-" + NEW_PASSWORD})
    assert response.status_code == 400
    assert Client().get(link).status_code == 200


def test_a_disabled_account_cannot_use_its_link(world, django_capture_on_commit_callbacks):
    ask(KNOWN, django_capture_on_commit_callbacks)
    link = link_in(mail.outbox[0])
    portal_account_disable(actor=world.staff["rep"], account=world.alice.portal_account)
    assert Client().get(link).status_code == 410
