"""Each order's stored balance (Order.balance_*): kept by the order, invoice and payment services in their
transaction, recomputed in bulk by order_balances_refresh (the migration's backfill), and the receivables
the reports sum from it equal to what the rows themselves say, on every day."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection

from backend.crm.models import Invoice, Order, OrderLine, Payment
from backend.crm.selectors import reports as figures
from backend.crm.services import orders as services
from backend.crm.services.order_balances import balance_of, order_balances_refresh, overdue_on
from tests.crm.factories import OrderFactory, ProductFactory

pytestmark = pytest.mark.django_db

D = dt.date.fromisoformat


@pytest.fixture
def lathe():
    return ProductFactory(code="QH-CK6150", name="数控车床 CNC lathe")


def _order(people, lathe, total="1000.00"):
    return services.order_create(actor=people["owner"], customer=people["customer"], signed_date=D("2026-04-01"),
                                 lines=[{"product": lathe.pk, "quantity": "1", "unit_price": total}])


def _balance(order) -> tuple:
    order = Order.objects.get(pk=order.pk)
    return (order.balance_total, order.balance_invoiced, order.balance_paid, order.balance_outstanding,
            order.balance_overdue_since, order.balance_last_due_on, order.balance_last_paid_on)


def test_the_services_keep_the_balance_in_their_transaction(people, lathe):
    # when an order of 1000 is signed
    order = _order(people, lathe)
    # then it owes 1000 and nothing is invoiced, paid or ever overdue yet
    assert _balance(order) == (Decimal("1000.00"), 0, 0, Decimal("1000.00"), None, None, None)

    # when 600 is invoiced, due on 10 May
    invoice = services.invoice_issue(actor=people["owner"], order=order, amount="600.00",
                                     issued_on=D("2026-04-10"), due_on=D("2026-05-10"))
    # then 600 of it will be overdue after 10 May
    assert _balance(order) == (Decimal("1000.00"), Decimal("600.00"), 0, Decimal("1000.00"), D("2026-05-10"),
                               D("2026-05-10"), None)

    # when 250 is paid against the invoice, then 600 unallocated as a prepayment
    services.payment_record(actor=people["owner"], order=order, amount="250.00", invoice=invoice,
                            received_on=D("2026-05-02"))
    assert _balance(order)[2:] == (Decimal("250.00"), Decimal("750.00"), D("2026-05-10"), D("2026-05-10"),
                                   D("2026-05-02"))
    services.payment_record(actor=people["owner"], order=order, amount="600.00", received_on=D("2026-05-20"),
                            is_prepayment=True)
    # then nothing invoiced is unpaid: the order will never be overdue, as things stand
    assert _balance(order)[2:] == (Decimal("850.00"), Decimal("150.00"), None, D("2026-05-10"), D("2026-05-20"))


def test_overdue_since_is_the_first_due_date_left_unpaid_when_invoices_fall_due_apart():
    # given two invoices, 100 due 1 May and 300 due 1 June, and 100 paid against the June one
    invoices = [(Decimal("100"), D("2026-05-01")), (Decimal("300"), D("2026-06-01"))]
    payments = [(Decimal("100"), D("2026-04-20"), D("2026-06-01"))]
    # then on 2 May the May invoice is past due and nothing went toward it: 100 overdue (by hand)
    assert overdue_on(D("2026-05-02"), invoices, payments) == Decimal("100")
    assert overdue_on(D("2026-05-01"), invoices, payments) == 0  # due today is not overdue
    # on 2 June both are past due: 400 less the 100 paid
    assert overdue_on(D("2026-06-02"), invoices, payments) == Decimal("300")
    balance = balance_of(Decimal("500"), invoices, payments)
    assert (balance.overdue_since, balance.last_due_on, balance.outstanding) == (D("2026-05-01"), D("2026-06-01"),
                                                                                  Decimal("400.00"))
    # and when the 100 was unallocated instead, it goes toward the May invoice: overdue only after June
    later = balance_of(Decimal("500"), invoices, [(Decimal("100"), D("2026-04-20"), None)])
    assert later.overdue_since == D("2026-06-01")


def test_a_bulk_refresh_gives_what_the_services_give(people, lathe):
    # given an order kept by the services, and a copy of its rows written directly (as a bulk load does)
    kept = _order(people, lathe, "900.00")
    invoice = services.invoice_issue(actor=people["owner"], order=kept, amount="900.00", issued_on=D("2026-04-02"),
                                     due_on=D("2026-05-02"))
    services.payment_record(actor=people["owner"], order=kept, amount="400.00", invoice=invoice,
                            received_on=D("2026-04-30"))
    raw = OrderFactory(customer=people["customer"], owner=people["owner"], signed_date=D("2026-04-01"))
    OrderLine.objects.filter(order=raw).delete()
    OrderLine.objects.create(order=raw, product=lathe, quantity=Decimal(1), unit_price=Decimal("900.00"),
                             line_total=Decimal("900.00"))
    raw_invoice = Invoice.objects.create(order=raw, number="INV-RAW", amount=Decimal("900.00"),
                                         issued_on=D("2026-04-02"), due_on=D("2026-05-02"))
    Payment.objects.create(order=raw, invoice=raw_invoice, amount=Decimal("400.00"), received_on=D("2026-04-30"),
                           recorded_by=people["owner"])
    assert _balance(raw) != _balance(kept)

    # when the balances are refreshed in bulk
    assert order_balances_refresh() == 2

    # then the direct copy's balance is the service-kept one, and that one did not change
    assert _balance(raw) == _balance(kept) == (Decimal("900.00"), Decimal("900.00"), Decimal("400.00"),
                                               Decimal("500.00"), D("2026-05-02"), D("2026-05-02"),
                                               D("2026-04-30"))


def _from_rows(as_of):
    """Per order (total, paid, overdue) as the rows alone say on `as_of` (the old, slow query)."""
    sql, params = figures._per_order_from_rows(Order.objects.all(), as_of)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, total, paid, overdue FROM ({sql}) r", params)
        return {row[0]: tuple(Decimal(value).quantize(Decimal("0.01")) for value in row[1:])
                for row in cursor.fetchall()}


def _from_balances(as_of):
    sql, params = figures._per_order_receivables(Order.objects.all(), as_of)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, total, paid, overdue FROM ({sql}) r", params)
        return {row[0]: tuple(Decimal(value).quantize(Decimal("0.01")) for value in row[1:])
                for row in cursor.fetchall()}


def test_the_reports_receivables_from_balances_equal_the_rows_on_every_day(people, lathe):
    # given orders with split invoices, payments against one invoice, prepayments and a payment dated later
    owner = people["owner"]
    one = _order(people, lathe, "1000.00")
    a = services.invoice_issue(actor=owner, order=one, amount="400.00", issued_on=D("2026-04-01"),
                               due_on=D("2026-04-20"))
    services.invoice_issue(actor=owner, order=one, amount="600.00", issued_on=D("2026-04-01"),
                           due_on=D("2026-05-20"))
    services.payment_record(actor=owner, order=one, amount="300.00", invoice=a, received_on=D("2026-04-25"))
    two = _order(people, lathe, "500.00")
    services.invoice_issue(actor=owner, order=two, amount="500.00", issued_on=D("2026-04-05"), due_on=D("2026-05-05"))
    services.payment_record(actor=owner, order=two, amount="200.00", received_on=D("2026-04-10"))
    services.payment_record(actor=owner, order=two, amount="300.00", received_on=D("2026-06-15"))
    three = _order(people, lathe, "800.00")
    services.payment_record(actor=owner, order=three, amount="900.00", received_on=D("2026-04-03"),
                            is_prepayment=True)
    four = _order(people, lathe, "300.00")
    services.invoice_issue(actor=owner, order=four, amount="300.00", issued_on=D("2026-04-01"), due_on=D("2026-04-15"))

    # when the receivables are asked for on each day from March to July
    day = D("2026-03-25")
    while day <= D("2026-07-05"):
        # then the stored balances (and the few orders they cannot answer) say what the rows say
        assert _from_balances(day) == _from_rows(day), day
        day += dt.timedelta(days=1)
