"""Each trigger: once, to the right people, respecting preferences and consent; customers' e-mails reach a
real SMTP server."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from backend.crm.models import Activity, ActivityKind, Contact, ServiceRecord
from backend.crm.services.portal_questions import portal_question_ask
from backend.crm.services.quote_pdf import quote_decide_by_customer, quote_send
from backend.crm.services.quotes import quote_create
from backend.documents.services import document_update, document_version_create
from backend.documents.versions import document_version_approve
from backend.notifications import triggers
from backend.notifications.models import ContactEmailConsent, Notification, Watch
from backend.sharing.shares import document_share_create, share_open
from tests.crm.factories import CustomerFactory, InvoiceFactory, OrderFactory, ProductFactory, QuoteFactory
from tests.factories import UserFactory, document, upload_source
from tests.portal_factories import portal_user

pytestmark = pytest.mark.django_db


def _titles(user, kind=None):
    rows = Notification.objects.filter(recipient=user)
    if kind:
        rows = rows.filter(kind=kind)
    return sorted(rows.values_list("title", flat=True))


# --- sales ----------------------------------------------------------------------------------------


def test_a_portal_question_notifies_the_account_manager_and_the_reminder_pass_does_not_repeat_it(people):
    asker = portal_user(people["customer"])
    portal_question_ask(actor=asker, subject="Spare parts", message="Do you stock spindles?")
    assert _titles(people["owner"], "sales.customer_question") == ["上海华东精密机械有限公司 asks: [门户 Portal] Spare parts"]
    # the question is a reminder due at once: the reminder pass leaves it alone
    assert triggers.reminders_due() == 0


def test_a_due_reminder_is_told_once_and_again_when_moved(people):
    owner, customer = people["owner"], people["customer"]
    now = timezone.now()
    reminder = Activity.objects.create(customer=customer, kind=ActivityKind.REMINDER, subject="Call about the bid",
                                       owner=owner, created_at=now - dt.timedelta(days=2),
                                       due_at=now - dt.timedelta(minutes=5))
    Activity.objects.create(customer=customer, kind=ActivityKind.REMINDER, subject="Done already", owner=owner,
                            done=True, created_at=now - dt.timedelta(days=2), due_at=now - dt.timedelta(minutes=5))
    Activity.objects.create(customer=customer, kind=ActivityKind.REMINDER, subject="Not yet", owner=owner,
                            created_at=now - dt.timedelta(days=2), due_at=now + dt.timedelta(hours=1))
    # when the pass runs twice
    assert triggers.reminders_due(now=now) == 1
    assert triggers.reminders_due(now=now) == 0
    assert _titles(owner) == [f"Reminder due: Call about the bid ({customer.name})"]
    # when the reminder is moved to later and that time comes, it is told again
    Activity.objects.filter(pk=reminder.pk).update(due_at=now + dt.timedelta(hours=2))
    later = now + dt.timedelta(hours=3)
    assert triggers.reminders_due(now=later) == 2  # it, and "Not yet" now due
    assert triggers.reminders_due(now=later) == 0


def test_a_customer_answer_to_a_sent_quote_reaches_the_rep_and_the_quote_reached_consenting_contacts(
        people, smtp_server, django_capture_on_commit_callbacks):
    lathe = ProductFactory(list_price=Decimal("1000.00"))
    customer = people["customer"]
    buyer = portal_user(customer, email="buyer@example.cn", name="Liu Yang")
    silent = portal_user(customer, email="silent@example.cn", name="Ma Li")
    ContactEmailConsent.objects.create(contact=Contact.objects.get(email="buyer@example.cn"), consented=True)
    quote, _ = quote_create(actor=people["owner"], customer=customer, number="Q-2026-0300",
                            valid_until=timezone.localdate() + dt.timedelta(days=30),
                            lines=[{"product": lathe.pk, "quantity": "1", "unit_price": "1000"}])
    # when the rep sends it
    with django_capture_on_commit_callbacks(execute=True):
        share = quote_send(actor=people["owner"], quote=quote)
    # then only the contact who agreed got one e-mail (the quote to answer, not also "a new document")
    assert [m["To"] for m in smtp_server.messages] == ["buyer@example.cn"]
    assert "Q-2026-0300" in smtp_server.messages[0]["Subject"]
    assert not smtp_server.to("silent@example.cn") and silent
    # when the customer declines it in the portal
    quote_decide_by_customer(actor=buyer, share=share, accept=False, comment="Too expensive")
    assert _titles(people["owner"], "sales.quote_decided") == [f"{customer.name} declined quote Q-2026-0300"]
    assert Notification.objects.get(kind="sales.quote_decided").body == "Too expensive"


def test_quotes_about_to_expire_and_overdue_invoices_are_told_once(people):
    owner, customer = people["owner"], people["customer"]
    today = timezone.localdate()
    QuoteFactory(customer=customer, owner=owner, number="Q-SOON", status="sent", valid_until=today + dt.timedelta(days=2))
    QuoteFactory(customer=customer, owner=owner, number="Q-LATER", status="sent", valid_until=today + dt.timedelta(days=20))
    QuoteFactory(customer=customer, owner=owner, number="Q-DRAFT", status="draft", valid_until=today + dt.timedelta(days=1))
    order = OrderFactory(customer=customer, owner=owner)
    InvoiceFactory(order=order, number="INV-LATE", amount=Decimal("500"), issued_on=today - dt.timedelta(days=40),
                   due_on=today - dt.timedelta(days=10))
    InvoiceFactory(order=order, number="INV-OK", amount=Decimal("500"), issued_on=today, due_on=today + dt.timedelta(days=20))
    for _ in range(2):
        triggers.quotes_expiring()
        triggers.invoices_overdue()
    titles = _titles(owner)
    assert titles == sorted([
        f"Invoice INV-LATE of {customer.name} was due on {(today - dt.timedelta(days=10)).isoformat()}",
        f"Quote Q-SOON for {customer.name} expires on {(today + dt.timedelta(days=2)).isoformat()}"])


# --- documents ------------------------------------------------------------------------------------


def test_watchers_hear_of_new_versions_and_approvals_while_they_may_see_the_document(people):
    owner, colleague, outsider = people["owner"], people["colleague"], people["outsider"]
    doc = document(owner, classification="internal")  # the owner's department sees it
    Watch.objects.create(user=colleague, document=doc)
    Watch.objects.create(user=outsider, document=doc)  # a watch left from when they could see it
    # when the owner uploads a version and approves it
    version, _ = document_version_create(actor=owner, document=doc, upload=upload_source())
    document_version_approve(actor=owner, version=version)
    # then the colleague hears of both, the outsider of neither, the owner (who acted) of nothing
    assert _titles(colleague) == [f"New version 2 of “{doc.title}”", f"Version 2 of “{doc.title}” is approved"]
    assert _titles(outsider) == [] and _titles(owner) == []


def test_watching_a_customer_covers_its_documents(people):
    from backend.crm.services.links import document_link_create

    doc = document(people["owner"])
    document_link_create(actor=people["owner"], document=doc, target=people["customer"])
    Watch.objects.create(user=people["colleague"], customer=people["customer"])
    document_version_create(actor=people["owner"], document=doc, upload=upload_source())
    assert _titles(people["colleague"]) == [f"New version 2 of “{doc.title}”"]


def test_a_four_eyes_version_waits_for_someone_else(people, settings):
    settings.DOCUMENT_FOUR_EYES_CLASSIFICATIONS = ["confidential"]
    owner = people["owner"]
    doc = document(owner, classification="confidential")
    uploader = UserFactory(department=owner.department)
    from backend.access.services import document_permission_grant

    document_permission_grant(actor=owner, document=doc, level="change", user=uploader)
    document_version_create(actor=uploader, document=doc, upload=upload_source())
    assert _titles(owner, "documents.approval_waiting") == [f"Version 2 of “{doc.title}” waits for your approval"]
    assert _titles(uploader) == []


def test_a_share_opened_by_the_customer_is_told_to_the_sharer_once(people):
    owner, customer = people["owner"], people["customer"]
    doc = document(owner, content=b"plain text to share\n", filename="note.txt")
    share = document_share_create(actor=owner, document=doc, customer=customer)
    reader = portal_user(customer, name="Liu Yang")
    share_open(actor=reader, share=share)
    share_open(actor=reader, share=share)
    assert _titles(owner, "documents.share_opened") == [f"{customer.name} opened “{doc.title}”"]


def test_a_reclassification_that_stops_shares_is_told_to_the_sharer(people):
    owner, colleague, customer = people["owner"], people["colleague"], people["customer"]
    from backend.access.services import document_permission_grant

    doc = document(owner, classification="internal")
    document_permission_grant(actor=owner, document=doc, level="change", user=colleague)
    share = document_share_create(actor=colleague, document=doc, customer=customer)
    # when the owner raises it to confidential (the colleague may not manage it)
    document_update(actor=owner, document=doc, classification="confidential")
    share.refresh_from_db()
    assert share.suspended_at is not None
    assert _titles(colleague, "documents.shares_suspended") == [f"Shares of “{doc.title}” are stopped"]


def test_shares_and_approvals_about_to_end_are_told_to_the_owner_once(people):
    owner, customer = people["owner"], people["customer"]
    doc = document(owner)
    document_share_create(actor=owner, document=doc, customer=customer,
                          expires_at=timezone.now() + dt.timedelta(days=2))
    approved = document(owner, title="Price list")
    version, _ = document_version_create(actor=owner, document=approved, upload=upload_source())
    document_version_approve(actor=owner, version=version, valid_until=timezone.localdate() + dt.timedelta(days=3))
    assert triggers.documents_expiring() == 2
    assert triggers.documents_expiring() == 0
    assert len(_titles(owner, "documents.expiring")) == 2


# --- customers, by e-mail -------------------------------------------------------------------------


def test_a_service_request_step_is_e_mailed_to_the_contact_who_agreed(people, smtp_server,
                                                                      django_capture_on_commit_callbacks):
    from backend.crm.services.service import service_record_dispatch
    from tests.crm.factories import service_engineer

    customer = people["customer"]
    contact = Contact.objects.create(customer=customer, name="Liu Yang", email="liu@example.cn")
    ContactEmailConsent.objects.create(contact=contact, consented=True)
    record = ServiceRecord.objects.create(customer=customer, title="Spindle noise", created_by=people["owner"],
                                          contact=contact)
    engineer = service_engineer()
    with django_capture_on_commit_callbacks(execute=True):
        service_record_dispatch(actor=engineer, record=record, engineer=engineer)
    [message] = smtp_server.to("liu@example.cn")
    assert "Spindle noise" in message["Subject"]
    assert "/portal/service/" in smtp_server.text(message) and "/portal/unsubscribe/" in smtp_server.text(message)


def test_a_new_share_is_e_mailed_to_portal_contacts_who_agreed(people, smtp_server,
                                                              django_capture_on_commit_callbacks):
    customer = people["customer"]
    portal_user(customer, email="yes@example.cn")
    portal_user(customer, email="no@example.cn")
    ContactEmailConsent.objects.create(contact=Contact.objects.get(email="yes@example.cn"), consented=True)
    doc = document(people["owner"], title="Installation guide")
    with django_capture_on_commit_callbacks(execute=True):
        document_share_create(actor=people["owner"], document=doc, customer=customer)
    assert [m["To"] for m in smtp_server.messages] == ["yes@example.cn"]
    assert "Installation guide" in smtp_server.messages[0]["Subject"]
