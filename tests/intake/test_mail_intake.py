"""Mail intake against a real IMAP server (dovecot): messages become documents of the right customer, the
rest wait in the queue, rejected attachments are listed, and each message is taken exactly once."""

from __future__ import annotations

import ssl

import pytest

from backend.accounts.models import Role
from backend.audit.models import AuditEvent
from backend.common.errors import NotFound
from backend.crm.models import Contact, DocumentLink
from backend.crm.selectors.links import customer_documents_visible
from backend.documents.models import Document
from backend.documents.store import object_store
from backend.intake.models import IntakeMessage, IntakePart, MatchedBy, MessageStatus, RejectReason
from backend.intake.parsing import parse_message
from backend.notifications.models import Notification
from backend.intake.services import mail_intake_poll, message_assign
from tests import factories
from tests.crm.factories import CustomerFactory, OrderFactory, QuoteFactory
from tests.intake.messages import mail

pytestmark = pytest.mark.django_db

PDF = ("quotation.pdf", factories.pdf_bytes("mailed quote"), "application/pdf")


@pytest.fixture
def acme():
    customer = CustomerFactory(name="Acme Trading")
    Contact.objects.create(customer=customer, name="Li Wei", email="Li.Wei@acme-trading.example")
    return customer


def test_a_message_from_a_contact_becomes_documents_of_their_customer(mailbox, acme):
    # given a contact's message with a PDF
    mailbox.append(mail(sender="Li Wei <li.wei@acme-trading.example>", subject="Our signed quotation",
                        attachments=[PDF]))

    # when the intake runs
    report = mail_intake_poll()

    # then the message and the PDF are documents of the customer's owner, linked to the customer
    message = IntakeMessage.objects.get()
    assert report.as_dict()["taken"] == 1
    assert message.status == MessageStatus.FILED and message.matched_by == MatchedBy.ADDRESS
    assert message.customer == acme and message.documents_owner == acme.owner
    documents = list(customer_documents_visible(user=acme.owner, customer=acme))
    assert sorted(d.valid_version.mime_type for d in documents) == ["application/pdf", "message/rfc822"]
    assert {d.owner for d in documents} == {acme.owner}
    assert AuditEvent.objects.filter(event_type="intake.message.filed", target_id=str(message.pk),
                                     customer_id=acme.pk).exists()
    # and the owner hears of it in their inbox
    note = Notification.objects.get(kind="sales.mail_filed", recipient=acme.owner)
    assert note.title == "Mail from Li Wei is filed with Acme Trading" and note.body == "Our signed quotation"
    # and the server has it marked \Seen, after the commit
    assert mailbox.flags() == {1: {"\\Seen"}}


def test_the_senders_domain_matches_when_the_address_does_not_but_never_a_public_domain(mailbox, acme):
    other = CustomerFactory(name="Personal Co")
    Contact.objects.create(customer=other, name="Zhang", email="zhang@qq.com")
    mailbox.append(mail(sender="purchasing@acme-trading.example", subject="Order forecast"))
    mailbox.append(mail(sender="someone@qq.com", subject="Hello"))

    mail_intake_poll()

    by_domain, by_public = IntakeMessage.objects.order_by("uid")
    assert (by_domain.status, by_domain.matched_by, by_domain.customer) == (MessageStatus.FILED, MatchedBy.DOMAIN,
                                                                           acme)
    assert (by_public.status, by_public.queue_reason, by_public.customer) == (MessageStatus.QUEUED, "no_match", None)


def test_a_quote_or_order_number_in_the_subject_links_to_that_record(mailbox, acme):
    quote = QuoteFactory(customer=acme, number="Q-2026-000042")
    rep = factories.UserFactory(username="order-rep")
    order = OrderFactory(customer=acme, owner=rep, number="SO-2026-AB12CD34")
    mailbox.append(mail(sender="stranger@elsewhere.example", subject="回复：报价 q-2026-000042 已盖章",
                        attachments=[PDF]))
    mailbox.append(mail(sender="li.wei@acme-trading.example", subject=f"Delivery note for {order.number}."))

    mail_intake_poll()

    by_quote, by_order = IntakeMessage.objects.order_by("uid")
    assert (by_quote.status, by_quote.matched_by, by_quote.customer, by_quote.quote) == (
        MessageStatus.FILED, MatchedBy.NUMBER, acme, quote)
    assert DocumentLink.objects.filter(quote=quote, customer=acme).count() == 2
    assert Document.objects.filter(kind="quote", owner=quote.owner).count() == 2
    # the order's documents belong to the order's owner, who is not the customer's
    assert (by_order.order, by_order.documents_owner) == (order, rep)
    assert DocumentLink.objects.filter(order=order, document__owner=rep).count() == 1


def test_a_number_of_another_customer_than_the_senders_waits_for_staff(mailbox, acme):
    QuoteFactory(number="Q-2026-000777")  # another customer's
    mailbox.append(mail(sender="li.wei@acme-trading.example", subject="About Q-2026-000777"))

    mail_intake_poll()

    message = IntakeMessage.objects.get()
    assert (message.status, message.queue_reason) == (MessageStatus.QUEUED, "conflict")
    assert not Document.objects.exists()


def test_unmatched_mail_waits_in_the_queue_until_staff_assign_it(mailbox, acme):
    mailbox.append(mail(sender="new.buyer@unknown.example", subject="Request for a quotation", attachments=[PDF]))
    mail_intake_poll()
    message = IntakeMessage.objects.get()
    assert message.status == MessageStatus.QUEUED and not Document.objects.exists()
    assert [p.filename for p in message.parts.all()] == ["Request for a quotation.eml", "quotation.pdf"]
    assert AuditEvent.objects.filter(event_type="intake.message.queued", target_id=str(message.pk)).exists()

    # a role outside the queue may not assign it
    compliance = factories.UserFactory(role=Role.COMPLIANCE)
    with pytest.raises(NotFound):
        message_assign(actor=compliance, message=message, customer=acme)

    # a sales colleague assigns it: the documents are made for the customer's owner and linked
    desk = factories.UserFactory(role=Role.ADMIN)
    assigned = message_assign(actor=desk, message=message, customer=acme)

    assert assigned.status == MessageStatus.ASSIGNED and assigned.assigned_by == desk
    assert customer_documents_visible(user=acme.owner, customer=acme).count() == 2
    assert IntakePart.objects.filter(message=message, document__isnull=False).count() == 2
    assert AuditEvent.objects.filter(event_type="intake.message.assigned", actor=desk, customer_id=acme.pk).exists()
    assert Notification.objects.filter(kind="sales.mail_filed", recipient=acme.owner).count() == 1


def test_rejected_attachments_are_listed_with_their_reason(mailbox, acme, settings):
    settings.MAIL_INTAKE_MAX_ATTACHMENT_BYTES = 10_000
    program = ("setup.exe", b"MZ\x90\x00\x03" + b"\x00" * 400 + b"This program cannot be run in DOS mode", "application/octet-stream")
    huge = ("scan.pdf", factories.pdf_bytes("big") + b"%" * 20_000, "application/pdf")
    mailbox.append(mail(sender="li.wei@acme-trading.example", subject="Files", attachments=[PDF, program, huge]))

    mail_intake_poll()

    message = IntakeMessage.objects.get()
    parts = {p.filename: p for p in message.parts.all()}
    assert parts["quotation.pdf"].document is not None and not parts["quotation.pdf"].rejected
    assert parts["setup.exe"].rejected == RejectReason.TYPE and parts["setup.exe"].document is None
    assert parts["setup.exe"].mime_type == "application/x-dosexec"
    assert parts["scan.pdf"].rejected == RejectReason.SIZE and parts["scan.pdf"].document is None
    event = AuditEvent.objects.get(event_type="intake.message.filed")
    assert {r["filename"]: r["reason"] for r in event.detail["rejected"]} == {"setup.exe": "type", "scan.pdf": "size"}
    # the .eml document does not smuggle them in: each is replaced by a note saying why
    eml = parts["Files.eml"].document.valid_version
    with object_store().open(eml.object_key) as reader:
        stored = reader.read()
    filed = parse_message(stored)
    assert not any(b"cannot be run in DOS mode" in a.content or b"%%%%%%%%%%" in a.content for a in filed.attachments)
    assert [a.filename for a in filed.attachments] == ["quotation.pdf", "setup.exe.removed.txt", "scan.pdf.removed.txt"]
    assert b"removed the attachment setup.exe: its type (application/x-dosexec) is not allowed" in \
        filed.attachments[1].content
    # while the message as it came is kept on its row, for the record
    with object_store().open(message.object_key) as reader:
        kept = parse_message(reader.read())
    assert b"cannot be run in DOS mode" in kept.attachments[1].content


def test_each_message_is_taken_exactly_once(mailbox, acme):
    raw = mail(sender="li.wei@acme-trading.example", subject="Contract", attachments=[PDF])
    mailbox.append(raw)
    first = mail_intake_poll()
    made = Document.objects.count()

    # the pass died after its commit but before \Seen: the next pass finds the message recorded
    mailbox.unsee()
    second = mail_intake_poll()

    assert (len(first.taken), len(second.taken), second.already) == (1, 0, 1)
    assert Document.objects.count() == made == 2
    assert IntakeMessage.objects.count() == 1
    assert mailbox.flags() == {1: {"\\Seen"}}

    # the same message delivered again (another UID, the same Message-ID) is recorded as a duplicate only
    mailbox.append(raw)
    mail_intake_poll()

    again = IntakeMessage.objects.get(uid=2)
    assert again.status == MessageStatus.DUPLICATE and again.duplicate_of.uid == 1
    assert Document.objects.count() == made


def test_the_command_and_the_beat_task_take_the_mailbox(mailbox, acme, settings):
    from io import StringIO

    from django.core.management import call_command

    from backend.intake.tasks import poll_mailbox

    mailbox.append(mail(sender="li.wei@acme-trading.example", subject="First"))
    out = StringIO()
    call_command("mail_intake", "--once", stdout=out)
    assert "1 taken, 0 already recorded, 0 failed" in out.getvalue()

    mailbox.append(mail(sender="li.wei@acme-trading.example", subject="Second"))
    assert poll_mailbox() == {"mailbox": f"intake@127.0.0.1:{mailbox.port}/INBOX", "taken": 1, "already": 0,
                              "failed": 0}
    settings.MAIL_INTAKE_URL = ""
    assert poll_mailbox()["taken"] == 0
    assert IntakeMessage.objects.filter(status=MessageStatus.FILED).count() == 2


def test_a_left_owners_customer_files_under_the_intake_account_or_waits(acme, settings):
    from backend.intake.services import message_take

    acme.owner.is_active = False
    acme.owner.save(update_fields=["is_active"])
    raw = mail(sender="li.wei@acme-trading.example", subject="While you were away")

    # without an intake account nobody could own the documents: the message waits
    settings.MAIL_INTAKE_USER = ""
    waiting = message_take(mailbox="intake@test/INBOX", uidvalidity=1, uid=1, raw=raw)
    assert (waiting.status, waiting.queue_reason, waiting.customer) == (MessageStatus.QUEUED, "no_owner", acme)

    # with one (an administrator), they are its documents
    admin = factories.UserFactory(username="mail-intake", role=Role.ADMIN)
    settings.MAIL_INTAKE_USER = "mail-intake"
    filed = message_take(mailbox="intake@test/INBOX", uidvalidity=1, uid=2,
                         raw=mail(sender="li.wei@acme-trading.example", subject="Again"))
    assert (filed.status, filed.documents_owner) == (MessageStatus.FILED, admin)


def test_a_domain_two_customers_share_matches_neither(acme):
    from backend.intake.services import message_take

    Contact.objects.create(customer=CustomerFactory(), name="Other", email="buyer@acme-trading.example")

    message = message_take(mailbox="intake@test/INBOX", uidvalidity=1, uid=1,
                           raw=mail(sender="new.person@acme-trading.example", subject="Hello"))

    assert (message.status, message.queue_reason) == (MessageStatus.QUEUED, "ambiguous")


def test_taken_messages_can_be_moved_to_a_done_folder(mailbox, acme, settings):
    with mailbox.client() as imap:
        imap.create("Filed")
    settings.MAIL_INTAKE_DONE_FOLDER = "Filed"
    mailbox.append(mail(sender="li.wei@acme-trading.example", subject="Move me"))

    mail_intake_poll()

    assert mailbox.flags() == {} and ["\\Seen" in flags for flags in mailbox.flags("Filed").values()] == [True]
    assert IntakeMessage.objects.get().status == MessageStatus.FILED


def test_an_imaps_mailbox_is_read_over_tls_with_its_certificate_checked(imaps_server, acme, settings):
    imaps_server.append(mail(sender="li.wei@acme-trading.example", subject="Over TLS", attachments=[PDF]))
    settings.MAIL_INTAKE_URL = imaps_server.url()

    # a certificate nobody said to trust is refused, and nothing is taken
    settings.MAIL_INTAKE_CA_FILE = ""
    with pytest.raises(ssl.SSLCertVerificationError):
        mail_intake_poll()
    assert not IntakeMessage.objects.exists()

    # trusted, the message is taken as over plain IMAP
    settings.MAIL_INTAKE_CA_FILE = str(imaps_server.ca_file)
    mail_intake_poll()

    assert IntakeMessage.objects.get().status == MessageStatus.FILED
    assert imaps_server.flags() == {1: {"\\Seen"}}


def test_a_message_over_the_limit_is_recorded_from_its_headers_and_waits(mailbox, acme, settings):
    settings.MAIL_INTAKE_MAX_MESSAGE_BYTES = 4_000
    big = ("drawings.pdf", factories.pdf_bytes("big") + b"%" * 8_000, "application/pdf")
    mailbox.append(mail(sender="li.wei@acme-trading.example", subject="All the drawings", attachments=[big]))

    mail_intake_poll()

    message = IntakeMessage.objects.get()
    assert (message.status, message.queue_reason, message.subject) == (MessageStatus.QUEUED, "too_large",
                                                                       "All the drawings")
    assert message.size < 4_000  # only the headers were fetched
    assert [(p.kind, p.rejected) for p in message.parts.all()] == [("message", RejectReason.SIZE)]
    assert not Document.objects.exists() and mailbox.flags() == {1: {"\\Seen"}}


def test_a_malformed_message_is_recorded_and_waits(acme):
    from backend.intake.services import message_take

    message = message_take(mailbox="intake@test/INBOX", uidvalidity=1, uid=1,
                           raw=b"\xff\xfe not a mail at all\r\n\r\n\x00\x01")

    assert (message.status, message.queue_reason, message.sender, message.message_id) == (
        MessageStatus.QUEUED, "no_match", "", "")
