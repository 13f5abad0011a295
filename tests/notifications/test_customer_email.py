"""E-mails to customers' contacts: only with consent, once per key, each with a working unsubscribe link."""

from __future__ import annotations

import pytest

from backend.crm.models import Contact
from backend.notifications.customers import email_contact
from backend.notifications.models import ContactEmailConsent
from tests.crm.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def _contact(name, email, consented):
    contact = Contact.objects.create(customer=CustomerFactory(), name=name, email=email)
    if consented is not None:
        ContactEmailConsent.objects.create(contact=contact, consented=consented)
    return contact


def test_only_contacts_who_agreed_are_emailed_once_with_an_unsubscribe_link(
        smtp_server, client, django_capture_on_commit_callbacks):
    agreed = _contact("Liu Yang", "liu@example.cn", True)
    withdrew = _contact("Ma Li", "ma@example.cn", False)
    never_asked = _contact("Zhou Min", "zhou@example.cn", None)
    # when each is e-mailed about a new share, twice with the same key
    with django_capture_on_commit_callbacks(execute=True):
        for contact in (agreed, withdrew, never_asked, agreed):
            email_contact(kind="customer.share_new", contact=contact, subject="A new document for you",
                          body="Open it in the portal.", link="/portal/shared/3/", once_key="share-3")
    # then only the one who agreed received it, once
    assert [m["To"] for m in smtp_server.messages] == ["liu@example.cn"]
    message = smtp_server.messages[0]
    text = smtp_server.text(message)
    assert "Dear Liu Yang," in text and "/portal/shared/3/" in text
    token = ContactEmailConsent.objects.get(contact=agreed).token
    assert f"/portal/unsubscribe/{token}/" in text
    assert f"/portal/unsubscribe/{token}/" in message["List-Unsubscribe"]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # and after unsubscribing through the link, nothing more is sent
    client.post(f"/portal/unsubscribe/{token}/")
    with django_capture_on_commit_callbacks(execute=True):
        assert email_contact(kind="customer.share_new", contact=agreed, subject="Another", body="x",
                             once_key="share-4") is False
    assert len(smtp_server.messages) == 1
