"""Portal journeys through the views: invitation, sign-in and lockout, service requests with photos."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from backend.audit.models import AuditEvent
from backend.crm.models import Contact, DispatchState, ServiceAttachment, ServiceNote, ServiceRecord
from backend.crm.services.service import service_record_dispatch
from backend.sharing.portal_accounts import portal_invite
from tests.fixtures.clients import portal_client
from tests.portal.world import png_bytes

pytestmark = pytest.mark.django_db(transaction=False)


def _invite(world, django_capture_on_commit_callbacks, email="new.contact@jinggong.example.com"):
    contact = Contact.objects.create(customer=world.a, name="张伟 Zhang", email=email)
    with django_capture_on_commit_callbacks(execute=True):
        portal_invite(actor=world.staff["rep"], contact=contact, base_url="http://testserver")
    link = re.search(r"http://testserver(/portal/invitation/\S+/)", mail.outbox[-1].body).group(1)
    return contact, link


def test_invitation_link_sets_a_password_once_and_signs_in(world, django_capture_on_commit_callbacks):
    # given an invited contact and the link from the e-mail
    contact, link = _invite(world, django_capture_on_commit_callbacks)
    client = Client()
    # when they open it and choose a password
    assert client.get(link).status_code == 200
    response = client.post(link, {"password": "Gear-Box-2026", "password_again": "Gear-Box-2026"})
    # then they are signed in to the portal home
    assert response.status_code == 302 and response["Location"] == reverse("portal:home")
    assert client.get(reverse("portal:home")).status_code == 200
    # and the link cannot be used again (410, a page saying so)
    again = Client().get(link)
    assert again.status_code == 410
    assert "already been used" in again.content.decode()
    assert AuditEvent.objects.filter(event_type="portal.account.activated", customer_id=world.a.pk).exists()


def test_weak_or_mismatched_passwords_are_refused_and_the_link_stays_usable(world, django_capture_on_commit_callbacks):
    contact, link = _invite(world, django_capture_on_commit_callbacks)
    client = Client()
    response = client.post(link, {"password": "Gear-Box-2026", "password_again": "Gear-Box-2027"})
    assert response.status_code == 400 and "differ" in response.content.decode()
    assert client.get(link).status_code == 200


def test_unknown_invitation_link_is_404(world):
    response = Client().get(reverse("portal:invitation", args=["not-a-real-token"]))
    assert response.status_code == 404
    assert "not valid" in response.content.decode()


def test_sign_in_with_email_and_wrong_passwords_lock_the_account(world, settings):
    settings.PORTAL_SIGNIN_MAX_FAILURES = 3
    client = Client()
    url = reverse("portal:signin")
    for _ in range(2):
        response = client.post(url, {"email": "alice@jinggong.example.com", "password": "wrong"})
        assert response.status_code == 400
        assert "not right" in response.content.decode()
    # the third wrong password locks the account...
    assert client.post(url, {"email": "alice@jinggong.example.com", "password": "wrong"}).status_code == 429
    # ...and then even the right password is refused until the lock passes
    locked = client.post(url, {"email": "alice@jinggong.example.com", "password": world.password})
    assert locked.status_code == 429
    assert "locked" in locked.content.decode()
    assert AuditEvent.objects.filter(event_type="portal.account.locked", customer_id=world.a.pk).count() == 1
    assert AuditEvent.objects.filter(event_type="portal.sign_in_failed", customer_id=world.a.pk).count() == 4


def test_sign_in_then_sign_out(world):
    client = Client()
    response = client.post(reverse("portal:signin"), {"email": "ALICE@jinggong.example.com", "password": world.password,
                                                      "next": reverse("portal:orders")})
    assert response.status_code == 302 and response["Location"] == reverse("portal:orders")
    assert AuditEvent.objects.filter(event_type="portal.signed_in", customer_id=world.a.pk).count() == 1
    client.post(reverse("portal:signout"))
    assert client.get(reverse("portal:orders")).status_code == 302


def test_staff_cannot_sign_in_to_the_portal_and_portal_users_not_to_staff(world):
    staff = Client().post(reverse("portal:signin"), {"email": world.staff["rep"].email or "x@y.z", "password": "pw-for-tests"})
    assert staff.status_code == 400
    portal_at_staff = Client().post(reverse("web:signin"), {"username": world.alice.username, "password": world.password})
    assert portal_at_staff.status_code == 400


def test_service_request_with_a_photo_reaches_the_service_desk_and_follows_dispatch(world):
    client = portal_client(world.alice)
    photo = png_bytes()
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(reverse("portal:service_new"), {
        "type": "issue", "title": "Coolant leak 冷却液泄漏", "description": "Leaking since Monday.",
        "attachments": [SimpleUploadedFile("leak.png", photo, content_type="image/png")],
    })
    assert response.status_code == 302
    record = ServiceRecord.objects.get(title="Coolant leak 冷却液泄漏")
    assert record.customer_id == world.a.pk and record.from_portal
    assert ServiceAttachment.objects.get(record=record).mime_type == "image/png"
    # staff dispatch it; the customer sees the new state
    service_record_dispatch(actor=world.staff["engineer"], record=record, engineer=world.staff["engineer"])
    page = client.get(reverse("portal:service_request", args=[record.pk])).content.decode()
    assert str(DispatchState.DISPATCHED.label) in page
    # the photo is served back to the customer
    image = client.get(reverse("portal:service_attachment", args=[ServiceAttachment.objects.get(record=record).pk]))
    assert b"".join(image.streaming_content) == photo


def test_forbidden_attachment_type_saves_nothing(world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = portal_client(world.alice)
    before = ServiceRecord.objects.count()
    response = client.post(reverse("portal:service_new"), {
        "type": "issue", "title": "Bad file", "description": "see attachment",
        "attachments": [SimpleUploadedFile("virus.png", b"\x7fELF\x02\x01\x01" + b"\0" * 200)],
    })
    assert response.status_code == 415
    assert "not allowed" in response.content.decode()
    assert ServiceRecord.objects.count() == before


def test_oversized_attachment_is_413_and_saves_nothing(world, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.SERVICE_ATTACHMENT_MAX_BYTES = 1000
    client = portal_client(world.alice)
    before = ServiceRecord.objects.count()
    response = client.post(reverse("portal:service_new"), {
        "type": "issue", "title": "Big", "description": "big photo",
        "attachments": [SimpleUploadedFile("big.png", png_bytes(400, 400, (1, 2, 3)) + b"\0" * 5000)],
    })
    assert response.status_code == 413
    assert ServiceRecord.objects.count() == before


def test_comment_rating_and_complaint(world):
    client = portal_client(world.alice)
    record = world.records["a"]
    assert client.post(reverse("portal:service_comment", args=[record.pk]), {"body": "Any news?"}).status_code == 302
    assert ServiceNote.objects.get(record=record).from_customer
    # rating before it is resolved is refused with a clear message
    early = client.post(reverse("portal:service_rate", args=[record.pk]), {"satisfaction": "5"})
    assert early.status_code == 400
    ServiceRecord.objects.filter(pk=record.pk).update(dispatch_state=DispatchState.RESOLVED)
    assert client.post(reverse("portal:service_rate", args=[record.pk]), {"satisfaction": "4"}).status_code == 302
    record.refresh_from_db()
    assert record.satisfaction == 4
    response = client.post(reverse("portal:service_complaint", args=[record.pk]), {"description": "Took too long."})
    complaint = ServiceRecord.objects.get(complaint_about=record)
    assert response.status_code == 302 and complaint.type == "complaint" and complaint.priority == "high"
    for event in ("portal.service.commented", "portal.service.rated", "portal.service.submitted"):
        assert AuditEvent.objects.filter(event_type=event, customer_id=world.a.pk).exists(), event


def test_list_pages_pin_their_query_count(world, django_assert_max_num_queries):
    client = portal_client(world.alice)
    client.get(reverse("portal:home"))  # warm the session
    for name, most in (("portal:shares", 9), ("portal:orders", 9), ("portal:service", 9), ("portal:knowledge", 9),
                       ("portal:announcements", 9), ("portal:home", 13)):
        with django_assert_max_num_queries(most):
            assert client.get(reverse(name)).status_code == 200
