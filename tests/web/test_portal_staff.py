"""The staff side of the customer portal in the web UI: contacts' portal access on the customer page,
sharing on the document page, portal requests in the service desk, and announcements.

Every action: no right -> 404, right -> redirect with the change made and an audit row carrying the customer.
"""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.contrib.auth import get_user
from django.core import mail
from django.http import HttpRequest
from django.utils import timezone

from backend.audit.models import AuditEvent
from backend.crm.models import Announcement, Contact, ServiceNote
from backend.crm.services.service_requests import service_request_submit
from backend.documents.services import UploadSource
from backend.sharing.models import DocumentShare, PortalAccount, PortalInvitation
from backend.sharing.shares import document_share_create, document_share_revoke, share_open
from tests.fixtures.clients import client_for
from tests.portal_factories import portal_user

pytestmark = pytest.mark.django_db

# A 1x1 PNG, for a photo attached to a portal service request.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)


def _contact(world, name="刘经理 Manager Liu", email="liu@jinggong.example.cn"):
    return Contact.objects.create(customer=world.customer, name=name, email=email)


def _portal_url(world, contact, action):
    return f"/customers/{world.customer.pk}/contacts/{contact.pk}/portal/{action}/"


def _signed_in(client) -> bool:
    request = HttpRequest()
    request.session = client.session
    return get_user(request).is_authenticated


# --- the customer page: contacts' portal access ---------------------------------------------------------


def test_the_owner_invites_a_contact_and_the_invitation_mail_carries_the_link(world, django_capture_on_commit_callbacks):
    # given a contact with an e-mail address and no portal access
    contact = _contact(world)
    client = client_for(world.rep)
    page = client.get(f"/customers/{world.customer.pk}/").content.decode()
    assert 'data-portal-state="none"' in page and 'data-testid="portal-invite"' in page

    # when the customer's owner invites them
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_portal_url(world, contact, "invite"))

    # then the page shows them invited with the link's expiry, one mail went out with the link, and it is audited
    assert response.status_code == 302 and response["Location"].endswith("#contacts")
    account = PortalAccount.objects.get(contact=contact)
    assert account.state == "invited"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["liu@jinggong.example.cn"]
    link = re.search(r"https?://\S+/portal/invitation/\S+/", mail.outbox[0].body)
    assert link, mail.outbox[0].body
    assert AuditEvent.objects.filter(event_type="portal.account.invited", actor=world.rep,
                                     customer_id=world.customer.pk).exists()
    page = client.get(f"/customers/{world.customer.pk}/").content.decode()
    assert 'data-portal-state="invited"' in page
    assert "邀请链接有效期至" in page or "link valid until" in page
    assert 'data-testid="portal-disable"' in page

    # when they are invited again, the older link is withdrawn and a new mail goes out
    with django_capture_on_commit_callbacks(execute=True):
        client.post(_portal_url(world, contact, "invite"))
    assert len(mail.outbox) == 2
    assert PortalInvitation.objects.filter(account=account, withdrawn_at__isnull=True).count() == 1


def test_a_contact_without_an_email_cannot_be_invited_and_the_page_says_why(world):
    contact = _contact(world, email="")
    client = client_for(world.engineer, language="en")
    # the engineer may see the customer but not change it: no buttons, and a POST is a 404
    page = client.get(f"/customers/{world.customer.pk}/").content.decode()
    assert 'data-testid="portal-invite"' not in page
    assert client.post(_portal_url(world, contact, "invite")).status_code == 404

    response = client_for(world.admin, language="en").post(_portal_url(world, contact, "invite"), follow=True)
    assert response.status_code == 200
    assert "no e-mail address" in response.content.decode()
    assert not PortalAccount.objects.filter(contact=contact).exists()


@pytest.mark.parametrize("who, status", [("outsider", 404), ("colleague", 404), ("compliance", 404),
                                         ("team", 302), ("rep", 302), ("admin", 302)])
def test_who_may_invite_a_contact(world, who, status, django_capture_on_commit_callbacks):
    contact = _contact(world)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(getattr(world, who)).post(_portal_url(world, contact, "invite"))
    assert response.status_code == status
    assert PortalAccount.objects.filter(contact=contact).exists() is (status == 302)
    assert len(mail.outbox) == (1 if status == 302 else 0)


def test_disabling_ends_the_portal_users_session_at_once_and_enabling_restores_it(world):
    # given an active portal user of the customer, signed in
    person = portal_user(world.customer, name="周婷 Zhou Ting", invited_by=world.rep)
    account = person.portal_account
    session = client_for(person)
    assert _signed_in(session)

    # when someone without the right tries, nothing changes
    assert client_for(world.outsider).post(_portal_url(world, account.contact, "disable")).status_code == 404
    assert client_for(world.colleague).post(_portal_url(world, account.contact, "disable")).status_code == 404
    assert _signed_in(session)

    # when the owner disables them
    client = client_for(world.rep)
    assert client.post(_portal_url(world, account.contact, "disable")).status_code == 302

    # then the session no longer signs anyone in, the page shows "disabled" with an Enable button, and it is audited
    assert not _signed_in(session)
    account.refresh_from_db()
    assert account.state == "disabled" and not account.user.is_active
    assert AuditEvent.objects.filter(event_type="portal.account.disabled", actor=world.rep,
                                     customer_id=world.customer.pk).exists()
    page = client.get(f"/customers/{world.customer.pk}/").content.decode()
    assert f'data-testid="contact-{account.contact_id}" data-portal-state="disabled"' in page
    assert 'data-testid="portal-enable"' in page

    # when enabled again, they may sign in again
    assert client.post(_portal_url(world, account.contact, "enable")).status_code == 302
    account.refresh_from_db()
    assert account.state == "active" and account.user.is_active
    assert AuditEvent.objects.filter(event_type="portal.account.enabled", customer_id=world.customer.pk).exists()


def test_a_contact_of_another_customer_cannot_be_reached_through_this_customers_url(world):
    stranger = Contact.objects.create(customer=world.other_customer, name="X", email="x@example.com")
    response = client_for(world.rep).post(f"/customers/{world.customer.pk}/contacts/{stranger.pk}/portal/invite/")
    assert response.status_code == 404
    assert client_for(world.rep).post(_portal_url(world, stranger, "frobnicate")).status_code == 404


def test_the_customer_page_reads_every_contacts_portal_state_in_one_query(world, django_assert_num_queries):
    # given contacts in every state
    portal_user(world.customer, name="A", invited_by=world.rep)
    portal_user(world.customer, name="B", invited_by=world.rep, active=False)
    _contact(world, name="C", email="c@example.com")
    client = client_for(world.rep)
    url = f"/customers/{world.customer.pk}/"
    client.get(url)
    # 16 to render (the quote history's last accepted prices come from its own lines), and 2 for the audited read
    # of the customer (crm.customer.viewed: head locked and read, insert); 3 for notifications: the header's
    # unread count, the watch toggle, every contact's e-mail consent (one query)
    with django_assert_num_queries(21):
        assert client.get(url).status_code == 200
    # when there are more of them: the same number
    for i in range(3):
        portal_user(world.customer, name=f"D{i}", invited_by=world.rep)
        _contact(world, name=f"E{i}", email=f"e{i}@example.com")
    with django_assert_num_queries(21):
        assert client.get(url).status_code == 200


# --- the document page: sharing with customers ---------------------------------------------------------


def _share_url(document):
    return f"/documents/{document.pk}/shares/"


@pytest.mark.parametrize("who, status", [("outsider", 404), ("team", 404), ("compliance", 404),
                                         ("colleague", 302), ("rep", 302), ("admin", 302)])
def test_who_may_share_an_internal_document(world, who, status):
    # the team member may only view the internal quote (through the customer), not download it: no sharing
    response = client_for(getattr(world, who)).post(_share_url(world.quote_doc), {
        "customer": world.customer.pk, "version": "", "downloadable": "on", "offer_valid_version": "on"})
    assert response.status_code == status
    assert DocumentShare.objects.filter(document=world.quote_doc).exists() is (status == 302)
    if status == 302:
        assert AuditEvent.objects.filter(event_type="document.share.created", actor=getattr(world, who),
                                         customer_id=world.customer.pk).exists()


def test_a_confidential_document_is_shared_only_by_who_may_manage_it(world):
    # the colleague cannot see the confidential contract at all; its owner may share it, pinned and view-only
    assert client_for(world.colleague).post(_share_url(world.contract), {"customer": world.customer.pk}
                                            ).status_code == 404
    expires = timezone.localdate() + dt.timedelta(days=30)
    response = client_for(world.rep).post(_share_url(world.contract), {
        "customer": world.customer.pk, "version": "1", "expires_on": expires.isoformat(), "note": "请审阅"})
    assert response.status_code == 302
    share = DocumentShare.objects.get(document=world.contract)
    assert share.version.number == 1 and not share.downloadable and not share.offer_valid_version
    assert timezone.localtime(share.expires_at).date() == expires and share.note == "请审阅"


def test_bad_share_input_is_a_message_not_a_share(world):
    client = client_for(world.rep, language="en")
    page = client.post(_share_url(world.quote_doc), {"customer": world.other_customer.pk}, follow=True)
    assert page.status_code == 200 and "Choose a customer you can see." in page.content.decode()
    page = client.post(_share_url(world.quote_doc), {
        "customer": world.customer.pk, "expires_on": "2001-01-01"}, follow=True)
    assert "not in the past" in page.content.decode()
    page = client.post(_share_url(world.quote_doc), {"customer": world.customer.pk, "version": "9"}, follow=True)
    assert "Select a valid choice" in page.content.decode()
    assert not DocumentShare.objects.exists()


def test_the_document_page_lists_shares_and_who_opened_them_and_revokes(world):
    # given a share that a portal user of the customer opened twice
    share = document_share_create(actor=world.rep, document=world.quote_doc, customer=world.customer,
                                  downloadable=False)
    reader = portal_user(world.customer, name="周婷 Zhou Ting", invited_by=world.rep)
    share_open(actor=reader, share=share)
    share_open(actor=reader, share=share)
    client = client_for(world.rep, language="en")

    # when the owner opens the document page
    page = client.get(f"/documents/{world.quote_doc.pk}/").content.decode()

    # then it lists the share (follows the valid version, view only), who opened it, and offers revoking it
    assert f'data-testid="share-{share.pk}"' in page
    assert "follows the valid version" in page and "view only" in page
    opens = page.split('data-testid="share-opens"')[1]
    assert world.customer.name in opens and "周婷 Zhou Ting" in opens and ">2<" in opens
    assert f'data-testid="share-revoke-{share.pk}"' in page and 'data-testid="share-form"' in page

    # the team member sees the list but neither the form nor the revoke button, and cannot revoke
    team_page = client_for(world.team).get(f"/documents/{world.quote_doc.pk}/").content.decode()
    assert f'data-testid="share-{share.pk}"' in team_page
    assert 'data-testid="share-form"' not in team_page and "share-revoke-" not in team_page
    revoke = f"/documents/{world.quote_doc.pk}/shares/{share.pk}/revoke/"
    assert client_for(world.team).post(revoke).status_code == 404
    assert client_for(world.outsider).post(revoke).status_code == 404
    assert client_for(world.rep).post(f"/documents/{world.contract.pk}/shares/{share.pk}/revoke/").status_code == 404

    # when the owner revokes it
    assert client.post(revoke).status_code == 302
    share.refresh_from_db()
    assert share.revoked_at is not None and share.revoked_by == world.rep
    assert AuditEvent.objects.filter(event_type="document.share.revoked", customer_id=world.customer.pk).exists()
    assert "revoked" in client.get(f"/documents/{world.quote_doc.pk}/").content.decode()


def test_the_share_form_finds_other_visible_customers_by_name(world):
    page = client_for(world.outsider).get(f"/documents/{world.quote_doc.pk}/")
    assert page.status_code == 404
    page = client_for(world.admin).get(f"/documents/{world.quote_doc.pk}/?share_customer=远航").content.decode()
    form = page.split('data-testid="share-form"')[1]
    assert "北京远航科技" in form


def test_the_document_page_query_count_does_not_grow_with_shares_and_opens(world, django_assert_num_queries):
    url = f"/documents/{world.quote_doc.pk}/"
    client = client_for(world.rep)
    share = document_share_create(actor=world.rep, document=world.quote_doc, customer=world.customer)
    share_open(actor=portal_user(world.customer, invited_by=world.rep), share=share)
    client.get(url)
    # 11 for the page with shares; two more name the customers and the people who opened them; 2 for
    # notifications (the header's unread count, the watch toggle); 2 for the legal holds covering it and its
    # retention row
    with django_assert_num_queries(17):
        assert client.get(url).status_code == 200
    for i in range(3):
        other = document_share_create(actor=world.admin, document=world.quote_doc, customer=world.other_customer,
                                      expires_at=timezone.now() + dt.timedelta(days=i + 1))
        share_open(actor=portal_user(world.other_customer, name=f"P{i}", invited_by=world.admin), share=other)
        if i < 2:  # one share in force per document and customer: the older ones were revoked
            document_share_revoke(actor=world.admin, share=other)
    with django_assert_num_queries(17):
        assert client.get(url).status_code == 200


# --- the service desk: requests from the portal ---------------------------------------------------------


def _portal_request(world):
    person = portal_user(world.customer, name="周婷 Zhou Ting", invited_by=world.rep)
    record = service_request_submit(
        actor=person, type="issue", title="冷却液泄漏 Coolant leak", description="机床下方有液体",
        attachments=[UploadSource(stream=io.BytesIO(PNG), filename="leak.png", declared_size=len(PNG))])
    return person, record


def test_the_desk_marks_portal_requests_and_the_record_page_shows_the_thread(world):
    person, record = _portal_request(world)
    client = client_for(world.engineer, language="en")

    desk = client.get("/service/").content.decode()
    assert f'data-testid="from-portal-{record.pk}"' in desk and f"/service/{record.pk}/" in desk

    page = client.get(f"/service/{record.pk}/").content.decode()
    assert 'data-testid="from-portal"' in page and "周婷 Zhou Ting" in page
    attachment = record.attachments.get()
    assert f'data-testid="attachment-{attachment.pk}"' in page and "leak.png" in page

    # the attachment downloads, audited with the customer
    response = client.get(f"/service/attachments/{attachment.pk}/")
    assert response.status_code == 200 and b"".join(response.streaming_content) == PNG
    assert response["Content-Disposition"].startswith("attachment")
    assert AuditEvent.objects.filter(event_type="crm.service.attachment_downloaded", actor=world.engineer,
                                     customer_id=world.customer.pk).exists()


@pytest.mark.parametrize("who, status", [("outsider", 404), ("engineer", 200), ("rep", 200)])
def test_who_may_open_a_record_and_its_attachments(world, who, status):
    _person, record = _portal_request(world)
    client = client_for(getattr(world, who))
    assert client.get(f"/service/{record.pk}/").status_code == status
    response = client.get(f"/service/attachments/{record.attachments.get().pk}/")
    assert response.status_code == status


def test_staff_add_internal_notes_and_notes_for_the_customer(world):
    _person, record = _portal_request(world)
    client = client_for(world.engineer, language="en")

    assert client.post(f"/service/{record.pk}/notes/", {"body": "检查了密封圈"}).status_code == 302
    assert client.post(f"/service/{record.pk}/notes/", {"body": "明天上门更换密封圈",
                                                         "visible_to_customer": "on"}).status_code == 302
    notes = list(ServiceNote.objects.filter(record=record).order_by("id"))
    assert [(n.body, n.visible_to_customer, n.from_customer) for n in notes] == [
        ("检查了密封圈", False, False), ("明天上门更换密封圈", True, False)]
    assert AuditEvent.objects.filter(event_type="crm.service.noted", actor=world.engineer,
                                     customer_id=world.customer.pk).count() == 2
    page = client.get(f"/service/{record.pk}/").content.decode()
    assert "internal" in page and "visible to the customer" in page

    # an empty note is refused with a message; someone who cannot see the record gets a 404
    page = client.post(f"/service/{record.pk}/notes/", {"body": "  "}, follow=True).content.decode()
    assert "Write a note first." in page or "Write a comment first." in page
    assert client_for(world.outsider).post(f"/service/{record.pk}/notes/", {"body": "x"}).status_code == 404
    assert ServiceNote.objects.filter(record=record).count() == 2


def test_the_record_page_query_count_does_not_grow_with_the_thread(world, django_assert_num_queries):
    person, record = _portal_request(world)
    client = client_for(world.engineer)
    url = f"/service/{record.pk}/"
    client.get(url)
    # 10: the record waits for dispatch, so the page counts the engineers' workload and experience (one query);
    # + 1: the header's unread count
    with django_assert_num_queries(11) as captured:
        assert client.get(url).status_code == 200
    from backend.crm.services.service_requests import service_note_add

    for i in range(3):
        service_note_add(actor=world.engineer, record=record, body=f"note {i}", visible_to_customer=i % 2 == 0)
        service_note_add(actor=person, record=record, body=f"reply {i}")
    with django_assert_num_queries(len(captured.captured_queries)):
        assert client.get(url).status_code == 200


def test_the_desk_query_count_stays_pinned_with_portal_requests(world, django_assert_num_queries):
    _portal_request(world)
    _portal_request(world)
    client = client_for(world.rep)
    client.get("/service/")
    # + the header's unread count (the inbox link), + each state's count (one grouped query: the desk shows 30 a state)
    with django_assert_num_queries(11):
        assert client.get("/service/").status_code == 200


# --- announcements ------------------------------------------------------------------------------------


def test_the_nav_links_announcements_only_for_who_may_publish(world):
    assert 'data-testid="nav-announcements"' in client_for(world.rep).get("/").content.decode()
    assert 'data-testid="nav-announcements"' in client_for(world.admin).get("/").content.decode()
    assert 'data-testid="nav-announcements"' not in client_for(world.compliance).get("/").content.decode()


def test_publishing_and_withdrawing_an_announcement(world):
    client = client_for(world.rep, language="en")
    page = client.get("/announcements/").content.decode()
    assert 'data-testid="announcement-form"' in page

    # when the rep writes one for their customer only, and publishes it at once
    response = client.post("/announcements/new/", {
        "title": "春节服务安排", "body": "春节期间服务热线照常。", "audience": "some",
        "customers": [world.customer.pk], "publish": "on"})
    assert response.status_code == 302
    announcement = Announcement.objects.get()
    assert not announcement.all_customers and list(announcement.customers.all()) == [world.customer]
    assert announcement.published_at is not None
    assert AuditEvent.objects.filter(event_type="crm.announcement.published", actor=world.rep).exists()

    # then someone else may read it but not withdraw it; the rep may
    other = client_for(world.outsider)
    assert f'data-testid="withdraw-{announcement.pk}"' not in other.get("/announcements/").content.decode()
    assert other.post(f"/announcements/{announcement.pk}/withdraw/").status_code == 404
    assert client.post(f"/announcements/{announcement.pk}/withdraw/").status_code == 302
    announcement.refresh_from_db()
    assert announcement.published_at is None
    assert AuditEvent.objects.filter(event_type="crm.announcement.withdrawn", actor=world.rep).exists()
    assert client.post(f"/announcements/{announcement.pk}/publish/").status_code == 302
    assert client.post(f"/announcements/{announcement.pk}/frobnicate/").status_code == 404


def test_announcement_input_is_checked_and_the_compliance_role_may_not_publish(world):
    client = client_for(world.rep, language="en")
    response = client.post("/announcements/new/", {"title": "", "body": "x", "audience": "some"})
    assert response.status_code == 400
    text = response.content.decode()
    assert "A title is required." in text and "Select at least one customer" in text
    # a customer the rep cannot see is not a valid choice
    response = client.post("/announcements/new/", {"title": "t", "body": "b", "audience": "some",
                                                   "customers": [world.other_customer.pk]})
    assert response.status_code == 400
    assert not Announcement.objects.exists()

    compliance = client_for(world.compliance)
    assert compliance.get("/announcements/").status_code == 200
    assert 'data-testid="announcement-form"' not in compliance.get("/announcements/").content.decode()
    assert compliance.post("/announcements/new/", {"title": "t", "body": "b", "audience": "all"}).status_code == 404


def test_the_announcement_list_query_count_is_pinned(world, django_assert_num_queries):
    from backend.crm.services.announcements import announcement_create

    client = client_for(world.rep)
    announcement_create(actor=world.rep, title="a", body="b", customers=[world.customer], publish=True)
    client.get("/announcements/")
    with django_assert_num_queries(7):  # + the header's unread count (the inbox link)
        assert client.get("/announcements/").status_code == 200
    for i in range(3):
        announcement_create(actor=world.admin, title=f"n{i}", body="b",
                            customers=[world.customer, world.other_customer])
    with django_assert_num_queries(7):
        assert client.get("/announcements/").status_code == 200


def test_new_pages_render_in_chinese(world):
    contact = _contact(world)
    client = client_for(world.rep, language="zh-hans")
    page = client.get(f"/customers/{world.customer.pk}/").content.decode()
    assert contact.name in page
    assert client.get("/announcements/").status_code == 200
