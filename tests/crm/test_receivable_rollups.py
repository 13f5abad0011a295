"""ReceivableDueTotals (services/receivable_rollups.py): per owner, customer, currency and last due date,
what is invoiced and unpaid on the orders that will be overdue; and ReceivableCustomerTotals, per customer
and currency, the orders and what is outstanding on them. Kept by the order, invoice and payment
services in their transaction, equal after every kind of write to what the orders' balances say (the
rebuild's own sums), rebuilt with ReceivableTotals; and the receivables a rep reads from the totals less
these rows equal the rows on every day (the reader's rows only: the due rows are narrowed with the totals)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Q

from backend.crm.models import (
    Invoice,
    Order,
    OrderStatus,
    Payment,
    ReceivableCustomerTotals,
    ReceivableDueTotals,
)
from backend.crm.reports import Period
from backend.crm.selectors import reports as figures
from backend.crm.services import orders as services
from backend.crm.services.receivable_rollups import receivable_customers_from_rows, receivable_dues_from_rows
from backend.crm.services.report_rollups import rollups_rebuild
from tests.crm.factories import CustomerFactory, ProductFactory, signed_order

pytestmark = pytest.mark.django_db

D = dt.date.fromisoformat


def _dues() -> dict[tuple, dict]:
    """The table as stored, without rows that came back to nothing (an order since paid in full)."""
    return {(row["owner_id"], row["customer_id"], row["currency"], row["due_on"]):
            {"orders": row["orders"], "open_invoiced": row["open_invoiced"]}
            for row in ReceivableDueTotals.objects.values("owner_id", "customer_id", "currency", "due_on", "orders",
                                                          "open_invoiced")
            if row["orders"] or row["open_invoiced"]}


@pytest.fixture
def lathe():
    return ProductFactory(code="QH-CK6150", name="数控车床 CNC lathe")


_order = signed_order


def test_every_kind_of_write_keeps_the_due_totals_equal_to_the_balances(people, lathe):
    owner, outsider = people["owner"], people["outsider"]
    customer = people["customer"]
    # when an order is signed: nothing is invoiced, nothing will be overdue
    order = _order(owner, customer, lathe, "1000.00", D("2026-04-01"))
    assert _dues() == {} == receivable_dues_from_rows()

    # when 400 is invoiced due 20 April: all of it is open on that due date
    first = services.invoice_issue(actor=owner, order=order, amount="400.00", issued_on=D("2026-04-01"),
                                   due_on=D("2026-04-20"))
    assert _dues() == {(owner.pk, customer.pk, "CNY", D("2026-04-20")): {"orders": 1,
                                                                         "open_invoiced": Decimal("400.00")}}
    assert _dues() == receivable_dues_from_rows()

    # when 600 more is invoiced due 20 May: the order's part moves to its last due date
    services.invoice_issue(actor=owner, order=order, amount="600.00", issued_on=D("2026-04-02"),
                           due_on=D("2026-05-20"))
    assert _dues() == {(owner.pk, customer.pk, "CNY", D("2026-05-20")): {"orders": 1,
                                                                         "open_invoiced": Decimal("1000.00")}}
    assert _dues() == receivable_dues_from_rows()

    # when part is paid against the first invoice, and then the rest against none
    services.payment_record(actor=owner, order=order, amount="300.00", invoice=first, received_on=D("2026-04-25"))
    assert _dues()[(owner.pk, customer.pk, "CNY", D("2026-05-20"))]["open_invoiced"] == Decimal("700.00")
    assert _dues() == receivable_dues_from_rows()
    services.payment_record(actor=owner, order=order, amount="700.00", received_on=D("2026-05-01"))
    # then an order paid in full is in no due date's sum
    assert _dues() == {} == receivable_dues_from_rows()

    # when another rep's USD order is invoiced and a prepayment covers part of it
    other = CustomerFactory(owner=outsider, region="北京")
    usd = _order(outsider, other, lathe, "500.00", D("2026-04-02"), currency="USD")
    services.payment_record(actor=outsider, order=usd, amount="100.00", received_on=D("2026-04-03"),
                            is_prepayment=True)
    services.invoice_issue(actor=outsider, order=usd, amount="500.00", issued_on=D("2026-04-05"),
                           due_on=D("2026-05-05"))
    assert _dues() == {(outsider.pk, other.pk, "USD", D("2026-05-05")): {"orders": 1,
                                                                         "open_invoiced": Decimal("400.00")}}
    assert _dues() == receivable_dues_from_rows()

    # when two orders of one customer share a due date: one row holds both
    again = _order(outsider, other, lathe, "50.00", D("2026-04-03"), currency="USD")
    services.invoice_issue(actor=outsider, order=again, amount="50.00", issued_on=D("2026-04-05"),
                           due_on=D("2026-05-05"))
    assert _dues()[(outsider.pk, other.pk, "USD", D("2026-05-05"))] == {"orders": 2,
                                                                         "open_invoiced": Decimal("450.00")}
    assert _dues() == receivable_dues_from_rows()

    # when an order with nothing invoiced is cancelled: nothing moves
    cancelled = _order(owner, customer, lathe, "5000.00", D("2026-04-03"))
    services.order_status_change(actor=owner, order=cancelled, status=OrderStatus.CANCELLED)
    assert _dues() == receivable_dues_from_rows()


def test_the_rebuild_fills_the_due_totals_from_balances_written_directly(people, lathe):
    # given an order whose invoice and payment were written without the services (a bulk load)
    order = _order(people["owner"], people["customer"], lathe, "100.00", D("2026-04-01"))
    Invoice.objects.create(order=order, number="INV-X", amount=Decimal("80.00"), issued_on=D("2026-04-02"),
                           due_on=D("2026-05-02"))
    Payment.objects.create(order=order, amount=Decimal("30.00"), received_on=D("2026-04-03"),
                           recorded_by=people["owner"])
    from backend.crm.services.order_balances import order_balances_refresh

    # when the balances and the rollups are rebuilt (as a bulk load does)
    order_balances_refresh()
    rollups_rebuild()
    # then the due totals hold what the balances say
    assert _dues() == {(people["owner"].pk, people["customer"].pk, "CNY", D("2026-05-02")): {
        "orders": 1, "open_invoiced": Decimal("50.00")}}


def _rows_receivables(orders, as_of):
    """Per (owner, currency): outstanding and overdue on `as_of` as the rows alone say."""
    sql, params = figures._per_order_from_rows(orders, as_of)
    found: dict[tuple, list] = {}
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT r.owner_id, r.currency, r.total, r.paid, r.overdue FROM ({sql}) r", params)
        for owner_id, currency, total, paid, overdue in cursor.fetchall():
            sums = found.setdefault((owner_id, currency), [Decimal(0), Decimal(0)])
            sums[0] += total - paid
            sums[1] += overdue
    return {key: (figures.cents(a), figures.cents(b)) for key, (a, b) in found.items() if a or b}


def test_a_reps_receivables_from_the_totals_equal_the_rows_on_every_day(people, lathe):
    # given the rep's orders (split due dates, a payment dated later, one not yet due) and another rep's
    owner, outsider = people["owner"], people["outsider"]
    one = _order(owner, people["customer"], lathe, "1000.00", D("2026-04-01"))
    a = services.invoice_issue(actor=owner, order=one, amount="400.00", issued_on=D("2026-04-01"),
                               due_on=D("2026-04-20"))
    services.invoice_issue(actor=owner, order=one, amount="600.00", issued_on=D("2026-04-01"), due_on=D("2026-05-20"))
    services.payment_record(actor=owner, order=one, amount="300.00", invoice=a, received_on=D("2026-04-25"))
    two = _order(owner, CustomerFactory(owner=owner, region="苏州"), lathe, "800.00", D("2026-05-10"))
    services.invoice_issue(actor=owner, order=two, amount="800.00", issued_on=D("2026-05-10"), due_on=D("2026-06-09"))
    services.payment_record(actor=owner, order=two, amount="500.00", received_on=D("2026-06-20"))
    other = _order(outsider, CustomerFactory(owner=outsider), lathe, "900.00", D("2026-04-02"))
    services.invoice_issue(actor=outsider, order=other, amount="900.00", issued_on=D("2026-04-02"),
                           due_on=D("2026-05-02"))
    # when the rep reads the receivables on each day from April to July
    day = D("2026-03-30")
    while day <= D("2026-07-05"):
        found = {(row["key"], row["currency"]): (row["outstanding"], row["overdue"])
                 for row in figures.figures(user=owner, period=Period(day - dt.timedelta(days=30), day)).rows
                 if row["outstanding"] or row["overdue"]}
        # then they are the rows' of the rep's orders signed by then, and nothing of the other rep's
        mine = Order.objects.exclude(status=OrderStatus.CANCELLED).filter(owner=owner).filter(
            Q(signed_date__lte=day) | Q(signed_date__isnull=True))
        assert found == _rows_receivables(mine, day), day
        day += dt.timedelta(days=3)


def _customer_totals() -> dict[tuple, tuple]:
    """ReceivableCustomerTotals as stored, without rows that came back to nothing (a cancelled order's)."""
    return {(row.customer_id, row.currency): (row.orders, row.outstanding)
            for row in ReceivableCustomerTotals.objects.all() if row.orders or row.outstanding}


def test_the_customer_totals_kept_by_every_write_equal_the_rebuilt_ones(people, lathe):
    owner, outsider, admin = people["owner"], people["outsider"], people["admin"]
    customer, other = people["customer"], CustomerFactory(owner=outsider, region="北京")
    # when orders of two owners for one customer, in two currencies, are signed, invoiced, paid (a
    # prepayment, an overpayment) and one cancelled, and another customer's order is unsigned
    one = _order(owner, customer, lathe, "1000.00", D("2026-04-01"))
    assert _customer_totals() == {(customer.pk, "CNY"): (1, Decimal("1000.00"))}
    two = _order(admin, customer, lathe, "500.00", D("2026-04-02"))
    usd = _order(owner, customer, lathe, "300.00", D("2026-04-03"), currency="USD")
    invoice = services.invoice_issue(actor=owner, order=one, amount="600.00", issued_on=D("2026-04-05"),
                                     due_on=D("2026-05-05"))
    services.payment_record(actor=owner, order=one, amount="250.00", invoice=invoice, received_on=D("2026-04-20"))
    services.payment_record(actor=admin, order=two, amount="100.00", received_on=D("2026-04-06"),
                            is_prepayment=True)
    services.payment_record(actor=owner, order=usd, amount="350.00", received_on=D("2026-04-07"), is_prepayment=True)
    cancelled = _order(owner, customer, lathe, "5000.00", D("2026-04-08"))
    services.order_status_change(actor=owner, order=cancelled, status=OrderStatus.CANCELLED)
    _order(outsider, other, lathe, "70.00", None)
    # then each customer's row sums its orders not cancelled, whoever owns them (the overpaid one below nothing)
    kept = _customer_totals()
    assert kept == {(customer.pk, "CNY"): (2, Decimal("1150.00")), (customer.pk, "USD"): (1, Decimal("-50.00")),
                    (other.pk, "CNY"): (1, Decimal("70.00"))}
    assert kept == {group: (row["orders"], row["outstanding"])
                    for group, row in receivable_customers_from_rows().items()}
    # and the rebuild (every bulk load's and migration's) writes the same rows
    rollups_rebuild()
    assert _customer_totals() == kept
