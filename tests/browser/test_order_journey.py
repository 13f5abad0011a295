"""A rep turns an accepted quote into an order from the quote page, issues an invoice for part of it, records
the customer's payment against that invoice, and finds the order on the customer page with its receivables.
In English and in Chinese, under the Content-Security-Policy, with axe, and the order page at phone width."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from backend.audit.models import AuditEvent
from backend.crm.models import Invoice, Order, Payment
from tests.browser.axe import axe_source, serious_violations
from tests.browser.problems import REPORT_VIOLATIONS

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(240)]


WORDS = {
    "en": {"recorded": "is recorded.", "issued": "is issued, due on", "paid": "received on", "state_paid": "Paid",
           "too_much": "is not invoiced yet."},
    "zh-hans": {"recorded": "已登记。", "issued": "已开具发票", "paid": "已登记", "state_paid": "已付",
                "too_much": "尚未开票"},
}


def _no_axe_violations(page):
    found = serious_violations(page, axe_source())
    assert not found, "\n".join(found)


def _accepted_quote(world):
    """A second accepted quote of the rep's: three lathes and two spindles, 3% off the lathes."""
    from backend.crm.models import Product
    from backend.crm.services import quotes as quote_services

    spindle = Product.objects.create(code="QH-SP-10", name="主轴", name_en="Spindle", list_price=Decimal("5000"))
    quote, _ = quote_services.quote_create(actor=world.rep, customer=world.customer, number="Q-2026-0007", lines=[
        {"product": world.product.pk, "quantity": "3", "unit_price": "120000", "discount_percent": "3"},
        {"product": spindle.pk, "quantity": "2", "unit_price": "5000", "discount_percent": "0"}])
    quote = quote_services.quote_status_change(actor=world.rep, quote=quote, status="sent")
    return quote_services.quote_status_change(actor=world.rep, quote=quote, status="accepted")


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_rep_turns_an_accepted_quote_into_an_order_invoices_it_and_records_a_payment(
        world, open_as, live_server, shots, language):
    words = WORDS[language]
    suffix = "en" if language == "en" else "zh"
    quote = _accepted_quote(world)  # 3 x 120,000 less 3% = 349,200, and 2 x 5,000: 359,200 in all
    page = open_as("wang.fang", language)
    problems: list[str] = []
    page.context.expose_binding("__cspViolation", lambda source, text: problems.append(f"CSP: {text}"))
    page.context.add_init_script(REPORT_VIOLATIONS)
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))

    # given the accepted quote's page, where the rep clicks "Make an order from this quote"
    page.goto(f"{live_server.url}/quotes/{quote.pk}/")
    page.click("[data-testid=quote-make-order] a")
    page.wait_for_url(re.compile(rf"/orders/new/\?quote={quote.pk}$"))
    # the form shows the quote's lines and total, and takes the signing date
    expect(page.locator("[data-testid=order-quote-total]")).to_have_text("¥359,200.00")
    signed = dt.date.today() - dt.timedelta(days=2)
    page.fill("#order-signed_date", signed.isoformat())
    _no_axe_violations(page)
    shots(page, f"order-new-from-quote-{suffix}")
    page.click("[data-testid=order-save]")

    # then the order page shows it under its number, from the quote, with nothing invoiced or paid
    page.wait_for_url(re.compile(r"/orders/\d+/$"))
    order = Order.objects.get(quote=quote)
    expect(page.locator(".alert-success")).to_contain_text(words["recorded"])
    expect(page.locator("[data-testid=order-number]")).to_have_text(order.number)
    expect(page.locator("[data-testid=order-quote]")).to_contain_text("Q-2026-0007")
    expect(page.locator("[data-testid=order-lines] tbody tr")).to_have_count(2)
    expect(page.locator("[data-testid=order-total]")).to_have_text("¥359,200.00")
    expect(page.locator("[data-testid=order-outstanding]")).to_have_text("¥359,200.00")

    # when she tries to invoice more than the order: told so next to the amount, nothing issued
    page.fill("#invoice-amount", "400000")
    page.click("[data-testid=invoice-submit]")
    expect(page.locator("#invoice-amount-error")).to_contain_text(words["too_much"])
    assert not Invoice.objects.filter(order=order).exists()

    # when she invoices the lathes, due in 30 days
    due = dt.date.today() + dt.timedelta(days=30)
    page.fill("#invoice-amount", "349200")
    page.fill("#invoice-issued_on", dt.date.today().isoformat())
    page.fill("#invoice-due_on", due.isoformat())
    page.click("[data-testid=invoice-submit]")
    page.wait_for_url(re.compile(r"/orders/\d+/#invoices$"))
    expect(page.locator(".alert-success")).to_contain_text(words["issued"])
    invoice = Invoice.objects.get(order=order)
    expect(page.locator(f"[data-testid=invoice-{invoice.number}]")).to_contain_text("¥349,200.00")
    expect(page.locator("[data-testid=order-invoiced]")).to_have_text("¥349,200.00")

    # when the customer pays that invoice: the form offers the invoice and its unpaid amount
    expect(page.locator("#payment-invoice")).to_have_value(str(invoice.pk))
    expect(page.locator("#payment-amount")).to_have_value("349200.00")
    page.fill("#payment-reference", "ICBC 20261207-0042")
    page.click("[data-testid=payment-submit]")
    page.wait_for_url(re.compile(r"/orders/\d+/#payments$"))
    expect(page.locator(".alert-success")).to_contain_text(words["paid"])
    expect(page.locator("[data-testid=order-paid]")).to_have_text("¥349,200.00")
    expect(page.locator("[data-testid=order-outstanding]")).to_have_text("¥10,000.00")
    expect(page.locator(f"[data-testid=invoice-{invoice.number}]")).to_contain_text(words["state_paid"])
    expect(page.locator("[data-testid=order-payments] tbody tr")).to_contain_text("ICBC 20261207-0042")
    _no_axe_violations(page)
    shots(page, f"order-{suffix}")

    # and the order page fits a phone: nothing wider than the screen, tables scroll in their own box
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.evaluate("window.scrollTo(0, 0)")
    shots(page, f"order-phone-{suffix}", full_page=False)
    page.set_viewport_size({"width": 1366, "height": 900})

    # then the customer page lists the order with its receivables and opens it
    page.goto(f"{live_server.url}/customers/{world.customer.pk}/")
    page.click(f"[data-testid=order-link-{order.number}]")
    page.wait_for_url(re.compile(rf"/orders/{order.pk}/$"))

    payment = Payment.objects.get(order=order)
    assert payment.invoice == invoice and payment.amount == Decimal("349200.00") and order.signed_date == signed
    for event_type in ("crm.order.created", "crm.invoice.issued", "crm.payment.recorded", "crm.order.viewed"):
        assert AuditEvent.objects.filter(event_type=event_type, target_id=str(order.pk),
                                         actor_id=world.rep.pk).exists(), event_type
    assert problems == []
