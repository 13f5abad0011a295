"""Opening a customer, a quote or an order discloses its content: each detail read is recorded with the
customer, as opening a document is; a record the caller may not see records no read (404)."""

from __future__ import annotations

import pytest

from backend.audit.models import AuditEvent
from tests.crm.factories import OrderFactory, QuoteFactory, QuoteLineFactory
from tests.fixtures.clients import api_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def records(people):
    customer = people["customer"]
    quote = QuoteFactory(customer=customer, number="Q-2026-0042")
    QuoteLineFactory(quote=quote)
    order = OrderFactory(customer=customer, number="SO-2026-0042")
    return customer, quote, order


@pytest.mark.parametrize("kind, event_type", [("customer", "crm.customer.viewed"), ("quote", "crm.quote.viewed"),
                                              ("order", "crm.order.viewed")])
def test_opening_a_crm_record_is_a_recorded_read(people, records, kind, event_type):
    customer, quote, order = records
    target = {"customer": customer, "quote": quote, "order": order}[kind]
    url = {"customer": f"/api/crm/customers/{customer.pk}/", "quote": f"/api/crm/quotes/{quote.pk}/",
           "order": f"/api/crm/orders/{order.pk}/"}[kind]
    # when the account team member opens it
    response = api_client(people["team"]).get(url)
    # then it is shown and the read is in the trail, against the record and its customer
    assert response.status_code == 200
    event = AuditEvent.objects.get(event_type=event_type)
    assert event.actor == people["team"] and event.outcome == "success"
    assert event.target_id == str(target.pk) and event.customer_id == customer.pk
    assert event.target_label == str(target)


@pytest.mark.parametrize("path", ["customers/{customer}/", "quotes/{quote}/", "orders/{order}/"])
def test_a_record_the_caller_may_not_see_is_a_404_and_records_no_read(people, records, path):
    customer, quote, order = records
    url = "/api/crm/" + path.format(customer=customer.pk, quote=quote.pk, order=order.pk)
    assert api_client(people["outsider"]).get(url).status_code == 404
    assert not AuditEvent.objects.filter(event_type__endswith=".viewed", actor=people["outsider"]).exists()


def test_lists_and_writes_do_not_record_a_detail_read(people, records):
    client = api_client(people["owner"])
    assert client.get("/api/crm/orders/").status_code == 200
    assert client.get("/api/crm/customers/").status_code == 200
    assert not AuditEvent.objects.filter(event_type__in=("crm.customer.viewed", "crm.order.viewed")).exists()
