"""The inbox, the header's unread count, preferences, watch toggles, contacts' e-mail consent and the
unsubscribe link: each page's permissions, its audit rows and both languages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from backend.audit.models import AuditEvent
from backend.crm.models import Contact
from backend.notifications.kinds import register_kind
from backend.notifications.models import ContactEmailConsent, Notification, Preference, Watch
from backend.notifications.services import notify
from tests.crm.factories import CustomerFactory
from tests.factories import UserFactory, document
from tests.fixtures.clients import client_for

pytestmark = pytest.mark.django_db

KIND = register_kind("tests.page_kind", label="Page kind (tests)", group="other")


def test_inbox_shows_own_notifications_and_the_header_counts_unread():
    # given two notifications for alice and one for bob
    alice, bob = UserFactory(), UserFactory()
    notify(kind=KIND, recipients=[alice], title="Quote Q-7 accepted", link="/quotes/7/")
    notify(kind=KIND, recipients=[alice], title="Reminder: call ACME")
    notify(kind=KIND, recipients=[bob], title="Bob's own")
    # when alice opens her inbox
    response = client_for(alice).get(reverse("web:inbox"))
    # then she sees hers, not bob's, and the header counts 2 unread
    page = response.content.decode()
    assert response.status_code == 200
    assert "Quote Q-7 accepted" in page and "Reminder: call ACME" in page and "Bob&#x27;s own" not in page
    assert 'data-testid="inbox-unread">2<' in page


def test_opening_a_notification_marks_it_read_and_follows_its_link():
    alice, bob = UserFactory(), UserFactory()
    notify(kind=KIND, recipients=[alice], title="Quote Q-7 accepted", link="/quotes/7/")
    row = Notification.objects.get()
    # someone else's notification answers 404 and stays unread
    assert client_for(bob).get(reverse("web:inbox_open", args=[row.pk])).status_code == 404
    assert client_for(bob).post(reverse("web:inbox_mark_read", args=[row.pk])).status_code == 404
    row.refresh_from_db()
    assert row.read_at is None
    # its recipient follows it
    response = client_for(alice).get(reverse("web:inbox_open", args=[row.pk]))
    assert response.status_code == 302 and response["Location"] == "/quotes/7/"
    row.refresh_from_db()
    assert row.read_at is not None


def test_mark_all_read_and_the_unread_filter():
    alice = UserFactory()
    notify(kind=KIND, recipients=[alice], title="One")
    notify(kind=KIND, recipients=[alice], title="Two")
    client = client_for(alice)
    assert client.post(reverse("web:inbox_mark_all_read")).status_code == 302
    assert not Notification.objects.filter(read_at__isnull=True).exists()
    page = client.get(reverse("web:inbox") + "?show=unread").content.decode()
    assert "Nothing unread." in page and 'data-testid="inbox-unread"' not in page


def test_inbox_in_chinese():
    alice = UserFactory(preferred_language="zh-hans")
    notify(kind=KIND, recipients=[alice], title="x")
    page = client_for(alice, "zh-hans").get(reverse("web:inbox")).content.decode()
    assert "收件箱" in page and "全部标为已读" in page


def test_preferences_are_saved_and_audited():
    alice = UserFactory(email="alice@example.com")
    client = client_for(alice)
    page = client.get(reverse("web:notification_preferences")).content.decode()
    assert f'name="kind:{KIND}"' in page
    # when she chooses the digest for one kind (an unknown kind is ignored)
    response = client.post(reverse("web:notification_preferences"),
                           {f"kind:{KIND}": "digest", "kind:no.such_kind": "email"})
    # then it is stored and audited
    assert response.status_code == 302
    assert Preference.objects.get(user=alice, kind=KIND).delivery == "digest"
    event = AuditEvent.objects.get(event_type="notifications.preferences.changed")
    assert event.actor_id == alice.pk and event.detail["changed"][KIND] == {"from": "inbox", "to": "digest"}
    # choosing the default again removes the row
    client.post(reverse("web:notification_preferences"), {f"kind:{KIND}": "inbox"})
    assert not Preference.objects.filter(user=alice, kind=KIND).exists()


def test_watching_a_document_needs_access_and_is_audited():
    owner = UserFactory()
    stranger = UserFactory(department=None)
    doc = document(owner, classification="confidential")
    url = reverse("web:document_watch", args=[doc.pk])
    # no access: 404, nothing stored
    assert client_for(stranger).post(url, {"watch": "1"}).status_code == 404
    assert not Watch.objects.exists()
    # the owner: the page offers it, the toggle stores and audits it
    client = client_for(owner)
    assert 'data-testid="watch-toggle"' in client.get(reverse("web:document", args=[doc.pk])).content.decode()
    assert client.post(url, {"watch": "1"}).status_code == 302
    assert Watch.objects.filter(user=owner, document=doc).exists()
    assert AuditEvent.objects.filter(event_type="notifications.watch.started", actor_id=owner.pk).exists()
    page = client.get(reverse("web:document", args=[doc.pk])).content.decode()
    assert 'aria-pressed="true"' in page
    assert client.post(url, {"watch": "0"}).status_code == 302
    assert not Watch.objects.exists()
    assert AuditEvent.objects.filter(event_type="notifications.watch.stopped").exists()


def test_watching_a_customer_needs_access(people):
    customer = people["customer"]
    url = reverse("web:customer_watch", args=[customer.pk])
    assert client_for(people["outsider"]).post(url, {"watch": "1"}).status_code == 404
    assert client_for(people["owner"]).post(url, {"watch": "1"}).status_code == 302
    assert Watch.objects.filter(user=people["owner"], customer=customer).exists()
    page = client_for(people["owner"]).get(reverse("web:customer", args=[customer.pk])).content.decode()
    assert 'aria-pressed="true"' in page


def test_contact_email_consent_needs_change_access_and_is_audited(people):
    contact = Contact.objects.create(customer=people["customer"], name="刘洋", email="liu@example.cn")
    url = reverse("web:contact_email_consent", args=[people["customer"].pk, contact.pk])
    # a rep who may only see the customer, and one who may not see it: 404
    assert client_for(people["outsider"]).post(url, {"consented": "1"}).status_code == 404
    assert client_for(people["colleague"]).post(url, {"consented": "1"}).status_code == 404
    assert not ContactEmailConsent.objects.filter(consented=True).exists()
    # the owner records the contact's agreement
    client = client_for(people["owner"])
    assert client.post(url, {"consented": "1"}).status_code == 302
    assert ContactEmailConsent.objects.get(contact=contact).consented
    assert AuditEvent.objects.filter(event_type="notifications.contact_consent.changed",
                                     actor_id=people["owner"].pk).exists()
    page = client.get(reverse("web:customer", args=[people["customer"].pk])).content.decode()
    assert f'data-testid="email-consent-{contact.pk}"' in page and "agreed" in page


def test_unsubscribe_link_works_without_signing_in(client):
    customer = CustomerFactory()
    contact = Contact.objects.create(customer=customer, name="Liu Yang", email="liu@example.cn")
    consent = ContactEmailConsent.objects.create(contact=contact, consented=True)
    url = reverse("portal:unsubscribe", args=[consent.token])
    # GET asks (a link scanner unsubscribes nobody)
    response = client.get(url)
    assert response.status_code == 200 and 'data-testid="unsubscribe"' in response.content.decode()
    consent.refresh_from_db()
    assert consent.consented
    # POST (the button, or a mail client's one-click unsubscribe without a CSRF token) stops them
    response = client.post(url, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200 and 'data-testid="unsubscribed"' in response.content.decode()
    consent.refresh_from_db()
    assert not consent.consented and consent.withdrawn_at is not None
    event = AuditEvent.objects.get(event_type="notifications.contact_consent.changed")
    assert event.actor_id is None and event.detail == {"consented": False, "by": "unsubscribe_link"}
    # an unknown token: 404
    assert client.get(reverse("portal:unsubscribe", args=["nope"])).status_code == 404


def test_the_inbox_needs_a_signed_in_staff_user(client):
    from tests.portal_factories import portal_user

    # not signed in: the sign-in page
    response = client.get(reverse("web:inbox"))
    assert response.status_code == 302 and "/signin/" in response["Location"]
    # a customer's portal user: 404, like every staff URL
    reader = portal_user(CustomerFactory())
    assert client_for(reader).get(reverse("web:inbox")).status_code == 404
    assert client_for(reader).get(reverse("web:notification_preferences")).status_code == 404
