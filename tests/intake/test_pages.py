"""The intake queue's pages: who may open them (everyone else gets a 404), what they show (the reasons a
message waits, the rejected attachments), and assigning a message from the page (audited)."""

from __future__ import annotations

import pytest

from backend.accounts.models import Role
from backend.audit.models import AuditEvent
from backend.crm.models import Contact, DocumentLink
from backend.intake.models import IntakeMessage, MessageStatus
from backend.intake.services import message_take
from tests import factories
from tests.crm.factories import CustomerFactory, QuoteFactory
from tests.fixtures.clients import client_for
from tests.intake.messages import mail

pytestmark = pytest.mark.django_db

PROGRAM = ("tool.exe", b"MZ\x90\x00\x03" + b"\x00" * 400 + b"This program cannot be run in DOS mode",
           "application/octet-stream")
PDF = ("offer.pdf", factories.pdf_bytes("offer"), "application/pdf")


@pytest.fixture
def queued():
    raw = mail(sender="Wang <wang@newcomer.example>", subject="Inquiry about pumps", attachments=[PDF, PROGRAM])
    return message_take(mailbox="intake@test/INBOX", uidvalidity=7, uid=1, raw=raw)


def test_only_the_queues_roles_open_the_intake_pages(queued):
    sales = factories.UserFactory(role=Role.SALES)
    service = factories.UserFactory(role=Role.SERVICE)
    compliance = factories.UserFactory(role=Role.COMPLIANCE)
    staff = factories.UserFactory(role=Role.STAFF)

    for user in (sales, service):
        assert client_for(user).get("/intake/").status_code == 200
        assert client_for(user).get(f"/intake/{queued.pk}/").status_code == 200
    for user in (compliance, staff):
        assert client_for(user).get("/intake/").status_code == 404
        assert client_for(user).get(f"/intake/{queued.pk}/").status_code == 404
        assert client_for(user).post(f"/intake/{queued.pk}/", {"customer": "1"}).status_code == 404
    assert client_for(sales).get("/intake/999999/").status_code == 404


def test_the_queue_shows_why_a_message_waits_and_what_was_not_taken(queued):
    sales = factories.UserFactory(role=Role.SALES)

    page = client_for(sales).get("/intake/").content.decode()

    assert f'data-testid="intake-message-{queued.pk}"' in page
    assert "Inquiry about pumps" in page and "wang@newcomer.example" in page
    assert "No customer has a contact at this address or domain." in page
    assert "Not taken: files of type Windows executable (application/x-dosexec) are not allowed." in page
    assert 'data-testid="nav-intake"' in page


def test_the_queue_page_reads_in_chinese(queued):
    sales = factories.UserFactory(role=Role.SALES)
    page = client_for(sales, "zh-hans").get("/intake/").content.decode()

    assert "邮件收件" in page and "等待指定客户" in page


def test_assigning_a_message_from_the_page_files_its_documents(queued):
    customer = CustomerFactory(name="Newcomer Pumps")
    quote = QuoteFactory(customer=customer, number="Q-2026-000900")
    sales = factories.UserFactory(role=Role.SALES)

    # a customer the user cannot see is refused like a missing one (the form says so, nothing changes)
    hidden = client_for(sales).post(f"/intake/{queued.pk}/", {"customer": str(customer.pk)})
    assert hidden.status_code == 400 and "No such customer." in hidden.content.decode()
    assert IntakeMessage.objects.get(pk=queued.pk).status == MessageStatus.QUEUED

    # the customer's owner files it with the customer and its quote
    response = client_for(customer.owner).post(f"/intake/{queued.pk}/",
                                               {"customer": str(customer.pk), "quote": str(quote.pk)})

    assert response.status_code == 302 and response.url == "/intake/"
    message = IntakeMessage.objects.get(pk=queued.pk)
    assert message.status == MessageStatus.ASSIGNED and message.quote == quote
    assert DocumentLink.objects.filter(quote=quote).count() == 2  # the .eml and the PDF; not the program
    assert AuditEvent.objects.filter(event_type="intake.message.assigned", target_id=str(message.pk)).exists()
    # a second assignment is refused: it is no longer waiting
    again = client_for(customer.owner).post(f"/intake/{queued.pk}/", {"customer": str(customer.pk)})
    assert again.status_code == 200 and IntakeMessage.objects.get(pk=queued.pk).assigned_by == customer.owner


def test_a_message_from_a_contact_is_filed_without_the_queue():
    customer = CustomerFactory()
    Contact.objects.create(customer=customer, name="Chen", email="chen@client.example")
    message = message_take(mailbox="intake@test/INBOX", uidvalidity=7, uid=2,
                           raw=mail(sender="chen@client.example", subject="Hello"))

    page = client_for(customer.owner).get("/intake/").content.decode()

    assert message.status == MessageStatus.FILED
    assert f'data-testid="intake-filed-{message.pk}"' in page and 'data-testid="intake-queue-empty"' in page


def test_filed_mail_shows_only_to_those_who_see_its_customer():
    customer = CustomerFactory()
    Contact.objects.create(customer=customer, name="Chen", email="chen@client.example")
    message = message_take(mailbox="intake@test/INBOX", uidvalidity=7, uid=3,
                           raw=mail(sender="chen@client.example", subject="Confidential price list"))
    stranger = factories.UserFactory(role=Role.SALES)

    page = client_for(stranger).get("/intake/").content.decode()

    assert "Confidential price list" not in page
    assert client_for(stranger).get(f"/intake/{message.pk}/").status_code == 404
    assert client_for(customer.owner).get(f"/intake/{message.pk}/").status_code == 200


def test_the_queue_page_costs_the_same_queries_for_two_messages_or_six():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    customer = CustomerFactory()
    Contact.objects.create(customer=customer, name="Chen", email="chen@client.example")
    client = client_for(customer.owner)

    def take(uid: int, sender: str) -> None:
        message_take(mailbox="intake@test/INBOX", uidvalidity=9, uid=uid,
                     raw=mail(sender=sender, subject=f"Mail {uid}", attachments=[PDF, PROGRAM]))

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/intake/").status_code == 200
        return len(captured)

    take(1, "a@nowhere.example"), take(2, "chen@client.example")
    few = queries()
    for uid in range(3, 7):
        take(uid, "a@nowhere.example" if uid % 2 else "chen@client.example")

    assert queries() == few
