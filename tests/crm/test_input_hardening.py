"""Bad input to the CRM is a 400 naming the field and saves nothing; names are one clean line, so none
can carry a line break into an e-mail header."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core import mail

from backend.crm.models import Contact, Customer, Product, Quote, QuoteLine
from tests.fixtures.clients import api_client
from tests.fixtures.sqlite import _sqlite_template, sqlite_dossier  # noqa: F401 - the fixtures

pytestmark = pytest.mark.django_db


def test_customer_and_contact_names_are_stored_as_one_clean_line(people):
    client = api_client(people["owner"])

    # when a customer is created with a carriage return, a bidi override and a zero-width space in its name
    created = client.post("/api/crm/customers/", {"name": "ACME\r\nBcc: x@evil.test\u202e\u200b",
                                                  "region": "上海\u2066"}, format="json")

    # then the stored name is one visible line
    assert created.status_code == 201, created.content
    customer = Customer.objects.get(pk=created.json()["id"])
    assert (customer.name, customer.region) == ("ACME Bcc: x@evil.test", "上海")

    # and so is a contact's
    contact = client.post(f"/api/crm/customers/{customer.pk}/contacts/",
                          {"name": "刘\r\n经理\u200d", "email": "liu@example.cn"}, format="json")
    assert contact.status_code == 201, contact.content
    assert Contact.objects.get(pk=contact.json()["id"]).name == "刘 经理"


def test_a_line_break_in_an_old_customer_name_never_reaches_the_invitation_subject(
        people, django_capture_on_commit_callbacks):
    # given a customer and a contact whose names were stored before names were cleaned
    Customer.objects.filter(pk=people["customer"].pk).update(name="ACME\r\nBcc: x@evil.test")
    contact = Contact.objects.create(customer=people["customer"], name="Liu\nWei", email="liu@example.cn")

    # when the contact is invited to the portal
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client(people["owner"]).post(
            f"/api/crm/customers/{people['customer'].pk}/contacts/{contact.pk}/portal-invite/")

    # then the mail goes out with a one-line subject
    assert response.status_code == 201, response.content
    assert len(mail.outbox) == 1
    subject = mail.outbox[0].subject
    assert "\r" not in subject and "\n" not in subject and "ACME Bcc: x@evil.test" in subject


@pytest.fixture
def lathe(db):
    return Product.objects.create(code="CK6150", name="数控车床 CK6150", list_price=Decimal("98000.00"))


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ({"quantity": "999999999.999"}, "lines.0.quantity"),
        ({"quantity": "1", "unit_price": "99999999999999.99"}, "lines.0.unit_price"),
        ({"quantity": "999999", "unit_price": "9999999999"}, "lines.0.quantity"),
    ],
)
def test_quote_lines_too_large_for_their_columns_are_400_and_nothing_is_saved(people, lathe, line, field):
    response = api_client(people["owner"]).post("/api/crm/quotes/", {
        "customer": people["customer"].pk, "lines": [{"product": lathe.pk, **line}]}, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["fields"]
    assert Quote.objects.count() == 0 and QuoteLine.objects.count() == 0


def test_quote_lines_adding_up_beyond_the_total_column_are_400(people, lathe):
    lines = [{"product": lathe.pk, "quantity": "10000", "unit_price": "9000000000"} for _ in range(200)]
    response = api_client(people["owner"]).post("/api/crm/quotes/", {
        "customer": people["customer"].pk, "lines": lines}, format="json")
    assert response.status_code == 400, response.content
    assert "lines" in response.json()["fields"]
    assert Quote.objects.count() == 0


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("retention/?from=0001-01-01", "from"),
        ("retention/?from=3756-03-29&to=9181-08-10", "from"),
        ("funnel/?to=9999-12-31", "to"),
        ("won-lost/?owner=99999999999999999999", "owner"),
        ("service/?engineer=%C2%B2", "engineer"),
        ("receivables/?customer=99999999999999999999", "customer"),
    ],
)
def test_report_parameters_out_of_range_are_400_on_the_field(people, query, field):
    response = api_client(people["admin"]).get(f"/api/crm/reports/{query}")
    assert response.status_code == 400, response.content
    assert field in response.json()["fields"]


@pytest.mark.slow
def test_a_case_folded_duplicate_of_a_non_ascii_name_is_a_conflict_on_sqlite(sqlite_dossier):  # noqa: F811
    # given SQLite, whose lower() folds only A-Z, and a customer with a non-ASCII capital in its name
    result = sqlite_dossier.script(
        "from backend.common.errors import Conflict\n"
        "from backend.crm.services.customers import customer_create\n"
        "from tests import factories\n"
        "rep = factories.UserFactory(username='sqlite.rep')\n"
        "customer_create(actor=rep, name='ÄBC Maschinenbau', region='Bayern')\n"
        "for name in ('ÄBC Maschinenbau', 'äbc maschinenbau', 'ÄBC MASCHINENBAU'):\n"
        "    try:\n"
        "        customer_create(actor=rep, name=name, region='Bayern')\n"
        "        print('CREATED', name)\n"
        "    except Conflict:\n"
        "        print('CONFLICT', name)\n"
    )

    # then the same name again, in any case, is the 409 conflict naming the owner, never an IntegrityError
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split("\n")[:3] == [
        "CONFLICT ÄBC Maschinenbau", "CONFLICT äbc maschinenbau", "CONFLICT ÄBC MASCHINENBAU"]


@pytest.mark.parametrize(
    ("path", "query", "field"),
    [
        ("customers/", "q=a%00b", "q"),
        ("customers/", "status=%00", "status"),
        ("opportunities/", "owner=99999999999999999999", "owner"),
        ("opportunities/", "customer=%C2%B2", "customer"),
        ("opportunities/", "stage=%00", "stage"),
        ("quotes/", "customer=99999999999999999999", "customer"),
        ("quotes/", "status=%00", "status"),
        ("orders/", "customer=99999999999999999999", "customer"),
        ("orders/", "owner=1.5", "owner"),
        ("service-records/", "engineer=99999999999999999999", "engineer"),
        ("articles/", "product=99999999999999999999", "product"),
        ("customers/{customer}/activities/", "opportunity=99999999999999999999", "opportunity"),
        ("customers/{customer}/documents/", "kind=%00", "kind"),
        ("customers/{customer}/quote-history/", "product=%C2%B2", "product"),
    ],
)
def test_list_filters_out_of_range_are_400_naming_the_parameter(people, path, query, field):
    url = f"/api/crm/{path.format(customer=people['customer'].pk)}?{query}"
    response = api_client(people["owner"]).get(url)
    assert response.status_code == 400, (url, response.content)
    assert field in response.json()["fields"]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("customers/{customer}/activities/",
         {"kind": "call", "subject": "Call", "occurred_at": "9999-12-31T23:59:59-10:00"}, "occurred_at"),
        ("customers/{customer}/activities/",
         {"kind": "call", "subject": "Call", "due_at": "0001-01-01T00:00:00+14:00"}, "due_at"),
    ],
)
def test_dates_at_the_ends_of_the_calendar_are_400_naming_the_field(people, path, body, field):
    customer = people["customer"].pk
    response = api_client(people["owner"]).post(f"/api/crm/{path.format(customer=customer)}", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["fields"]
