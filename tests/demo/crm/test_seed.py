"""The CRM demo: seeded through the services, covering every stage and state, idempotent."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.utils.timezone import localdate

from backend.accounts.models import Role
from backend.audit.models import AuditEvent
from backend.crm import reports
from backend.crm.models import (
    Activity,
    ArticleStatus,
    Customer,
    DispatchState,
    DocumentLink,
    Invoice,
    KnowledgeArticle,
    Opportunity,
    Order,
    Payment,
    Quote,
    ServiceRecord,
    Stage,
)
from backend.documents.services import document_create
from demo.crm.plan import ACTIVITIES
from demo.crm.seed import seed_crm_demo
from tests import factories

pytestmark = pytest.mark.django_db

DEMO_PEOPLE = {
    "admin": (Role.ADMIN, "management"), "wang.fang": (Role.SALES, "sales-east"),
    "sarah.chen": (Role.SALES, "sales-east"), "chen.jing": (Role.SALES, "sales-east"),
    "zhang.wei": (Role.SALES, "sales-north"), "li.lei": (Role.SALES, "sales-north"),
    "liu.yang": (Role.SERVICE, "service"), "tom.becker": (Role.SERVICE, "service"),
}


@pytest.fixture
def demo_users():
    users = {}
    for username, (role, department) in DEMO_PEOPLE.items():
        users[username] = factories.UserFactory(username=username, role=role,
                                                department=factories.DepartmentFactory(code=department))
    return users


def test_the_demo_covers_every_stage_and_state_through_the_services(demo_users):
    # given the demo users and the demo's Huadong contract
    contract, _ = document_create(
        actor=demo_users["wang.fang"], title="销售合同 HD-2026-031", kind="contract", classification="confidential",
        upload=factories.upload_source(), idempotency_key="demo:contract-huadong")
    out = io.StringIO()

    # when the CRM demo is seeded
    report = seed_crm_demo(stdout=out)

    # then there are a few dozen customers with Chinese and English names, owned by the sales reps
    customers = Customer.objects.all()
    assert not report.already_present and "CRM demo seeded" in out.getvalue()
    assert customers.count() == 32
    assert customers.filter(name__regex=r"[\u4e00-\u9fff]").count() >= 15
    assert customers.filter(name__regex=r"^[A-Za-z]").count() >= 8
    assert set(customers.values_list("owner__username", flat=True)) == {
        "wang.fang", "sarah.chen", "chen.jing", "zhang.wei", "li.lei"}
    # deals at every stage, with a recorded history
    assert set(Opportunity.objects.values_list("stage", flat=True)) == set(Stage.values)
    assert Opportunity.objects.filter(stage=Stage.LOST).exclude(lost_reason="").count() == \
        Opportunity.objects.filter(stage=Stage.LOST).count()
    # quotes with lines, some customers quoted by two reps
    assert Quote.objects.filter(lines__isnull=True).count() == 0
    two_reps = [c for c in customers if c.quotes.values("owner").distinct().count() >= 2]
    assert len(two_reps) >= 3
    # orders with partial payments, prepayment, overdue invoices, and the contract linked
    assert Order.objects.count() >= 10 and Invoice.objects.count() >= 8 and Payment.objects.count() >= 6
    receivables = reports.receivables(user=demo_users["admin"]).summary
    assert any(row["overdue"] > 0 for row in receivables) and any(row["paid"] > 0 for row in receivables)
    assert {row["currency"] for row in receivables} == {"CNY", "USD", "EUR"}
    assert DocumentLink.objects.filter(document=contract, target_type="order",
                                       order__number="HD-2026-031").exists()
    # service records in every dispatch state, rated where resolved
    assert set(ServiceRecord.objects.values_list("dispatch_state", flat=True)) == set(DispatchState.values)
    assert ServiceRecord.objects.filter(satisfaction__isnull=False).count() >= 4
    service = reports.service_statistics(user=demo_users["admin"]).summary
    assert service["mean_hours_to_confirm"] > 0 and service["complaints"] >= 2
    # knowledge articles: published (internal and portal), drafts, and one made from a service record
    articles = KnowledgeArticle.objects.all()
    assert articles.filter(status=ArticleStatus.PUBLISHED).count() >= 3
    assert articles.filter(status=ArticleStatus.DRAFT).count() >= 2
    assert articles.filter(source_service_record__isnull=False).exists()
    assert articles.filter(visibility="portal").exists()
    # activities, with open reminders (some overdue) and one done
    reminders = Activity.objects.filter(kind="reminder")
    assert reminders.filter(done=True).exists() and reminders.filter(done=False).count() >= 6
    # and every record was written through an audited service
    assert AuditEvent.objects.filter(event_type="crm.customer.created").count() == 32
    assert AuditEvent.objects.filter(event_type="crm.order.created").count() == Order.objects.count()
    assert AuditEvent.objects.filter(event_type="crm.payment.recorded").count() == Payment.objects.count()
    # and the reports have months of history to show
    assert len({row["period"] for row in reports.sales_funnel(user=demo_users["admin"]).rows}) >= 6
    assert reports.won_lost(user=demo_users["admin"]).summary["reasons"]


def test_seeding_twice_changes_nothing(demo_users):
    # given a seeded demo
    seed_crm_demo()
    counts = (Customer.objects.count(), Order.objects.count(), AuditEvent.objects.count())

    # when it is seeded again
    again = seed_crm_demo(stdout=io.StringIO())

    # then it says so and writes nothing
    assert again.already_present
    assert (Customer.objects.count(), Order.objects.count(), AuditEvent.objects.count()) == counts


def test_without_the_demo_users_nothing_is_written():
    out = io.StringIO()
    report = seed_crm_demo(stdout=out)
    assert report.missing_users and "missing users" in out.getvalue()
    assert not Customer.objects.exists()


def test_money_in_the_demo_is_decimal(demo_users):
    seed_crm_demo()
    order = Order.objects.get(number="HD-2026-031")
    assert all(isinstance(line.line_total, Decimal) for line in order.lines.all())


def test_the_admin_lists_searches_and_shows_every_crm_model_read_only(demo_users, client):
    # given a seeded demo, its confidential contract, and the demo's administrator (the admin role, not a
    # Django superuser)
    from django.contrib import admin as django_admin

    from backend.access.policy.admin import admin_queryset

    contract, _ = document_create(
        actor=demo_users["wang.fang"], title="销售合同 HD-2026-031", kind="contract", classification="confidential",
        upload=factories.upload_source(), idempotency_key="demo:contract-huadong")
    seed_crm_demo()
    administrator = demo_users["admin"]
    administrator.is_staff, administrator.is_superuser = True, False
    administrator.save()
    client.force_login(administrator)
    crm_models = [model for model in django_admin.site._registry if model._meta.app_label == "crm"]
    assert len(crm_models) == 16

    for model in crm_models:
        base = f"/admin/crm/{model._meta.model_name}/"
        # when the change list, a search and the first row the policy shows them are opened
        listing = client.get(base)
        searched = client.get(base, {"q": "华东"})
        first = admin_queryset(administrator, model._default_manager.all()).first()
        detail = client.get(f"{base}{first.pk}/change/") if first else None
        # then they render, and nothing offers to add or delete
        assert listing.status_code == searched.status_code == 200, model
        assert detail is None or detail.status_code == 200
        assert client.get(f"{base}add/").status_code == 403
        # and the confidential contract's title shows nowhere (the administrator has no grant on it)
        for response in (listing, searched, detail):
            assert response is None or contract.title.encode() not in response.content, model
    order = Order.objects.get(number="HD-2026-031")
    assert order.contract_document_id == contract.pk
    assert contract.title.encode() not in client.get(f"/admin/crm/order/{order.pk}/change/").content


def test_demo_contacts_carry_preferences(demo_users):
    from backend.crm.models import Contact

    # when the CRM demo is seeded
    seed_crm_demo(stdout=io.StringIO())
    # then some contacts prefer a channel, and one opted out of marketing (with when), through the service
    preferences = {c.customer.code: (c.preferred_channel, c.marketing_opt_out, c.marketing_opt_out_at is not None)
                   for c in Contact.objects.select_related("customer").exclude(preferred_channel="")}
    assert {channel for channel, _opt_out, _when in preferences.values()} == {"wechat", "email", "phone"}
    assert [(opt_out, when) for _channel, opt_out, when in preferences.values() if opt_out] == [(True, True)]
    assert AuditEvent.objects.filter(event_type="crm.contact.created", detail__marketing_opt_out=True).count() == 1


def test_every_seeded_quote_has_a_file_the_360_downloads(demo_users, client):
    # given two of the demo's old quote files: Huadong's (two draft versions, a seeded deal's quote) and
    # Rhein's (made for the customer, but no seeded quote carries it)
    huadong_file, _ = document_create(
        actor=demo_users["wang.fang"], title="报价单 QT-2026-0112", kind="quote", classification="internal",
        upload=factories.upload_source(), idempotency_key="demo:quote-huadong")
    rhein_file, _ = document_create(
        actor=demo_users["sarah.chen"], title="Quotation QT-2026-0180", kind="quote", classification="internal",
        upload=factories.upload_source(), idempotency_key="demo:quote-rhein")

    # when the CRM demo is seeded
    seed_crm_demo(stdout=io.StringIO())

    # then every quote has a file with a valid version: the old file where the deal names one (the quote
    # takes its number), else its PDF drawn from its lines
    quotes = Quote.objects.select_related("document__valid_version")
    assert quotes.filter(document__isnull=True).count() == 0
    assert all(q.document.valid_version_id is not None for q in quotes)
    huadong_quote = Quote.objects.get(number="QT-2026-0112")
    assert huadong_quote.document_id == huadong_file.pk and huadong_quote.customer.code == "QH-C-001"
    drawn = quotes.exclude(document__in=[huadong_file, rhein_file])
    assert {q.document.valid_version.mime_type for q in drawn} == {"application/pdf"}
    assert AuditEvent.objects.filter(event_type="crm.quote.pdf_generated").count() == drawn.count()
    # and the old files are linked to their customers, Rhein's without a quote
    assert DocumentLink.objects.filter(document=huadong_file, target_type="quote", quote=huadong_quote).exists()
    assert DocumentLink.objects.filter(document=rhein_file, target_type="customer", customer__code="QH-C-010").exists()
    assert not Quote.objects.filter(document=rhein_file).exists()
    # and on the customer 360 the owner downloads the file of every quote row
    client.force_login(demo_users["wang.fang"])
    customer = huadong_quote.customer
    page = client.get(f"/customers/{customer.pk}/")
    assert page.status_code == 200
    for quote in customer.quotes.all():
        assert f'data-testid="quote-doc-{quote.number}"'.encode() in page.content
        assert client.get(f"/documents/{quote.document_id}/download/").status_code == 200


def test_the_demo_is_coherent_in_time(demo_users):
    # when the CRM demo is seeded
    seed_crm_demo(stdout=io.StringIO())

    # then a won deal's quote was made and sent before its order was signed, and decided when the deal closed
    for order in Order.objects.select_related("quote", "quote__opportunity").exclude(quote=None):
        quote = order.quote
        assert localdate(quote.created_at) <= localdate(quote.sent_at) <= order.signed_date, quote.number
        assert quote.decided_at == quote.opportunity.closed_at
    # invoices and payments come after the order they belong to is signed, and never in the future
    today = localdate()
    for invoice in Invoice.objects.select_related("order"):
        assert invoice.order.signed_date <= invoice.issued_on <= today, invoice.order.number
    for payment in Payment.objects.select_related("order"):
        assert payment.order.signed_date <= payment.received_on <= today, payment.order.number
    # a service record's order was signed before the record was opened
    for record in ServiceRecord.objects.exclude(order=None).select_related("order"):
        assert record.order.signed_date < localdate(record.created_at), record.title
    # and a reminder was set before it is due, after the visit or call it follows up
    visit = Activity.objects.get(customer__code="QH-C-001", kind="visit")
    follow_up = Activity.objects.get(customer__code="QH-C-001", kind="reminder")
    assert visit.occurred_at < follow_up.occurred_at < follow_up.due_at
    for reminder in Activity.objects.filter(kind="reminder", subject__in=[p.subject for p in ACTIVITIES]):
        assert reminder.occurred_at <= reminder.due_at, reminder.subject
