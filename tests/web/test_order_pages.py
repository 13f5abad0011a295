"""The order page, issuing invoices and recording payments on it, and the new-order form.

World (tests/web/world.py): 王芳 (rep) owns the customer, its accepted quote Q-2026-0001 and the order
SO-2026-0001 made from it (10 x 120,000 less 1.5% = 1,182,000), invoiced 500,000 on INV-0001 (due 20 days ago)
and paid 200,000 against it, so 300,000 is overdue; 李雷 (team) is on the account team; 陈静 (colleague) is in the
rep's department (sees, changes nothing); 张伟 (outsider) has nothing to do with it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from backend.audit.models import AuditEvent
from backend.crm.models import Invoice, Payment
from tests.fixtures.clients import client_for
from tests.portal_factories import portal_user

pytestmark = pytest.mark.django_db

MISSING = 999_999


def _page(world, user=None, language="en"):
    return client_for(user or world.rep, language).get(f"/orders/{world.order.pk}/")


# --- who may open what ------------------------------------------------------------------------------


def test_the_order_pages_need_a_signed_in_user(world):
    anonymous = Client()
    response = anonymous.get(f"/orders/{world.order.pk}/")
    assert response.status_code == 302 and response["Location"].startswith("/signin/?next=")
    for url in (f"/orders/{world.order.pk}/invoices/", f"/orders/{world.order.pk}/payments/"):
        assert anonymous.post(url, {"amount": "1"}).status_code == 302, url
    assert Invoice.objects.filter(order=world.order).count() == 1


def test_the_page_matrix_see_act_or_404(world):
    # the customer's owner and the account team see it with the invoice and payment forms
    for user in (world.rep, world.team):
        page = _page(world, user)
        assert page.status_code == 200
        assert 'data-testid="order-invoice-form"' in page.content.decode()
        assert 'data-testid="order-payment-form"' in page.content.decode()
    # a department colleague and compliance see it and are offered nothing
    for user in (world.colleague, world.compliance):
        page = _page(world, user)
        assert page.status_code == 200 and 'data-testid="order-read-only"' in page.content.decode()
        assert 'data-testid="order-payment-form"' not in page.content.decode()
    # no relationship, a portal user, a missing id: the same 404
    for user in (world.outsider, portal_user(world.customer)):
        assert _page(world, user).status_code == 404
    assert client_for(world.rep).get(f"/orders/{MISSING}/").status_code == 404
    # opening an order is an audited read
    assert AuditEvent.objects.filter(event_type="crm.order.viewed", actor_id=world.colleague.pk,
                                     target_id=str(world.order.pk)).exists()


def test_who_may_not_change_the_order_gets_a_404_for_invoices_and_payments_and_nothing_is_written(world):
    for user in (world.colleague, world.compliance, world.outsider, portal_user(world.customer)):
        client = client_for(user)
        assert client.post(f"/orders/{world.order.pk}/invoices/", {"amount": "1000"}).status_code == 404
        assert client.post(f"/orders/{world.order.pk}/payments/", {"amount": "1000"}).status_code == 404
    assert Invoice.objects.filter(order=world.order).count() == 1
    assert Payment.objects.filter(order=world.order).count() == 1
    assert AuditEvent.objects.filter(event_type="crm.access.denied", actor_id=world.colleague.pk).exists()


# --- what the page shows ----------------------------------------------------------------------------


def test_the_page_shows_number_customer_quote_lines_invoices_payments_and_figures(world):
    page = _page(world).content.decode()
    assert page.count("SO-2026-0001") >= 3  # the title, the heading, the details
    assert "上海精工机械有限公司" in page
    assert f'href="/quotes/{world.accepted_quote.pk}/"' in page and "Q-2026-0001" in page
    assert "QH-CNC-200" in page and "¥1,182,000.00" in page  # the total
    assert "¥1,200,000.00" in page and "¥18,000.00" in page  # before discounts, and the discounts
    # the invoice with its dates, paid and unpaid, flagged overdue
    today = timezone.localdate()
    assert 'data-testid="invoice-INV-0001"' in page
    invoice_row = page.split('data-testid="invoice-INV-0001"')[1].split("</tr>")[0]
    assert "¥500,000.00" in invoice_row and "¥200,000.00" in invoice_row and "¥300,000.00" in invoice_row
    assert "Overdue" in invoice_row
    # the figures: invoiced, paid, outstanding (total - paid), overdue
    figures = page.split('data-testid="order-figures"')[1].split("</section>")[0]
    assert "¥500,000.00" in figures and "¥200,000.00" in figures
    assert "¥982,000.00" in figures and "¥300,000.00" in figures
    # what is left to invoice is offered in the form
    assert 'value="682000.00"' in page


def test_the_page_in_chinese(world):
    page = _page(world, language="zh-hans").content.decode()
    assert "订单" in page and "发票" in page and "收款" in page and "逾期" in page


def test_the_customer_360_links_its_orders_to_the_order_page(world):
    page = client_for(world.rep).get(f"/customers/{world.customer.pk}/").content.decode()
    assert f'href="/orders/{world.order.pk}/"' in page



def test_the_signed_contract_is_linked_from_the_order_for_who_may_see_it(world):
    from backend.crm.services.orders import order_create

    order = order_create(actor=world.rep, customer=world.customer, currency="CNY", contract_document=world.contract,
                         lines=[{"product": world.product.pk, "quantity": "1", "unit_price": "1000"}])
    page = client_for(world.rep).get(f"/orders/{order.pk}/").content.decode()
    contract = page.split('data-testid="order-contract"')[1].split("</dd>")[0]
    assert f'href="/documents/{world.contract.pk}/"' in contract and world.contract.title in contract
    # the colleague sees the order, and the contract is named only as a file not shared with them
    page = client_for(world.colleague).get(f"/orders/{order.pk}/").content.decode()
    contract = page.split('data-testid="order-contract"')[1].split("</dd>")[0]
    assert world.contract.title not in contract and "not shared with you" in contract


# --- invoices -----------------------------------------------------------------------------------------


def test_the_owner_issues_an_invoice_from_the_page(world):
    today = timezone.localdate()
    client = client_for(world.rep)
    response = client.post(f"/orders/{world.order.pk}/invoices/", {
        "amount": "300000", "issued_on": today.isoformat(), "due_on": (today + dt.timedelta(days=15)).isoformat()})
    assert response.status_code == 302 and response["Location"] == f"/orders/{world.order.pk}/#invoices"
    invoice = Invoice.objects.filter(order=world.order).exclude(number="INV-0001").get()
    assert invoice.amount == Decimal("300000.00") and invoice.due_on == today + dt.timedelta(days=15)
    assert AuditEvent.objects.filter(event_type="crm.invoice.issued", actor_id=world.rep.pk,
                                     target_id=str(world.order.pk), detail__invoice=invoice.number).exists()
    page = client.get(response["Location"]).content.decode()
    assert f'data-testid="invoice-{invoice.number}"' in page
    assert f"Invoice {invoice.number} for ¥300,000.00 is issued" in page


def test_an_account_team_member_issues_an_invoice_due_in_thirty_days_by_default(world):
    response = client_for(world.team).post(f"/orders/{world.order.pk}/invoices/", {"amount": "1000"})
    assert response.status_code == 302
    invoice = Invoice.objects.filter(order=world.order).exclude(number="INV-0001").get()
    assert invoice.issued_on == timezone.localdate()
    assert invoice.due_on == timezone.localdate() + dt.timedelta(days=30)


def test_more_than_is_left_to_invoice_is_refused_by_its_field_and_nothing_is_written(world):
    response = client_for(world.rep).post(f"/orders/{world.order.pk}/invoices/", {"amount": "700000"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Only ¥682,000.00 of the order total ¥1,182,000.00 is not invoiced yet." in page
    assert 'value="700000"' in page  # the typed amount is kept
    assert Invoice.objects.filter(order=world.order).count() == 1
    chinese = client_for(world.rep, "zh-hans").post(f"/orders/{world.order.pk}/invoices/", {"amount": "700000"})
    assert chinese.status_code == 400 and "¥682,000.00" in chinese.content.decode()
    assert "Only" not in chinese.content.decode()


def test_a_due_date_before_the_issue_date_or_a_bad_amount_is_refused(world):
    today = timezone.localdate()
    client = client_for(world.rep)
    response = client.post(f"/orders/{world.order.pk}/invoices/", {
        "amount": "1000", "issued_on": today.isoformat(), "due_on": (today - dt.timedelta(days=1)).isoformat()})
    assert response.status_code == 400
    assert "The due date must not be before the issue date." in response.content.decode()
    for amount in ("", "abc", "0", "-5"):
        assert client.post(f"/orders/{world.order.pk}/invoices/", {"amount": amount}).status_code == 400, amount
    assert Invoice.objects.filter(order=world.order).count() == 1


# --- payments -----------------------------------------------------------------------------------------


def test_the_owner_records_a_payment_against_an_invoice(world):
    invoice = Invoice.objects.get(number="INV-0001")
    client = client_for(world.rep)
    response = client.post(f"/orders/{world.order.pk}/payments/", {
        "amount": "300000", "received_on": timezone.localdate().isoformat(), "invoice": str(invoice.pk),
        "reference": "BANK-778"})
    assert response.status_code == 302 and response["Location"] == f"/orders/{world.order.pk}/#payments"
    payment = Payment.objects.get(order=world.order, reference="BANK-778")
    assert payment.invoice == invoice and payment.amount == Decimal("300000.00")
    assert AuditEvent.objects.filter(event_type="crm.payment.recorded", actor_id=world.rep.pk,
                                     target_id=str(world.order.pk), detail__reference="BANK-778").exists()
    page = client.get(response["Location"]).content.decode()
    figures = page.split('data-testid="order-figures"')[1].split("</section>")[0]
    assert "¥500,000.00" in figures and "¥682,000.00" in figures  # paid, outstanding
    assert "BANK-778" in page and "A payment of ¥300,000.00 received on" in page
    invoice_row = page.split('data-testid="invoice-INV-0001"')[1].split("</tr>")[0]
    assert "Overdue" not in invoice_row and "Paid" in invoice_row


def test_more_than_the_invoice_owes_is_refused_unless_it_is_a_prepayment(world):
    invoice = Invoice.objects.get(number="INV-0001")
    client = client_for(world.rep)
    response = client.post(f"/orders/{world.order.pk}/payments/", {"amount": "400000", "invoice": str(invoice.pk)})
    assert response.status_code == 400
    assert "more than the unpaid ¥300,000.00 of this invoice" in response.content.decode()
    response = client.post(f"/orders/{world.order.pk}/payments/", {"amount": "2000000"})
    assert response.status_code == 400 and "more than the outstanding ¥982,000.00" in response.content.decode()
    assert Payment.objects.filter(order=world.order).count() == 1
    response = client.post(f"/orders/{world.order.pk}/payments/", {"amount": "2000000", "is_prepayment": "on"})
    assert response.status_code == 302
    assert Payment.objects.get(order=world.order, is_prepayment=True).amount == Decimal("2000000.00")


def test_an_invoice_of_another_order_is_refused(world):
    from backend.crm.services.orders import invoice_issue, order_create

    other = order_create(actor=world.rep, customer=world.customer, currency="CNY",
                         lines=[{"product": world.product.pk, "quantity": "1", "unit_price": "1000"}])
    foreign = invoice_issue(actor=world.rep, order=other, amount="1000")
    response = client_for(world.rep).post(f"/orders/{world.order.pk}/payments/",
                                          {"amount": "1000", "invoice": str(foreign.pk)})
    assert response.status_code == 400
    assert not Payment.objects.filter(invoice=foreign).exists()


# --- a new order ----------------------------------------------------------------------------------------


def _accept(world, quote):
    from backend.crm.services import quotes as quote_services

    quote = quote_services.quote_status_change(actor=world.rep, quote=quote, status="sent")
    return quote_services.quote_status_change(actor=world.rep, quote=quote, status="accepted")


def test_the_accepted_quote_page_offers_make_an_order_to_who_may_change_it(world):
    page = client_for(world.rep).get(f"/quotes/{world.accepted_quote.pk}/").content.decode()
    assert f'href="/orders/new/?quote={world.accepted_quote.pk}"' in page
    assert 'data-testid="quote-make-order"' not in client_for(world.colleague).get(
        f"/quotes/{world.accepted_quote.pk}/").content.decode()
    assert 'data-testid="quote-make-order"' not in client_for(world.rep).get(
        f"/quotes/{world.open_quote.pk}/").content.decode()  # not accepted
    customer = client_for(world.rep).get(f"/customers/{world.customer.pk}/").content.decode()
    assert f'href="/orders/new/?customer={world.customer.pk}"' in customer


def test_an_order_from_an_accepted_quote_takes_its_customer_currency_and_lines(world):
    from backend.crm.models import Order

    client = client_for(world.rep)
    form = client.get(f"/orders/new/?quote={world.accepted_quote.pk}")
    assert form.status_code == 200
    body = form.content.decode()
    assert "Q-2026-0001" in body and "¥1,182,000.00" in body
    assert "SO-2026-0001" in body  # the order already made from it is named
    signed = timezone.localdate() - dt.timedelta(days=1)
    response = client.post("/orders/new/", {"quote": str(world.accepted_quote.pk), "number": "SO-2026-0042",
                                            "signed_date": signed.isoformat()})
    order = Order.objects.get(number="SO-2026-0042")
    assert response.status_code == 302 and response["Location"] == f"/orders/{order.pk}/"
    assert order.quote == world.accepted_quote and order.customer == world.customer and order.owner == world.rep
    assert order.signed_date == signed and order.currency == world.accepted_quote.currency
    assert [(line.product_id, line.quantity, line.line_total) for line in order.lines.all()] == [
        (world.product.pk, Decimal("10.000"), Decimal("1182000.00"))]
    event = AuditEvent.objects.get(event_type="crm.order.created", target_id=str(order.pk))
    assert event.actor_id == world.rep.pk and event.detail["quote"] == "Q-2026-0001"
    page = client.get(response["Location"]).content.decode()
    assert "Order SO-2026-0042 is recorded." in page


def test_without_javascript_the_quote_picker_box_may_hold_the_quote_id(world):
    page = client_for(world.rep).get(f"/orders/new/?quote_q={world.accepted_quote.pk}&quote=").content.decode()
    assert 'data-testid="order-quote-summary"' in page and "Q-2026-0001" in page


def test_a_quote_that_is_not_accepted_cannot_become_an_order(world):
    client = client_for(world.team)
    page = client.get(f"/orders/new/?quote={world.open_quote.pk}").content.decode()
    assert "only an accepted quote can become an order" in page and 'data-testid="order-save"' not in page
    response = client.post("/orders/new/", {"quote": str(world.open_quote.pk)})
    assert response.status_code == 400
    assert not world.open_quote.orders.exists()


def test_a_new_order_is_a_404_for_who_may_not_change_the_customer(world):
    for user in (world.colleague, world.outsider, portal_user(world.customer)):
        client = client_for(user)
        assert client.get(f"/orders/new/?quote={world.accepted_quote.pk}").status_code == 404
        assert client.post("/orders/new/", {"quote": str(world.accepted_quote.pk)}).status_code == 404
        assert client.post("/orders/new/", {
            "customer": str(world.customer.pk), "line_product": [str(world.product.pk)], "line_quantity": ["1"],
        }).status_code == 404
    assert world.accepted_quote.orders.count() == 1
    assert client_for(world.rep).get(f"/orders/new/?quote={MISSING}").status_code == 404


def test_an_order_by_hand_with_picked_products_list_prices_and_discounts(world):
    from backend.crm.models import Order, Product

    kit = Product.objects.create(code="QH-KIT-1", name="刀具套装", name_en="Tool kit", list_price=Decimal("800"))
    client = client_for(world.rep)
    assert client.get(f"/orders/new/?customer={world.customer.pk}").status_code == 200
    response = client.post("/orders/new/", {
        "customer": str(world.customer.pk), "currency": "CNY",
        "line_product": [str(world.product.pk), "", ""], "line_product_q": ["", "QH-KIT-1", ""],
        "line_quantity": ["2", "5", ""], "line_unit_price": ["110000", "", ""],
        "line_discount_percent": ["5", "", ""], "line_description": ["", "spare kits", ""]})
    order = Order.objects.exclude(pk=world.order.pk).get(customer=world.customer)
    assert response.status_code == 302 and order.quote is None
    lines = list(order.lines.all())
    assert [(line.product_id, line.line_total) for line in lines] == [
        (world.product.pk, Decimal("209000.00")), (kit.pk, Decimal("4000.00"))]
    assert lines[1].description == "spare kits"
    assert AuditEvent.objects.filter(event_type="crm.order.created", target_id=str(order.pk)).exists()


def test_an_order_by_hand_shows_line_errors_by_row_and_keeps_what_was_typed(world):
    from backend.crm.models import Order

    client = client_for(world.rep)
    response = client.post("/orders/new/", {
        "customer": str(world.customer.pk), "currency": "CNY",
        "line_product": [str(world.product.pk)], "line_product_q": ["QH-CNC-200"], "line_quantity": ["0"],
        "line_unit_price": ["abc"], "line_discount_percent": [""], "line_description": [""]})
    assert response.status_code == 400
    page = response.content.decode()
    assert "The quantity must be more than zero." in page and 'value="abc"' in page
    no_lines = client.post("/orders/new/", {"customer": str(world.customer.pk), "currency": "CNY"})
    assert no_lines.status_code == 400 and "Add at least one line." in no_lines.content.decode()
    no_customer = client.post("/orders/new/", {"line_product": [str(world.product.pk)], "line_quantity": ["1"]})
    assert no_customer.status_code == 400 and "Choose a customer, or an accepted quote." in no_customer.content.decode()
    taken = client.post("/orders/new/", {"quote": str(world.accepted_quote.pk), "number": "SO-2026-0001"})
    assert taken.status_code == 409 and "Order number SO-2026-0001 is taken." in taken.content.decode()
    assert Order.objects.count() == 1


def test_the_new_order_form_in_chinese(world):
    page = client_for(world.rep, "zh-hans").get(f"/orders/new/?quote={world.accepted_quote.pk}").content.decode()
    assert "新建订单" in page or "生成订单" in page
    assert "Record the order" not in page


# --- fulfilled or cancelled -------------------------------------------------------------------------------


def test_the_owner_marks_an_order_fulfilled_and_it_is_final(world):
    client = client_for(world.rep)
    page = client.get(f"/orders/{world.order.pk}/").content.decode()
    assert 'data-testid="order-fulfil"' in page
    assert 'data-testid="order-cancel"' not in page  # it has an invoice and a payment
    response = client.post(f"/orders/{world.order.pk}/status/", {"status": "fulfilled"})
    assert response.status_code == 302
    world.order.refresh_from_db()
    assert world.order.status == "fulfilled"
    assert AuditEvent.objects.filter(event_type="crm.order.status_changed", target_id=str(world.order.pk),
                                     detail__to="fulfilled").exists()
    page = client.get(f"/orders/{world.order.pk}/").content.decode()
    assert "Order SO-2026-0001 is now Fulfilled." in page and 'data-testid="order-fulfil"' not in page
    again = client.post(f"/orders/{world.order.pk}/status/", {"status": "cancelled"}, follow=True)
    assert "can no longer change" in again.content.decode()
    world.order.refresh_from_db()
    assert world.order.status == "fulfilled"


def test_an_order_with_money_is_not_cancelled_but_one_without_is(world):
    from backend.crm.services.orders import order_create

    client = client_for(world.rep)
    refused = client.post(f"/orders/{world.order.pk}/status/", {"status": "cancelled"}, follow=True)
    assert "has invoices or payments, so it cannot be cancelled" in refused.content.decode()
    world.order.refresh_from_db()
    assert world.order.status == "open"
    bare = order_create(actor=world.rep, customer=world.customer, currency="CNY",
                        lines=[{"product": world.product.pk, "quantity": "1", "unit_price": "1000"}])
    assert 'data-testid="order-cancel"' in client.get(f"/orders/{bare.pk}/").content.decode()
    assert client.post(f"/orders/{bare.pk}/status/", {"status": "cancelled"}).status_code == 302
    bare.refresh_from_db()
    assert bare.status == "cancelled"
    page = client.get(f"/orders/{bare.pk}/").content.decode()
    assert 'data-testid="order-payment-form"' not in page and "The order is cancelled" in page


def test_who_may_not_change_the_order_cannot_change_its_status(world):
    for user in (world.colleague, world.outsider):
        assert client_for(user).post(f"/orders/{world.order.pk}/status/", {"status": "fulfilled"}).status_code == 404
    world.order.refresh_from_db()
    assert world.order.status == "open"


# --- cost ---------------------------------------------------------------------------------------------


def test_the_page_costs_a_pinned_number_of_queries_that_does_not_grow(world, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from backend.crm.services.orders import invoice_issue, payment_record

    client = client_for(world.rep)
    url = f"/orders/{world.order.pk}/"
    client.get(url)  # warm the session
    with CaptureQueriesContext(connection) as first:
        assert client.get(url).status_code == 200
    # when the order has more invoices and payments
    for n in range(4):
        invoice = invoice_issue(actor=world.rep, order=world.order, amount="1000")
        payment_record(actor=world.rep, order=world.order, amount="500", invoice=invoice, reference=f"R{n}")
    # then the page still costs the same, and the number is pinned
    with django_assert_num_queries(len(first.captured_queries)):
        page = client.get(url).content.decode()
    assert page.count('data-testid="invoice-INV') == 5 and "R3" in page
    assert len(first.captured_queries) == PINNED_QUERIES, "\n".join(q["sql"][:90] for q in first.captured_queries)


# session, user; the order (with customer, owner, quote and its figures), its lines (with products), invoices
# (with what is paid) and payments (with invoice and recorder); the audited read (the chain's head and the
# insert); may change it; may see its quote; the header's unread count
PINNED_QUERIES = 11
