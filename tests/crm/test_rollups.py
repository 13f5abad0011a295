"""The reports' rollups (RepDayFigures: per day, rep and currency, sales and orders signed, collections,
invoices issued, approved expenses; ReceivableTotals: per owner, customer and currency, the sums of the
orders' balances, and ReceivableCustomerTotals, those summed per customer): kept by the order, invoice,
payment and expense services in their transaction, equal after every kind of write to what the rows say
(the backfill's own sums), and the figures the reports page reads from them equal to the rows' figures,
receivables included, on any day; a past period reads the same whatever is written later."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Q

from backend.crm.models import (
    MONTH_COLUMNS,
    CustomerMonthFigures,
    CustomerYearOrders,
    Expense,
    ExpenseStatus,
    Invoice,
    OrderLine,
    OrderStatus,
    Payment,
    ProductMonthFigures,
    ReceivableCustomerTotals,
    ReceivableTotals,
    RepDayFigures,
)
from backend.crm.reports import Period
from backend.crm.selectors import reports as figures
from backend.crm.services import orders as services
from backend.crm.services.expenses import expense_decide, expense_submit
from backend.crm.selectors.handover import handover_book
from backend.crm.services.handover import handover_run
from backend.crm.services.receivable_rollups import receivable_customers_from_rows
from backend.crm.services.report_rollups import (
    CUSTOMER_MEASURES,
    MEASURES,
    PRODUCT_MEASURES,
    RECEIVABLE_MEASURES,
    customer_months_from_rows,
    customer_years_from_rows,
    customer_years_rebuild,
    product_months_from_rows,
    receivables_from_rows,
    rollup_add,
    rollups_from_rows,
    rollups_rebuild,
)
from tests.crm.factories import CustomerFactory, ProductFactory, signed_order

pytestmark = pytest.mark.django_db

D = dt.date.fromisoformat
Q2 = Period(D("2026-04-01"), D("2026-06-30"))


def _table() -> dict[tuple, dict]:
    """The rollup as stored, without rows that hold nothing (what an order signed and then cancelled leaves)."""
    stored = {}
    for row in RepDayFigures.objects.values("day", "rep_id", "currency", *MEASURES):
        values = {measure: row[measure] for measure in MEASURES}
        if any(values.values()):
            stored[(row["day"], row["rep_id"], row["currency"])] = values
    return stored


def _receivable_table() -> dict[tuple, dict]:
    stored = {}
    for row in ReceivableTotals.objects.values("owner_id", "customer_id", "currency", *RECEIVABLE_MEASURES):
        values = {measure: row[measure] for measure in RECEIVABLE_MEASURES}
        if any(values.values()):
            stored[(row["owner_id"], row["customer_id"], row["currency"])] = values
    return stored


def _customer_receivable_table() -> dict[tuple, dict]:
    return {(row["customer_id"], row["currency"]): {"orders": row["orders"], "outstanding": row["outstanding"]}
            for row in ReceivableCustomerTotals.objects.values("customer_id", "currency", "orders", "outstanding")
            if row["orders"] or row["outstanding"]}


def _month_table(model, key: str, measures) -> dict[tuple, dict]:
    stored = {}
    for row in model.objects.values("month", key, "rep_id", "currency", *measures):
        values = {measure: row[measure] for measure in measures}
        if any(values.values()):
            stored[(row["month"], row[key], row["rep_id"], row["currency"])] = values
    return stored


def _year_table() -> dict[tuple, dict]:
    """CustomerYearOrders as stored, without rows of only zeros (a customer's orders all cancelled)."""
    stored = {}
    for row in CustomerYearOrders.objects.values("year", "customer_id", *MONTH_COLUMNS):
        values = {column: row[column] for column in MONTH_COLUMNS}
        if any(values.values()):
            stored[(row["year"], row["customer_id"])] = values
    return stored


def _assert_rollup_equals_rows():
    assert _table() == rollups_from_rows()
    assert _receivable_table() == receivables_from_rows()
    assert _customer_receivable_table() == receivable_customers_from_rows()
    assert _month_table(CustomerMonthFigures, "customer_id", CUSTOMER_MEASURES) == customer_months_from_rows()
    assert _month_table(ProductMonthFigures, "product_id", PRODUCT_MEASURES) == product_months_from_rows()
    assert _year_table() == customer_years_from_rows()


def _figures_from_rows(user, period, group_by):
    """The figures summed from the rows: the rollup emptied and rebuilt from them, then read again."""
    rollups_rebuild()
    return figures.figures(user=user, period=period, group_by=group_by).rows


@pytest.fixture
def lathe():
    return ProductFactory(code="QH-CK6150", name="数控车床 CNC lathe")


_order = signed_order


def test_every_kind_of_write_keeps_the_rollup_equal_to_the_rows(people, lathe):
    owner, admin = people["owner"], people["admin"]
    customer = people["customer"]
    # when an order of 1000 CNY is signed on 1 April
    order = _order(owner, customer, lathe, "1000.00", D("2026-04-01"))
    # then the rep's 1 April holds 1000 of sales and one order, and nothing else
    assert _table() == {(D("2026-04-01"), owner.pk, "CNY"): {
        "sales": Decimal("1000.00"), "orders": 1, "collected": 0, "invoiced": 0, "expenses": 0}}
    _assert_rollup_equals_rows()

    # when an unsigned order is recorded: it is in no day's sales (as the rows say)
    _order(owner, customer, lathe, "50.00", None)
    _assert_rollup_equals_rows()

    # when 600 is invoiced on 10 April and 250 then 300 are paid (the second the same day, against no invoice)
    invoice = services.invoice_issue(actor=owner, order=order, amount="600.00", issued_on=D("2026-04-10"),
                                     due_on=D("2026-05-10"))
    services.payment_record(actor=owner, order=order, amount="250.00", invoice=invoice, received_on=D("2026-04-20"))
    services.payment_record(actor=owner, order=order, amount="300.00", received_on=D("2026-04-20"))
    assert _table()[(D("2026-04-10"), owner.pk, "CNY")]["invoiced"] == Decimal("600.00")
    assert _table()[(D("2026-04-20"), owner.pk, "CNY")]["collected"] == Decimal("550.00")
    _assert_rollup_equals_rows()

    # when a USD order is signed and cancelled: its day comes back to nothing
    usd = _order(owner, customer, lathe, "200.00", D("2026-05-01"), currency="USD")
    assert _table()[(D("2026-05-01"), owner.pk, "USD")]["orders"] == 1
    services.order_status_change(actor=owner, order=usd, status=OrderStatus.CANCELLED)
    assert (D("2026-05-01"), owner.pk, "USD") not in _table()
    _assert_rollup_equals_rows()
    # and a fulfilled order stays in the sales
    services.order_status_change(actor=owner, order=order, status=OrderStatus.FULFILLED)
    _assert_rollup_equals_rows()

    # when one expense is approved and another rejected: only the approved one counts, for its submitter
    approved = expense_submit(actor=owner, amount="120.00", spent_on=D("2026-04-05"), category="travel")
    rejected = expense_submit(actor=owner, amount="80.00", spent_on=D("2026-04-05"), category="travel")
    assert (D("2026-04-05"), owner.pk, "CNY") not in _table()  # submitted is not spent yet
    expense_decide(actor=admin, expense=approved, approve=True)
    expense_decide(actor=admin, expense=rejected, approve=False, note="Duplicate")
    assert _table()[(D("2026-04-05"), owner.pk, "CNY")]["expenses"] == Decimal("120.00")
    _assert_rollup_equals_rows()

    # when the rep's book is handed over: customers move, orders keep their owner, the figures stay put
    before = figures.figures(user=admin, period=Q2, group_by="rep").rows
    plan = {row.key: people["colleague"] for row in handover_book(user=admin, rep=owner).rows}
    handover_run(actor=admin, rep=owner, plan=plan)
    _assert_rollup_equals_rows()
    assert figures.figures(user=admin, period=Q2, group_by="rep").rows == before


def test_the_figures_by_rep_and_team_from_the_rollup_equal_the_rows(people, lathe):
    # given orders, invoices, payments and expenses of two reps in two departments, in two currencies
    owner, outsider, admin = people["owner"], people["outsider"], people["admin"]
    other = CustomerFactory(owner=outsider, region="北京")
    for day, total in (("2026-04-02", "1000.00"), ("2026-05-15", "250.50"), ("2026-06-30", "99.99")):
        order = _order(owner, people["customer"], lathe, total, D(day))
        services.invoice_issue(actor=owner, order=order, amount="50.00", issued_on=D(day))
        services.payment_record(actor=owner, order=order, amount="10.00", received_on=D(day) + dt.timedelta(days=1))
    usd = _order(outsider, other, lathe, "700.00", D("2026-04-20"), currency="USD")
    services.payment_record(actor=outsider, order=usd, amount="700.00", received_on=D("2026-07-01"))  # after Q2
    expense = expense_submit(actor=outsider, amount="33.00", spent_on=D("2026-06-01"), category="travel")
    expense_decide(actor=admin, expense=expense, approve=True)
    for group_by in ("rep", "team"):
        # when the figures are read from the rollup kept by the services
        kept = figures.figures(user=admin, period=Q2, group_by=group_by).rows
        # then they equal the rollup rebuilt from the rows, row for row
        assert kept == _figures_from_rows(admin, Q2, group_by)
    by_rep = {(row["key"], row["currency"]): row for row in figures.figures(user=admin, period=Q2, group_by="rep").rows}
    assert by_rep[(owner.pk, "CNY")]["sales"] == Decimal("1350.49")
    assert by_rep[(owner.pk, "CNY")]["orders"] == 3
    assert by_rep[(owner.pk, "CNY")]["collected"] == Decimal("20.00")  # the third is paid on 1 July
    assert by_rep[(outsider.pk, "USD")]["collected"] == Decimal("0.00")
    assert by_rep[(outsider.pk, "CNY")]["expenses"] == Decimal("33.00")


def test_a_past_period_reads_the_same_whatever_is_written_later(people, lathe):
    owner, admin = people["owner"], people["admin"]
    order = _order(owner, people["customer"], lathe, "1000.00", D("2026-04-01"))
    services.payment_record(actor=owner, order=order, amount="100.00", received_on=D("2026-04-03"))
    before = [{k: v for k, v in row.items() if k not in ("outstanding", "overdue")}
              for row in figures.figures(user=admin, period=Q2, group_by="rep").rows]
    # when payments, invoices, orders and expenses are written in the next quarter
    services.payment_record(actor=owner, order=order, amount="100.00", received_on=D("2026-07-03"))
    services.invoice_issue(actor=owner, order=order, amount="500.00", issued_on=D("2026-07-04"))
    _order(owner, people["customer"], lathe, "10.00", D("2026-07-05"))
    expense = expense_submit(actor=owner, amount="5.00", spent_on=D("2026-07-06"), category="travel")
    expense_decide(actor=admin, expense=expense, approve=True)
    # then the second quarter's sales, collections, invoices and expenses are what they were
    after = [{k: v for k, v in row.items() if k not in ("outstanding", "overdue")}
             for row in figures.figures(user=admin, period=Q2, group_by="rep").rows]
    assert after == before


def test_the_rebuild_and_the_increments_agree_on_rows_written_directly(people, lathe):
    # given rows written without the services (a bulk load): the rollup knows nothing of them
    order = services.order_create(actor=people["owner"], customer=people["customer"], signed_date=D("2026-04-01"),
                                  lines=[{"product": lathe.pk, "quantity": "2", "unit_price": "10.00"}])
    OrderLine.objects.create(order=order, product=lathe, quantity=Decimal(1), unit_price=Decimal("5.00"),
                             line_total=Decimal("5.00"))
    Invoice.objects.create(order=order, number="INV-X", amount=Decimal("25.00"), issued_on=D("2026-04-02"),
                           due_on=D("2026-05-02"))
    Payment.objects.create(order=order, amount=Decimal("7.00"), received_on=D("2026-04-03"),
                           recorded_by=people["owner"])
    Expense.objects.create(submitter=people["owner"], amount=Decimal("3.00"), currency="CNY",
                           spent_on=D("2026-04-04"), status=ExpenseStatus.APPROVED, decided_by=people["admin"],
                           decided_at=order.created_at)
    assert _table() != rollups_from_rows()
    # when the rollup is rebuilt (as migration crm 0018 fills it)
    count = rollups_rebuild()
    # then it holds what the rows say, one row per day, rep and currency
    assert count == 4
    _assert_rollup_equals_rows()
    assert _table()[(D("2026-04-01"), people["owner"].pk, "CNY")] == {
        "sales": Decimal("25.00"), "orders": 1, "collected": 0, "invoiced": 0, "expenses": 0}


def test_increments_add_up_under_one_row(people):
    customer = people["customer"].pk
    # when two writes add to the same day, rep and currency (as two transactions would, one after the other)
    rollup_add(day=D("2026-04-01"), rep_id=people["owner"].pk, currency="CNY", customer_id=customer,
               collected=Decimal("1.10"))
    rollup_add(day=D("2026-04-20"), rep_id=people["owner"].pk, currency="CNY", customer_id=customer,
               collected=Decimal("2.20"), invoiced=Decimal("5.00"))
    rollup_add(day=D("2026-04-01"), rep_id=people["owner"].pk, currency="CNY", customer_id=customer,
               collected=Decimal("0.40"))
    # then one row holds both, added (the upsert adds under the row's lock; it never overwrites)
    row = RepDayFigures.objects.get(day=D("2026-04-01"))
    assert (row.collected, row.invoiced, row.sales, row.orders) == (Decimal("1.50"), Decimal("0.00"), 0, 0)
    # and the customer's April holds all three
    month = CustomerMonthFigures.objects.get()
    assert (month.month, month.collected, month.invoiced, month.orders) == (D("2026-04-01"), Decimal("3.70"),
                                                                            Decimal("5.00"), 0)
    # and an undated figure (an unsigned order) is no row at all
    rollup_add(day=None, rep_id=people["owner"].pk, currency="CNY", customer_id=customer, products={},
               sales=Decimal("9.00"), orders=1)
    assert (RepDayFigures.objects.count(), CustomerMonthFigures.objects.count()) == (2, 1)
    with pytest.raises(ValueError):
        rollup_add(day=D("2026-04-01"), rep_id=people["owner"].pk, currency="CNY", margin=Decimal(1))
    # an order's figures name its customer, and its sales their products: the month rollups cannot be skipped
    with pytest.raises(ValueError):
        rollup_add(day=D("2026-04-01"), rep_id=people["owner"].pk, currency="CNY", collected=Decimal(1))
    with pytest.raises(ValueError):
        rollup_add(day=D("2026-04-01"), rep_id=people["owner"].pk, currency="CNY", customer_id=customer,
                   sales=Decimal(1), orders=1)


def _receivables_from_rows(as_of, group_by, signed_by=True):
    """Per group and currency (outstanding, overdue) on `as_of` as the rows alone say (the slow query)."""
    from django.db import connection

    from backend.crm.models import Order

    orders = Order.objects.exclude(status=OrderStatus.CANCELLED)
    if signed_by:
        orders = orders.filter(Q(signed_date__lte=as_of) | Q(signed_date__isnull=True))
    sql, params = figures._per_order_from_rows(orders, as_of)
    found: dict[tuple, list] = {}
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT r.id, r.total, r.paid, r.overdue FROM ({sql}) r", params)
        per_order = {pk: (total, paid, overdue) for pk, total, paid, overdue in cursor.fetchall()}
    for order in Order.objects.filter(pk__in=per_order).select_related("owner", "customer"):
        key = {"rep": order.owner_id, "team": order.owner.department_id, "region": order.customer.region,
               "customer": order.customer_id}[group_by]
        total, paid, overdue = per_order[order.pk]
        sums = found.setdefault((key, order.currency), [Decimal(0), Decimal(0), Decimal(0)])
        sums[0] += total
        sums[1] += paid
        sums[2] += overdue
    return found


def test_the_receivables_from_the_totals_equal_the_rows_on_every_day(people, lathe):
    # given two reps' orders: split invoices, a payment against one, a prepayment, a payment dated later,
    # an order signed late in the period, an unsigned one and a cancelled one
    owner, outsider, admin = people["owner"], people["outsider"], people["admin"]
    other = CustomerFactory(owner=outsider, region="北京", name="北京 Tools")
    one = _order(owner, people["customer"], lathe, "1000.00", D("2026-04-01"))
    a = services.invoice_issue(actor=owner, order=one, amount="400.00", issued_on=D("2026-04-01"),
                               due_on=D("2026-04-20"))
    services.invoice_issue(actor=owner, order=one, amount="600.00", issued_on=D("2026-04-01"), due_on=D("2026-05-20"))
    services.payment_record(actor=owner, order=one, amount="300.00", invoice=a, received_on=D("2026-04-25"))
    two = _order(outsider, other, lathe, "500.00", D("2026-04-02"), currency="USD")
    services.invoice_issue(actor=outsider, order=two, amount="500.00", issued_on=D("2026-04-05"),
                           due_on=D("2026-05-05"))
    services.payment_record(actor=outsider, order=two, amount="200.00", received_on=D("2026-04-10"))
    services.payment_record(actor=outsider, order=two, amount="300.00", received_on=D("2026-06-15"))
    three = _order(owner, CustomerFactory(owner=owner, region="苏州"), lathe, "800.00", D("2026-05-10"))
    services.payment_record(actor=owner, order=three, amount="900.00", received_on=D("2026-05-12"), is_prepayment=True)
    late = _order(outsider, other, lathe, "300.00", D("2026-06-01"))
    services.invoice_issue(actor=outsider, order=late, amount="300.00", issued_on=D("2026-06-01"),
                           due_on=D("2026-06-10"))
    # (and one overdue since mid-April, still mostly unpaid, part of it paid in late June)
    four = _order(owner, people["customer"], lathe, "600.00", D("2026-04-05"))
    services.invoice_issue(actor=owner, order=four, amount="600.00", issued_on=D("2026-04-05"),
                           due_on=D("2026-04-15"))
    services.payment_record(actor=owner, order=four, amount="100.00", received_on=D("2026-06-20"))
    _order(owner, people["customer"], lathe, "70.00", None)
    cancelled = _order(owner, people["customer"], lathe, "5000.00", D("2026-04-03"))
    services.order_status_change(actor=owner, order=cancelled, status=OrderStatus.CANCELLED)
    _assert_rollup_equals_rows()

    # when the receivables are asked for on each day from late March to July, grouped every way
    day = D("2026-03-28")
    while day <= D("2026-07-03"):
        for group_by in ("rep", "team", "region", "customer"):
            found = figures.figures(user=admin, period=Period(day - dt.timedelta(days=30), day),
                                    group_by=group_by).rows
            kept = {(row["key"], row["currency"]): (row["outstanding"], row["overdue"]) for row in found
                    if row["outstanding"] or row["overdue"]}
            rows = {group: (figures.cents(total - paid), figures.cents(overdue))
                    for group, (total, paid, overdue) in _receivables_from_rows(day, group_by).items()
                    if total - paid or overdue}
            # then the totals, corrected by the orders they do not answer for, say what the rows say
            assert kept == rows, (day, group_by)
        # and the chart's largest debtors are the rows' (every order, signed or not)
        top = {(row["customer_id"], row["currency"]): (row["outstanding"], row["overdue"])
               for row in figures.receivables_top(user=admin, as_of=day)}
        debts = {group: (figures.cents(total - paid), figures.cents(overdue))
                 for group, (total, paid, overdue) in _receivables_from_rows(day, "customer", False).items()
                 if total - paid > 0}
        assert top == debts, day
        # and so are its first one and two (the groups paid later on the day, or not, among them)
        largest = sorted(debts, key=lambda group: (-debts[group][0], group[0]))
        for limit in (1, 2):
            assert {(row["customer_id"], row["currency"]): (row["outstanding"], row["overdue"])
                    for row in figures.receivables_top(user=admin, as_of=day, limit=limit)} == {
                group: debts[group] for group in largest[:limit]}, (day, limit)
        day += dt.timedelta(days=3)


def test_the_receivables_chart_follows_what_the_reader_may_see(people, lathe):
    # given orders of a customer the rep owns and of one in another team
    owner, outsider = people["owner"], people["outsider"]
    _order(owner, people["customer"], lathe, "100.00", D("2026-04-01"))
    theirs = _order(outsider, CustomerFactory(owner=outsider, region="北京"), lathe, "900.00", D("2026-04-01"))
    # when each reads the chart, then each sees only their own customer's debt; the admin both
    assert [row["outstanding"] for row in figures.receivables_top(user=owner)] == [Decimal("100.00")]
    assert [row["outstanding"] for row in figures.receivables_top(user=outsider)] == [Decimal("900.00")]
    assert [row["outstanding"] for row in figures.receivables_top(user=people["admin"])] == [
        Decimal("900.00"), Decimal("100.00")]
    # and on a day before the other team's customer paid in full: still not theirs for the rep
    services.payment_record(actor=outsider, order=theirs, amount="900.00", received_on=D("2026-05-01"))
    assert [row["outstanding"] for row in figures.receivables_top(user=owner, as_of=D("2026-04-15"))] == [
        Decimal("100.00")]
    assert [row["outstanding"] for row in figures.receivables_top(user=people["admin"], as_of=D("2026-04-15"))] == [
        Decimal("900.00"), Decimal("100.00")]
    assert [row["outstanding"] for row in figures.receivables_top(user=people["admin"])] == [Decimal("100.00")]


# --- the month rollups (CustomerMonthFigures, ProductMonthFigures): the figures by region, customer and
# product, and retention, read whole months from them and the edge days from the rows ----------------

MONTH_GROUPS = ("region", "customer", "product")
# A quarter (whole months, no edge), edges on both sides, one side each, days inside one month, open ends.
PERIODS = (Q2, Period(D("2026-03-20"), D("2026-07-05")), Period(D("2026-04-15"), D("2026-06-30")),
           Period(D("2026-04-01"), D("2026-05-20")), Period(D("2026-04-05"), D("2026-04-25")),
           Period(None, D("2026-05-31")), Period(D("2026-04-10"), None))


def _rows_only(monkeypatch):
    """Make the figures and retention read every day of a period from the rows (no month held whole):
    the row answer, through the same code."""
    monkeypatch.setattr(figures, "_month_split", lambda period: (None, [period]))
    monkeypatch.setattr(figures, "_month_span", lambda period: (None, [period]))


def _both(monkeypatch, read):
    """`read()` from the month rollups, then from the rows alone."""
    kept = read()
    with monkeypatch.context() as rows_only:
        _rows_only(rows_only)
        return kept, read()


def _assert_month_figures_equal_rows(monkeypatch, readers, periods=PERIODS, groups=MONTH_GROUPS):
    for user in readers:
        for period in periods:
            for group_by in groups:
                kept, rows = _both(monkeypatch, lambda: figures.figures(user=user, period=period,
                                                                        group_by=group_by).rows)
                assert kept == rows, (user.username, period, group_by)


@pytest.fixture
def month_world(people, lathe):
    """Two reps in two departments, three customers in two regions, two products, two currencies."""
    from tests.crm.factories import ProductFactory as Products

    owner, outsider = people["owner"], people["outsider"]
    north = CustomerFactory(owner=outsider, region="北京", name="北京 Tools")
    suzhou = CustomerFactory(owner=owner, region="苏州", name="苏州 Works")
    for customer in (people["customer"], north, suzhou):
        customer.created_at = dt.datetime(2025, 1, 2, tzinfo=dt.timezone.utc)
        customer.save()
    return {"north": north, "suzhou": suzhou, "drill": Products(code="ZX-50", name="钻床 drill")}


def _manager(user):
    """`user` made a team manager (crm.view_team_figures), fresh from the database (permissions are cached)."""
    from django.contrib.auth.models import Permission

    user.user_permissions.add(Permission.objects.get(codename="view_team_figures", content_type__app_label="crm"))
    return type(user).objects.get(pk=user.pk)


def _lines(*pairs):
    return [{"product": product.pk, "quantity": "1", "unit_price": amount} for product, amount in pairs]


def test_every_kind_of_write_keeps_the_month_figures_equal_to_the_rows(people, lathe, month_world, monkeypatch):
    owner, outsider, admin = people["owner"], people["outsider"], people["admin"]
    shanghai, north, suzhou = people["customer"], month_world["north"], month_world["suzhou"]
    drill = month_world["drill"]
    readers = (admin, owner)

    def check():
        _assert_rollup_equals_rows()
        _assert_month_figures_equal_rows(monkeypatch, readers)

    # when orders of two products are signed inside the quarter, at its edges and outside it, in two currencies
    one = services.order_create(actor=owner, customer=shanghai, signed_date=D("2026-04-10"),
                                lines=_lines((lathe, "1000.00"), (drill, "250.50"), (lathe, "10.00")))
    services.order_create(actor=owner, customer=suzhou, signed_date=D("2026-03-25"), lines=_lines((drill, "300.00")))
    late = services.order_create(actor=owner, customer=shanghai, signed_date=D("2026-06-28"), currency="USD",
                                 lines=_lines((lathe, "700.00")))
    two = services.order_create(actor=outsider, customer=north, signed_date=D("2026-07-02"),
                                lines=_lines((drill, "90.00")))
    services.order_create(actor=outsider, customer=north, signed_date=D("2026-05-15"), lines=_lines((lathe, "0.00")))
    # then each customer's and product's months hold them (the lathe counts the first order once)
    assert _month_table(ProductMonthFigures, "product_id", PRODUCT_MEASURES)[
        (D("2026-04-01"), lathe.pk, owner.pk, "CNY")] == {"sales": Decimal("1010.00"), "orders": 1}
    check()

    # when an unsigned order is recorded: in no month (as the rows say)
    services.order_create(actor=owner, customer=suzhou, signed_date=None, lines=_lines((lathe, "5.00")))
    check()

    # when invoices are issued and payments received inside, at the edges and after
    services.invoice_issue(actor=owner, order=one, amount="600.00", issued_on=D("2026-04-11"), due_on=D("2026-05-11"))
    services.invoice_issue(actor=owner, order=late, amount="700.00", issued_on=D("2026-07-01"), due_on=D("2026-07-31"))
    services.payment_record(actor=owner, order=one, amount="250.00", received_on=D("2026-04-30"))
    services.payment_record(actor=owner, order=one, amount="100.00", received_on=D("2026-07-04"))
    services.payment_record(actor=outsider, order=two, amount="90.00", received_on=D("2026-07-03"))
    check()

    # when an order is cancelled: its months come back to nothing and the groups it alone made are gone
    cancelled = services.order_create(actor=owner, customer=suzhou, signed_date=D("2026-05-05"), currency="USD",
                                      lines=_lines((drill, "400.00"), (lathe, "40.00")))
    check()
    services.order_status_change(actor=owner, order=cancelled, status=OrderStatus.CANCELLED)
    assert (D("2026-05-01"), suzhou.pk, owner.pk, "USD") not in _month_table(
        CustomerMonthFigures, "customer_id", CUSTOMER_MEASURES)
    check()
    services.order_status_change(actor=owner, order=one, status=OrderStatus.FULFILLED)
    check()

    # when expenses are approved and rejected (read from the rows by customer and region: their own region)
    for spent, region, customer in ((D("2026-04-05"), "上海", shanghai), (D("2026-03-31"), "", None),
                                    (D("2026-06-01"), "深圳", suzhou)):
        expense = expense_submit(actor=owner, amount="12.00", spent_on=spent, category="travel", region=region,
                                 customer=customer)
        expense_decide(actor=admin, expense=expense, approve=True)
    rejected = expense_submit(actor=outsider, amount="8.00", spent_on=D("2026-04-05"), category="travel")
    expense_decide(actor=admin, expense=rejected, approve=False, note="Duplicate")
    check()

    # when a customer moves to another region: its past figures move with it, as the rows say
    from backend.crm.services.customers import customer_update

    before = {row["label"] for row in figures.figures(user=admin, period=Q2, group_by="region").rows}
    customer_update(actor=admin, customer=suzhou, region="上海")
    after = {row["label"] for row in figures.figures(user=admin, period=Q2, group_by="region").rows}
    assert "苏州" in before and "苏州" not in after
    check()

    # when the rep's book is handed over: customers move, orders keep their owner, the figures stay put
    plan = {row.key: people["colleague"] for row in handover_book(user=admin, rep=owner).rows}
    kept = figures.figures(user=admin, period=Q2, group_by="customer").rows
    handover_run(actor=admin, rep=owner, plan=plan)
    assert figures.figures(user=admin, period=Q2, group_by="customer").rows == kept
    check()


def test_the_month_figures_follow_what_each_reader_may_see(people, lathe, month_world, monkeypatch):
    owner, outsider, admin = people["owner"], people["outsider"], people["admin"]
    north = month_world["north"]
    services.order_create(actor=owner, customer=people["customer"], signed_date=D("2026-04-10"),
                          lines=_lines((lathe, "100.00")))
    services.order_create(actor=owner, customer=people["customer"], signed_date=D("2026-06-30"),
                          lines=_lines((lathe, "1.00")))
    services.order_create(actor=outsider, customer=north, signed_date=D("2026-05-10"),
                          lines=_lines((month_world["drill"], "900.00")))
    manager = _manager(people["colleague"])  # east, wang.fang's department
    # then every reader reads from the rollups what the rows say, for every period and grouping
    _assert_month_figures_equal_rows(monkeypatch, (admin, owner, outsider, manager, people["team"]))
    # and a rep or their manager never sees another team's customer or product through the month rollups
    for user in (owner, manager):
        for group_by, theirs in (("customer", north.pk), ("region", "北京"), ("product", month_world["drill"].pk)):
            keys = {row["key"] for row in figures.figures(user=user, period=Q2, group_by=group_by).rows}
            assert keys and theirs not in keys, (user.username, group_by)
            assert figures.figures(user=user, period=Q2, group_by=group_by, rep_id=outsider.pk).rows == []
            assert figures.figures(user=user, period=Q2, group_by=group_by,
                                   department_id=outsider.department_id).rows == []
    assert {row["key"] for row in figures.figures(user=outsider, period=Q2, group_by="customer").rows} == {north.pk}
    assert figures.figures(user=people["team"], period=Q2, group_by="product").rows == []


def test_whole_months_are_read_from_the_month_rollups(people, lathe):
    # given an order through the services, then a line written directly (a bulk load the rollups miss)
    order = _order(people["owner"], people["customer"], lathe, "100.00", D("2026-04-10"))
    OrderLine.objects.create(order=order, product=lathe, quantity=Decimal(1), unit_price=Decimal("5.00"),
                             line_total=Decimal("5.00"))

    def sales(period):
        return [row["sales"] for row in figures.figures(user=people["admin"], period=period, group_by="product").rows]

    # then the quarter (whole months) reads the rollup, a period with April's edge days reads the rows
    assert sales(Q2) == [Decimal("100.00")]
    assert sales(Period(D("2026-04-02"), D("2026-06-30"))) == [Decimal("105.00")]
    # and after a rebuild (as migration crm 0021 fills them) both say what the rows say
    rollups_rebuild()
    assert sales(Q2) == [Decimal("105.00")]


def test_the_month_split_of_a_period():
    def split(date_from, date_to):
        span, edges = figures._month_span(Period(date_from and D(date_from), date_to and D(date_to)))
        return span, [(edge.date_from, edge.date_to) for edge in edges]

    assert split("2026-04-01", "2026-06-30") == ((D("2026-04-01"), D("2026-06-01")), [])
    assert split("2026-03-20", "2026-07-05") == ((D("2026-04-01"), D("2026-06-01")), [
        (D("2026-03-20"), D("2026-03-31")), (D("2026-07-01"), D("2026-07-05"))])
    assert split("2026-04-05", "2026-04-25") == (None, [(D("2026-04-05"), D("2026-04-25"))])
    assert split("2026-04-02", "2026-05-30") == (None, [(D("2026-04-02"), D("2026-05-30"))])
    assert split("2026-12-01", "2027-01-31") == ((D("2026-12-01"), D("2027-01-01")), [])
    assert split(None, "2026-05-20") == ((None, D("2026-04-01")), [(D("2026-05-01"), D("2026-05-20"))])
    assert split("2026-04-10", None) == ((D("2026-05-01"), None), [(D("2026-04-10"), D("2026-04-30"))])
    assert split("9999-12-02", "9999-12-31") == (None, [(D("9999-12-02"), D("9999-12-31"))])
    assert split("0001-01-01", "0001-01-30") == (None, [(D("0001-01-01"), D("0001-01-30"))])
    assert split("9999-11-01", "9999-12-31") == ((D("9999-11-01"), D("9999-12-01")), [])


def test_each_customers_orders_per_month_of_each_year_follow_the_orders(people, lathe, month_world):
    owner, outsider = people["owner"], people["outsider"]
    shanghai, north = people["customer"], month_world["north"]
    months = dict.fromkeys(MONTH_COLUMNS, 0)
    # when 上海 signs two orders in December 2025 (two reps, two currencies) and one in January 2026, and
    # 北京 one in March 2026, then cancelled
    _order(owner, shanghai, lathe, "10.00", D("2025-12-01"))
    _order(people["admin"], shanghai, lathe, "20.00", D("2025-12-31"), currency="USD")
    _order(owner, shanghai, lathe, "30.00", D("2026-01-15"))
    cancelled = _order(outsider, north, lathe, "40.00", D("2026-03-10"))
    assert _year_table() == {(2025, shanghai.pk): {**months, "m12": 2}, (2026, shanghai.pk): {**months, "m01": 1},
                             (2026, north.pk): {**months, "m03": 1}}
    services.order_status_change(actor=outsider, order=cancelled, status=OrderStatus.CANCELLED)
    # then each customer's year holds its orders per month, a cancelled one taken back out (a row of zeros)
    assert _year_table() == {(2025, shanghai.pk): {**months, "m12": 2}, (2026, shanghai.pk): {**months, "m01": 1}}
    assert CustomerYearOrders.objects.get(year=2026, customer=north).m03 == 0
    _assert_rollup_equals_rows()
    # and the rebuilds (crm 0025's backfill, and rollups_rebuild with the month rollups) say the same
    kept = _year_table()
    assert customer_years_rebuild() == 2
    assert _year_table() == kept
    CustomerYearOrders.objects.all().delete()
    rollups_rebuild()
    assert _year_table() == kept


def test_retention_from_the_month_rollup_equals_the_rows(people, lathe, month_world, monkeypatch):
    owner, outsider, admin = people["owner"], people["outsider"], people["admin"]
    shanghai, north, suzhou = people["customer"], month_world["north"], month_world["suzhou"]
    # given orders over two quarters: in whole months, at a period's edge days, unsigned, cancelled
    for actor, customer, signed in ((owner, shanghai, "2026-01-15"), (owner, shanghai, "2026-05-02"),
                                    (outsider, north, "2026-03-31"), (owner, suzhou, "2026-04-01"),
                                    (admin, shanghai, "2026-06-30")):
        _order(actor, customer, lathe, "10.00", D(signed))
    # (and, for the periods across years, orders in past years)
    for actor, customer, signed in ((owner, suzhou, "2025-12-20"), (outsider, north, "2025-11-02"),
                                    (owner, shanghai, "2023-02-14")):
        _order(actor, customer, lathe, "10.00", D(signed))
    cancelled = _order(owner, suzhou, lathe, "10.00", D("2026-02-10"))
    services.order_status_change(actor=owner, order=cancelled, status=OrderStatus.CANCELLED)
    unsigned = _order(outsider, north, lathe, "10.00", None)
    unsigned.created_at = dt.datetime(2026, 5, 20, 9, tzinfo=dt.timezone.utc)
    unsigned.save()
    manager = _manager(people["colleague"])
    periods = (Q2, Period(D("2026-04-02"), D("2026-06-29")), Period(D("2026-03-31"), D("2026-06-30")),
               Period(D("2026-05-01"), D("2026-05-31")), Period(D("2026-04-10"), D("2026-04-20")),
               # across a year's end (whole months, then with edge days), and years long (grouped per customer)
               Period(D("2026-01-01"), D("2026-03-31")), Period(D("2025-12-15"), D("2026-02-10")),
               Period(D("2025-07-01"), D("2026-03-31")), Period(D("2024-07-01"), D("2026-06-30")),
               Period(D("2024-03-02"), D("2026-05-20")))
    for joins in (figures._RETENTION_YEAR_JOINS, 0):  # (each year joined, then every period's years grouped)
        monkeypatch.setattr(figures, "_RETENTION_YEAR_JOINS", joins)
        for user in (admin, owner, outsider, manager):
            for period in periods:
                # when retention is read from the month rollup, then from the rows alone
                kept, rows = _both(monkeypatch, lambda: figures.retention(user=user, period=period))
                # then they are the same, per rep and in total
                assert (kept.rows, kept.summary) == (rows.rows, rows.summary), (user.username, period, joins)
    monkeypatch.undo()
    # and by hand: in Q2 上海 (May, June), 北京 (unsigned, May) and 苏州 (1 April) are active; before it, in
    # Q1, 上海 (January) and 北京 (31 March): both retained, 苏州 new to ordering (its Q1 order was cancelled)
    summary = figures.retention(user=admin, period=Q2).summary
    assert (summary["active"], summary["active_before"], summary["retained"], summary["lost"]) == (3, 2, 2, 0)
    # and a customer's activity is theirs whoever signed the order (上海's June order was signed by the
    # admin): wang.fang's customers are 上海 and 苏州
    mine = figures.retention(user=owner, period=Q2).summary
    assert (mine["customers"], mine["active"], mine["active_before"]) == (2, 2, 1)
    # and across the year's end: in Q1 2026 上海 (January) and 北京 (31 March) are active; before it (3 October
    # to 31 December 2025) 苏州 (20 December) and 北京 (2 November): 北京 retained, 苏州 lost
    q1 = figures.retention(user=admin, period=Period(D("2026-01-01"), D("2026-03-31"))).summary
    assert (q1["active"], q1["active_before"], q1["retained"], q1["lost"]) == (2, 2, 1, 1)
