"""Orders, invoices and payments: validation, transitions, receivables, access, audit, query counts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from backend.audit.models import AuditEvent
from backend.crm.models import DocumentLink, Invoice, Order, OrderLine, Payment, QuoteStatus
from backend.crm.selectors.orders import order_get_visible
from backend.crm.services import orders as services
from tests import factories
from tests.crm.factories import CustomerFactory, InvoiceFactory, OrderFactory, ProductFactory, QuoteFactory, \
    QuoteLineFactory
from tests.fixtures.clients import api_client

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture
def lathe():
    return ProductFactory(code="QH-CK6150", name="数控车床 CNC lathe", list_price=Decimal("186000"))


def _order(people, lathe, total="1000.00", **kwargs):
    return services.order_create(actor=people["owner"], customer=people["customer"],
                                 lines=[{"product": lathe.pk, "quantity": "1", "unit_price": total}], **kwargs)


# --- creating orders --------------------------------------------------------------------------------


def test_an_order_is_created_with_totals_computed_from_decimal_lines_and_audited(people, lathe):
    # given the owner of a customer and a product
    client = api_client(people["owner"])

    # when they record an order with two discounted lines
    response = client.post("/api/crm/orders/", {
        "customer": people["customer"].pk, "number": "SO-2026-001", "currency": "CNY", "signed_date": "2026-03-02",
        "lines": [
            {"product": lathe.pk, "quantity": "2", "unit_price": "186000.00", "discount_percent": "5"},
            {"product": lathe.pk, "quantity": "0.5", "unit_price": 0.1, "description": "spare belt"},
        ],
    }, format="json")

    # then it is 201, money is decimal strings, the total is 2×186000×0.95 + 0.05, and the event is recorded
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["total"] == "353400.05"
    assert body["outstanding"] == "353400.05"
    assert body["paid"] == body["invoiced"] == body["overdue"] == "0.00"
    assert [line["line_total"] for line in body["lines"]] == ["353400.00", "0.05"]
    assert body["status"] == "open" and body["number"] == "SO-2026-001"
    event = AuditEvent.objects.get(event_type="crm.order.created", target_id=str(body["id"]))
    assert event.customer_id == people["customer"].pk and event.detail["total"] == "353400.05"


def test_bad_lines_are_400_per_field_and_nothing_is_saved(people, lathe):
    # given an owner
    client = api_client(people["owner"])

    # when one line has a negative quantity and another an unknown product and a discount over 100
    response = client.post("/api/crm/orders/", {
        "customer": people["customer"].pk,
        "lines": [{"product": lathe.pk, "quantity": "-1", "unit_price": "10"},
                  {"product": 999999, "quantity": "1", "unit_price": "5", "discount_percent": "101"}],
    }, format="json")

    # then every wrong field is named and no order, line or audit row exists
    assert response.status_code == 400
    fields = response.json()["fields"]
    assert set(fields) == {"lines.0.quantity", "lines.1.product", "lines.1.discount_percent"}
    assert not Order.objects.exists() and not OrderLine.objects.exists()
    assert not AuditEvent.objects.filter(event_type="crm.order.created").exists()


def test_an_order_needs_lines_or_an_accepted_quote_and_a_known_currency(people):
    client = api_client(people["owner"])
    no_lines = client.post("/api/crm/orders/", {"customer": people["customer"].pk}, format="json")
    bad_currency = client.post("/api/crm/orders/", {"customer": people["customer"].pk, "currency": "GBP"},
                               format="json")
    assert no_lines.status_code == 400 and "lines" in no_lines.json()["fields"]
    assert bad_currency.status_code == 400 and "currency" in bad_currency.json()["fields"]


def test_a_duplicate_order_number_is_a_409_naming_the_field(people, lathe):
    _order(people, lathe, number="SO-1")
    response = api_client(people["owner"]).post("/api/crm/orders/", {
        "customer": people["customer"].pk, "number": "SO-1",
        "lines": [{"product": lathe.pk, "quantity": "1"}],
    }, format="json")
    assert response.status_code == 409
    assert "number" in response.json()["fields"]
    assert Order.objects.count() == 1


def test_an_accepted_quote_of_the_same_customer_becomes_an_order_with_its_lines(people, lathe):
    # given an accepted quote with two lines
    quote = QuoteFactory(customer=people["customer"], status=QuoteStatus.ACCEPTED)
    QuoteLineFactory(quote=quote, product=lathe, quantity=Decimal("2"), unit_price=Decimal("100.00"))
    QuoteLineFactory(quote=quote, product=lathe, quantity=Decimal("1"), unit_price=Decimal("50.00"),
                     discount_percent=Decimal("10"), line_total=Decimal("45.00"))

    # when the owner creates an order from it without lines
    response = api_client(people["owner"]).post(
        "/api/crm/orders/", {"customer": people["customer"].pk, "quote": quote.pk}, format="json")

    # then the quote's lines were copied and the order points at the quote
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["quote"] == quote.pk and body["quote_number"] == quote.number
    assert body["total"] == "245.00"


@pytest.mark.parametrize("case", ["other-customer", "draft", "currency", "invisible"])
def test_a_quote_must_be_accepted_of_the_same_customer_in_the_same_currency(people, lathe, case):
    # given a quote that is wrong in one way
    customer = people["customer"]
    if case == "other-customer":
        other = CustomerFactory(owner=people["owner"])
        quote = QuoteFactory(customer=other, status=QuoteStatus.ACCEPTED)
    elif case == "draft":
        quote = QuoteFactory(customer=customer, status=QuoteStatus.DRAFT)
    elif case == "currency":
        quote = QuoteFactory(customer=customer, status=QuoteStatus.ACCEPTED, currency="USD")
    else:
        quote = QuoteFactory(customer=CustomerFactory(), status=QuoteStatus.ACCEPTED)  # someone else's customer

    # when the owner orders against it
    response = api_client(people["owner"]).post("/api/crm/orders/", {
        "customer": customer.pk, "quote": quote.pk, "currency": "CNY",
        "lines": [{"product": lathe.pk, "quantity": "1"}],
    }, format="json")

    # then 400 on the quote (or currency) field, nothing saved; a quote the owner cannot see reads as missing
    assert response.status_code == 400, response.content
    fields = response.json()["fields"]
    assert ("currency" if case == "currency" else "quote") in fields
    if case == "invisible":
        assert fields["quote"] == ["No such quote."]
    assert not Order.objects.exists()


def test_a_contract_document_is_linked_to_the_order_for_the_customer(people, lathe):
    # given a contract the owner uploaded
    contract = factories.document(people["owner"], title="销售合同 SO-7", classification="internal")

    # when the order names it
    response = api_client(people["owner"]).post("/api/crm/orders/", {
        "customer": people["customer"].pk, "contract_document": contract.pk,
        "lines": [{"product": lathe.pk, "quantity": "1"}],
    }, format="json")

    # then a typed link to the order exists (so the account team sees it) and the link is audited
    assert response.status_code == 201, response.content
    order = Order.objects.get()
    assert order.contract_document == contract
    link = DocumentLink.objects.get(document=contract)
    assert (link.target_type, link.order_id, link.customer_id) == ("order", order.pk, people["customer"].pk)
    assert AuditEvent.objects.filter(event_type="crm.document.linked", target_id=str(contract.pk)).exists()


@pytest.mark.parametrize("classification,message", [
    ("confidential", "No such document."),
    ("internal", "You may read this document but not link it to an order; ask its owner to attach it."),
])
def test_a_contract_the_actor_cannot_see_reads_as_missing_and_one_they_only_read_cannot_be_linked(
    people, lathe, classification, message
):
    # given a document owned by the owner's department colleague (internal: readable by the department)
    contract = factories.document(people["colleague"], classification=classification)

    # when the owner names it as the order's contract
    response = api_client(people["owner"]).post("/api/crm/orders/", {
        "customer": people["customer"].pk, "contract_document": contract.pk,
        "lines": [{"product": lathe.pk, "quantity": "1"}],
    }, format="json")

    # then 400 on the field and nothing saved
    assert response.status_code == 400
    assert response.json()["fields"]["contract_document"] == [message]
    assert not Order.objects.exists() and not DocumentLink.objects.exists()


# --- status ------------------------------------------------------------------------------------------


def test_an_open_order_is_fulfilled_and_then_final(people, lathe):
    # given an open order
    order = _order(people, lathe)
    client = api_client(people["owner"])

    # when it is fulfilled, then cancelled
    fulfilled = client.post(f"/api/crm/orders/{order.pk}/status/", {"status": "fulfilled"}, format="json")
    cancelled = client.post(f"/api/crm/orders/{order.pk}/status/", {"status": "cancelled"}, format="json")

    # then the first works and is audited, the second is a 400 naming the current state
    assert fulfilled.status_code == 200 and fulfilled.json()["status"] == "fulfilled"
    assert cancelled.status_code == 400
    assert "fulfilled" in cancelled.json()["detail"] and cancelled.json()["current"] == "fulfilled"
    assert AuditEvent.objects.filter(event_type="crm.order.status_changed", target_id=str(order.pk)).count() == 1


def test_an_open_order_without_money_can_be_cancelled_but_not_one_with_a_payment(people, lathe):
    empty, paid = _order(people, lathe), _order(people, lathe)
    services.payment_record(actor=people["owner"], order=paid, amount="10")
    client = api_client(people["owner"])
    assert client.post(f"/api/crm/orders/{empty.pk}/status/", {"status": "cancelled"}).status_code == 200
    refused = client.post(f"/api/crm/orders/{paid.pk}/status/", {"status": "cancelled"})
    assert refused.status_code == 400 and "payments" in refused.json()["detail"]
    assert Order.objects.get(pk=paid.pk).status == "open"


# --- invoices ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("payload,field", [
    ({"amount": "0"}, "amount"),
    ({"amount": "-5"}, "amount"),
    ({"amount": "abc"}, "amount"),
    ({"amount": "10", "issued_on": "2026-03-10", "due_on": "2026-03-09"}, "due_on"),
    ({"amount": "1000.01"}, "amount"),
])
def test_bad_invoices_are_400_on_the_field(people, lathe, payload, field):
    # given an order of 1000.00
    order = _order(people, lathe)

    # when an invoice is zero, negative, not a number, due before issue, or more than the order
    response = api_client(people["owner"]).post(f"/api/crm/orders/{order.pk}/invoices/", payload, format="json")

    # then 400 on that field and no invoice
    assert response.status_code == 400, response.content
    assert field in response.json()["fields"]
    assert not Invoice.objects.exists()


def test_invoices_never_add_up_to_more_than_the_order(people, lathe):
    # given an order of 1000.00 with 600.00 invoiced
    order = _order(people, lathe)
    services.invoice_issue(actor=people["owner"], order=order, amount="600")

    # when 400.00 and then 0.01 more are invoiced
    client = api_client(people["owner"])
    ok = client.post(f"/api/crm/orders/{order.pk}/invoices/", {"amount": "400.00"}, format="json")
    over = client.post(f"/api/crm/orders/{order.pk}/invoices/", {"amount": "0.01"}, format="json")

    # then the first fills the order exactly, the second is refused with what remains
    assert ok.status_code == 201 and ok.json()["invoiced"] == "1000.00"
    assert [inv["number"] for inv in ok.json()["invoices"]] == [f"INV-{order.number}-1", f"INV-{order.number}-2"]
    assert over.status_code == 400 and over.json()["remaining"] == "0.00"
    assert AuditEvent.objects.filter(event_type="crm.invoice.issued", target_id=str(order.pk)).count() == 2


def test_a_cancelled_order_takes_no_invoices_or_payments(people, lathe):
    order = _order(people, lathe)
    services.order_status_change(actor=people["owner"], order=order, status="cancelled")
    client = api_client(people["owner"])
    assert client.post(f"/api/crm/orders/{order.pk}/invoices/", {"amount": "1"}).status_code == 400
    assert client.post(f"/api/crm/orders/{order.pk}/payments/", {"amount": "1"}).status_code == 400


# --- payments -----------------------------------------------------------------------------------------


def test_a_payment_above_the_outstanding_amount_needs_the_prepayment_flag(people, lathe):
    # given an order of 1000.00 with 900.00 paid
    order = _order(people, lathe)
    services.payment_record(actor=people["owner"], order=order, amount="900")
    client = api_client(people["owner"])

    # when 200.00 arrives, first as an ordinary payment, then flagged as a prepayment
    refused = client.post(f"/api/crm/orders/{order.pk}/payments/", {"amount": "200"}, format="json")
    accepted = client.post(f"/api/crm/orders/{order.pk}/payments/", {"amount": "200", "is_prepayment": True},
                           format="json")

    # then the first is 400 naming the outstanding amount, the second is recorded (outstanding goes negative)
    assert refused.status_code == 400 and refused.json()["outstanding"] == "100.00"
    assert accepted.status_code == 201
    assert accepted.json()["paid"] == "1100.00" and accepted.json()["outstanding"] == "-100.00"
    assert AuditEvent.objects.filter(event_type="crm.payment.recorded", target_id=str(order.pk)).count() == 2


def test_a_payment_against_an_invoice_may_not_exceed_its_unpaid_part_unless_prepaid(people, lathe):
    # given an order of 1000.00 and an invoice of 300.00 of which 250.00 is paid
    order = _order(people, lathe)
    invoice = services.invoice_issue(actor=people["owner"], order=order, amount="300")
    services.payment_record(actor=people["owner"], order=order, amount="250", invoice=invoice)
    client = api_client(people["owner"])

    # when 60.00 is paid against the invoice, without and then with the prepayment flag
    refused = client.post(f"/api/crm/orders/{order.pk}/payments/", {"amount": "60", "invoice": invoice.pk})
    prepaid = client.post(f"/api/crm/orders/{order.pk}/payments/",
                          {"amount": "60", "invoice": invoice.pk, "is_prepayment": True})

    # then only the prepayment is accepted
    assert refused.status_code == 400 and refused.json()["unpaid"] == "50.00"
    assert prepaid.status_code == 201
    assert Payment.objects.filter(invoice=invoice).count() == 2


def test_a_payment_naming_another_orders_invoice_is_400(people, lathe):
    order, other = _order(people, lathe), _order(people, lathe)
    invoice = services.invoice_issue(actor=people["owner"], order=other, amount="100")
    response = api_client(people["owner"]).post(f"/api/crm/orders/{order.pk}/payments/",
                                                {"amount": "10", "invoice": invoice.pk})
    assert response.status_code == 400 and "invoice" in response.json()["fields"]
    assert not Payment.objects.exists()


@pytest.mark.parametrize("amount", ["0", "-1", "1e400", "NaN"])
def test_a_payment_must_be_a_positive_number(people, lathe, amount):
    order = _order(people, lathe)
    response = api_client(people["owner"]).post(f"/api/crm/orders/{order.pk}/payments/", {"amount": amount})
    assert response.status_code == 400 and "amount" in response.json()["fields"]


# --- receivables ---------------------------------------------------------------------------------------


def test_receivables_split_paid_invoiced_outstanding_and_overdue(people, lathe):
    # given an order of 1000.00 with an invoice of 400.00 due a month ago and one of 300.00 due next month,
    # 100.00 paid against the first, 50.00 paid against nothing in particular, 200.00 against the second
    owner = people["owner"]
    order = _order(people, lathe)
    past = services.invoice_issue(actor=owner, order=order, amount="400", issued_on=TODAY - dt.timedelta(days=60),
                                  due_on=TODAY - dt.timedelta(days=30))
    future = services.invoice_issue(actor=owner, order=order, amount="300", due_on=TODAY + dt.timedelta(days=30))
    services.payment_record(actor=owner, order=order, amount="100", invoice=past)
    services.payment_record(actor=owner, order=order, amount="50")
    services.payment_record(actor=owner, order=order, amount="200", invoice=future)

    # when the order is read
    body = api_client(owner).get(f"/api/crm/orders/{order.pk}/").json()

    # then: paid 350, invoiced 700, outstanding 650, invoiced-but-unpaid 350, and overdue 400 − 100 − 50 = 250
    assert (body["total"], body["paid"], body["invoiced"]) == ("1000.00", "350.00", "700.00")
    assert (body["outstanding"], body["invoiced_unpaid"], body["overdue"]) == ("650.00", "350.00", "250.00")
    invoices = {row["number"]: row for row in body["invoices"]}
    assert invoices[past.number]["unpaid"] == "300.00" and invoices[past.number]["overdue"] is True
    assert invoices[future.number]["unpaid"] == "100.00" and invoices[future.number]["overdue"] is False
    assert len(body["payments"]) == 3


def test_overdue_never_exceeds_what_is_invoiced_and_unpaid(people, lathe):
    # given a past-due invoice of 100.00 and a prepayment of 500.00 against a future invoice of 100.00
    owner = people["owner"]
    order = _order(people, lathe)
    services.invoice_issue(actor=owner, order=order, amount="100", issued_on=TODAY - dt.timedelta(days=40),
                           due_on=TODAY - dt.timedelta(days=10))
    future = services.invoice_issue(actor=owner, order=order, amount="100", due_on=TODAY + dt.timedelta(days=5))
    services.payment_record(actor=owner, order=order, amount="500", invoice=future, is_prepayment=True)

    # when the receivables are computed
    order = order_get_visible(user=owner, order_id=order.pk)

    # then the overpayment covers the whole invoiced amount, so nothing is overdue
    assert order.invoiced_unpaid == Decimal("0.00") and order.overdue == Decimal("0.00")


# --- lists ----------------------------------------------------------------------------------------------


@pytest.fixture
def order_book(people, lathe):
    other_customer = CustomerFactory(owner=people["outsider"])
    mine = [OrderFactory(customer=people["customer"], owner=people["owner"], total="100") for _ in range(12)]
    theirs = [OrderFactory(customer=other_customer, owner=people["outsider"], total="100") for _ in range(3)]
    for order in mine[:4]:
        InvoiceFactory(order=order, amount=Decimal("50"), issued_on=TODAY - dt.timedelta(days=31),
                       due_on=TODAY - dt.timedelta(days=1))
    return mine, theirs, other_customer


def test_the_list_shows_visible_orders_with_receivables_and_filters_by_customer(people, order_book):
    mine, theirs, other_customer = order_book
    owner_rows = api_client(people["owner"]).get("/api/crm/orders/?page_size=100").json()["results"]
    admin_filtered = api_client(people["admin"]).get(
        f"/api/crm/orders/?customer={other_customer.pk}").json()["results"]
    bad = api_client(people["owner"]).get("/api/crm/orders/?status=lost")
    assert {row["id"] for row in owner_rows} == {order.pk for order in mine}
    assert sum(Decimal(row["overdue"]) for row in owner_rows) == Decimal("200.00")
    assert {row["id"] for row in admin_filtered} == {order.pk for order in theirs}
    assert bad.status_code == 400 and "status" in bad.json()["fields"]


@pytest.mark.parametrize("page_size", [2, 10])
def test_the_order_list_costs_the_same_queries_whatever_the_page_size(people, order_book, page_size,
                                                                      django_assert_num_queries):
    client = api_client(people["team"])
    # session, user, the page (visibility and receivables as subqueries; customer and owner joined)
    with django_assert_num_queries(3):
        response = client.get(f"/api/crm/orders/?page_size={page_size}")
    assert response.status_code == 200 and len(response.json()["results"]) == page_size


def test_the_order_detail_costs_a_fixed_number_of_queries(people, order_book, django_assert_num_queries):
    order = order_book[0][0]
    client = api_client(people["owner"])
    # session, user, the order with receivables, lines (+products), invoices (+paid), payments;
    # + 2: the read is recorded (crm.order.viewed: the audit chain's head locked and read, the insert)
    with django_assert_num_queries(8):
        response = client.get(f"/api/crm/orders/{order.pk}/")
    assert response.status_code == 200


# --- permission matrix ------------------------------------------------------------------------------------

MATRIX = [
    # name, method, path, payload, success status, audit event (None for reads)
    ("detail", "get", "/api/crm/orders/{order}/", None, 200, None),
    ("status", "post", "/api/crm/orders/{order}/status/", {"status": "fulfilled"}, 200, "crm.order.status_changed"),
    ("invoice", "post", "/api/crm/orders/{order}/invoices/", {"amount": "10"}, 201, "crm.invoice.issued"),
    ("payment", "post", "/api/crm/orders/{order}/payments/", {"amount": "10"}, 201, "crm.payment.recorded"),
    ("create", "post", "/api/crm/orders/", "create", 201, "crm.order.created"),
]
READERS = {"detail"}


def _call(client, method, path, payload, world):
    if payload == "create":
        payload = {"customer": world["customer"].pk, "lines": [{"product": world["product"].pk, "quantity": "1"}]}
    url = path.format(order=world["order"].pk)
    return getattr(client, method)(url, payload, format="json") if method == "post" else client.get(url)


@pytest.fixture
def world(people, lathe):
    order = _order(people, lathe)
    return {**people, "order": order, "product": lathe}


@pytest.mark.parametrize("endpoint", MATRIX, ids=lambda e: e[0])
def test_someone_with_no_relationship_gets_404_like_a_missing_id(world, endpoint):
    # given a rep with no relationship to the customer
    name, method, path, payload, _, _ = endpoint
    client = api_client(world["outsider"])

    # when they call the endpoint for the order, and for an order id that does not exist
    response = _call(client, method, path, payload, world)
    missing = _call(client, method, path.replace("{order}", str(world["order"].pk + 10_000)), payload, world)

    # then both are the same 404 and nothing was written
    assert response.status_code == 404, response.content
    assert missing.status_code == 404 and response.json() == missing.json()
    assert Order.objects.count() == 1 and not Invoice.objects.exists() and not Payment.objects.exists()


@pytest.mark.parametrize("who", ["owner", "team", "admin"])
@pytest.mark.parametrize("endpoint", MATRIX, ids=lambda e: e[0])
def test_owner_team_and_admin_succeed_and_the_write_is_audited(world, endpoint, who):
    # given the customer's owner, a team member or an admin
    name, method, path, payload, success, event = endpoint
    actor = world[who]

    # when they call the endpoint
    response = _call(api_client(actor), method, path, payload, world)

    # then it succeeds and the audit trail names them
    assert response.status_code == success, response.content
    if event:
        assert AuditEvent.objects.filter(event_type=event, actor=actor, customer_id=world["customer"].pk).exists()


@pytest.mark.parametrize("who", ["colleague", "compliance", "engineer"])
@pytest.mark.parametrize("endpoint", MATRIX, ids=lambda e: e[0])
def test_readers_see_the_order_but_their_writes_are_404_and_audited_as_denied(world, endpoint, who):
    # given someone who may see the customer but not change it (department colleague, compliance, service)
    name, method, path, payload, success, _ = endpoint
    actor = world[who]

    # when they call the endpoint
    response = _call(api_client(actor), method, path, payload, world)

    # then reads work; writes are 404 and the denial is in the trail
    if name in READERS:
        assert response.status_code == 200
    else:
        assert response.status_code == 404, response.content
        assert AuditEvent.objects.filter(event_type="crm.access.denied", actor=actor, outcome="denied").exists()
