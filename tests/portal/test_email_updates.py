"""A customer's contact turns our e-mails on and off in the portal (issue 17): their own consent, audited as
theirs, the same row the unsubscribe link and staff change; no one else's."""

from __future__ import annotations

import pytest

from backend.audit.models import AuditEvent
from backend.common.errors import InvalidInput
from backend.notifications.customers import contact_email_consent_set_own, has_consent
from backend.notifications.models import ContactEmailConsent
from tests.fixtures.clients import client_for, portal_client

pytestmark = pytest.mark.django_db(transaction=False)


def test_a_contact_turns_the_emails_on_and_off_and_each_change_is_audited_as_theirs(world):
    contact = world.alice.portal_account.contact
    assert not has_consent(contact)
    client = portal_client(world.alice)

    # the page says nothing is sent, and offers to start
    page = client.get("/portal/email/").content.decode()
    assert 'data-testid="email-updates-off"' in page and 'data-testid="email-updates-start"' in page

    # when she asks for the e-mails
    response = client.post("/portal/email/", {"consented": "1"})
    assert response.status_code == 302
    contact.refresh_from_db()
    assert has_consent(contact)
    assert contact.email in client.get("/portal/email/").content.decode()

    # and stops them again
    client.post("/portal/email/", {"consented": "0"})
    assert not has_consent(contact)
    events = AuditEvent.objects.filter(event_type="notifications.contact_consent.changed").order_by("id")
    assert [(e.actor_id, e.detail["consented"], e.detail["by"]) for e in events] == [
        (world.alice.pk, True, "contact"), (world.alice.pk, False, "contact")]
    # and the unsubscribe link in later e-mails is the same row's
    assert ContactEmailConsent.objects.filter(contact=contact).count() == 1


def test_asking_twice_changes_nothing_and_records_nothing_more(world):
    assert contact_email_consent_set_own(actor=world.alice, consented=True) is True
    assert contact_email_consent_set_own(actor=world.alice, consented=True) is False
    assert AuditEvent.objects.filter(event_type="notifications.contact_consent.changed").count() == 1


def test_without_an_address_the_emails_cannot_be_turned_on(world):
    contact = world.alice.portal_account.contact
    contact.email = ""
    contact.save(update_fields=["email"])
    with pytest.raises(InvalidInput):
        contact_email_consent_set_own(actor=world.alice, consented=True)
    assert not ContactEmailConsent.objects.filter(contact=contact, consented=True).exists()


def test_staff_and_anonymous_visitors_do_not_get_the_page(world, client):
    assert client.get("/portal/email/").status_code == 302  # to the portal sign-in
    staff = client_for(world.staff["rep"])
    assert staff.get("/portal/email/").status_code == 302
    assert not ContactEmailConsent.objects.exists()


def test_the_page_speaks_chinese(world):
    page = portal_client(world.alice, "zh-hans").get("/portal/email/").content.decode()
    assert "邮件通知" in page
