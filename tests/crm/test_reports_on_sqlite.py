"""The reports on SQLite, the demo's database: every figure, grouping and file the reports page offers runs
there too (the suite's own database is PostgreSQL, and the reports write some of their SQL by hand).

(The receivables chart's largest debtors are also checked against the rows there, on days with payments
dated after them and without.)

The lost analysis by product once failed on SQLite with `near "(": syntax error` as soon as one deal was
closed: the demo's reports page answered 500. This runs the page and its files in a child process against a
migrated SQLite file, over a small world with a deal of every outcome, orders in whole months and on edge
days of the periods asked, payments, invoices, expenses, visits and service records."""

from __future__ import annotations

import pytest

from tests.fixtures.sqlite import _sqlite_template, sqlite_dossier  # noqa: F401 - the fixtures

pytestmark = pytest.mark.slow

SCRIPT = r'''
import datetime as dt
from decimal import Decimal

from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone

from backend.accounts.models import Role
from backend.crm.models import (
    Competitor, Expense, ExpenseStatus, Invoice, OpportunityStageChange, OrderLine, OrderStatus, Stage)
from backend.crm.services.order_balances import order_balances_refresh
from backend.crm.services.report_rollups import rollups_rebuild
from tests import factories
from tests.crm.factories import (
    ActivityFactory, CustomerFactory, OpportunityFactory, OrderFactory, PaymentFactory, ProductFactory,
    QuoteFactory, QuoteLineFactory, ServiceRecordFactory)

today = timezone.localdate()
east = factories.DepartmentFactory(code="sales-east")
rep = factories.UserFactory(username="wang.fang", display_name="王芳", department=east)
other = factories.UserFactory(username="zhang.wei", display_name="张伟", department=factories.DepartmentFactory())
manager = factories.UserFactory(username="chen.jing", display_name="陈静", department=east)
manager.user_permissions.add(Permission.objects.get(codename="view_team_figures", content_type__app_label="crm"))
admin = factories.UserFactory(username="wu.lei", role=Role.ADMIN, department=factories.DepartmentFactory())
lathe, tool = ProductFactory(code="P1", name="车床"), ProductFactory(code="P2", name="刀具")
customers = [CustomerFactory(owner=rep, name="上海华东精密", region="上海"),
             CustomerFactory(owner=other, name="<b>Beijing & Tools</b>", region="北京")]

def at(day):
    return timezone.make_aware(dt.datetime.combine(day, dt.time(10)))

orders = []
for days_ago in (1, 15, 40, 75, 100, 130, 200, 300):  # this quarter, its edges, the quarter before, long ago
    for customer in customers:
        signed = today - dt.timedelta(days=days_ago)
        order = OrderFactory(customer=customer, owner=customer.owner, currency="CNY" if days_ago % 2 else "USD",
                             signed_date=signed)
        OrderLine.objects.create(order=order, product=lathe if days_ago % 3 else tool, quantity=Decimal(2),
                                 unit_price=Decimal("500.00"), line_total=Decimal("1000.00"))
        PaymentFactory(order=order, amount=Decimal("300.00"), received_on=signed + dt.timedelta(days=3))
        Invoice.objects.create(order=order, number=f"INV-{order.pk}", amount=Decimal("1000.00"), issued_on=signed,
                               due_on=signed + dt.timedelta(days=30))
        Expense.objects.create(submitter=customer.owner, amount=Decimal("50.00"), currency="CNY", spent_on=signed,
                               region=customer.region, customer=customer, order=order,
                               status=ExpenseStatus.APPROVED, decided_by=admin, decided_at=at(signed))
        orders.append(order)
OrderFactory(customer=customers[0], owner=rep, signed_date=None, status=OrderStatus.OPEN)  # not signed yet
PaymentFactory(order=orders[4], amount=Decimal("600.00"), received_on=today + dt.timedelta(days=5))  # dated ahead
OrderFactory(customer=customers[1], owner=other, signed_date=today - dt.timedelta(days=5),
             status=OrderStatus.CANCELLED)
order_balances_refresh()
for customer in customers:
    for stages, reason in (([Stage.LEAD, Stage.WON], ""), ([Stage.LEAD, Stage.NEGOTIATION, Stage.LOST], "价格"),
                           ([Stage.LEAD, Stage.PROPOSAL], "")):
        closed = at(today - dt.timedelta(days=3)) if stages[-1] in (Stage.WON, Stage.LOST) else None
        deal = OpportunityFactory(customer=customer, stage=stages[-1], created_at=at(today - dt.timedelta(days=20)),
                                  closed_at=closed, lost_reason=reason)
        previous = ""
        for stage in stages:
            OpportunityStageChange.objects.create(opportunity=deal, from_stage=previous, to_stage=stage,
                                                  changed_by=customer.owner)
            previous = stage
        deal.competitors.add(Competitor.objects.get_or_create(name="Haas")[0])
        QuoteLineFactory(quote=QuoteFactory(customer=customer, opportunity=deal), product=lathe)
    ActivityFactory(customer=customer, kind="visit", occurred_at=at(today - dt.timedelta(days=2)))
    ServiceRecordFactory(customer=customer, product=lathe, created_at=at(today - dt.timedelta(days=4)))
# a customer last called two months ago: "not contacted" lists it with that day (read back from SQLite's text)
quiet = CustomerFactory(owner=rep, name="久未联系 Quiet Ltd", region="上海")
ActivityFactory(customer=quiet, owner=rep, kind="call", occurred_at=at(today - dt.timedelta(days=60)))
rollups_rebuild()

# the receivables chart's largest debtors are what the rows say, on days with payments dated after them or not
from django.db import connection
from backend.crm.models import Order
from backend.crm.selectors import reports as figures

def debts_from_rows(as_of):
    sql, params = figures._per_order_from_rows(Order.objects.exclude(status=OrderStatus.CANCELLED), as_of)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT customer_id, currency, SUM(total) - SUM(paid), SUM(overdue) FROM ({sql}) r"
                       " GROUP BY customer_id, currency", params)
        found = {(key, currency): (figures.cents(owed), figures.cents(overdue))
                 for key, currency, owed, overdue in cursor.fetchall()}
    return {group: debt for group, debt in found.items() if debt[0] > 0}

for days_ago in (0, 2, 20, 101):
    as_of = today - dt.timedelta(days=days_ago)
    debts = debts_from_rows(as_of)
    largest = sorted(debts, key=lambda group: (-debts[group][0], group[0]))
    for limit in (1, 2, 12):
        chart = {(row["customer_id"], row["currency"]): (row["outstanding"], row["overdue"])
                 for row in figures.receivables_top(user=admin, as_of=as_of, limit=limit)}
        assert chart == {group: debts[group] for group in largest[:limit]}, (as_of, limit, chart)
# the lost analysis and the funnel, written partly by hand, answer on SQLite what they answer on PostgreSQL:
# everyone's by product from the days closed, the rep's own from the pairs, the weighted amount to the cent
from backend.crm.reports import Period  # noqa: E402
from backend.crm.selectors import reports as figures  # noqa: E402

recent = Period(today - dt.timedelta(days=30), today)
everyone = figures.lost_analysis(user=admin, period=recent).summary
assert [(r["label"], r["won"], r["lost"]) for r in everyone["by_product"]] == [("P1", 2, 2)], everyone["by_product"]
assert [(r["label"], r["won"], r["lost"]) for r in everyone["by_rep"]] == [("张伟", 1, 1), ("王芳", 1, 1)], everyone
assert [(r["label"], r["lost_rate"]) for r in everyone["by_competitor"]] == [("Haas", Decimal("50.0"))], everyone
assert [(r["stage"], r["count"]) for r in everyone["stage_lost"]] == [("negotiation", 2)], everyone["stage_lost"]
assert [(r["label"], r["count"]) for r in everyone["reasons"]] == [("价格", 2)], everyone["reasons"]
own = figures.lost_analysis(user=rep, period=recent).summary
assert [(r["label"], r["won"], r["lost"]) for r in own["by_product"]] == [("P1", 1, 1)], own["by_product"]
funnel = figures.funnel(user=admin, period=recent).summary
assert [(r["stage"], r["count"], r["weighted"]) for r in funnel["open"]] == [
    ("proposal", 2, Decimal("20000.00"))], funnel["open"]
assert [(s["stage"], s["reached"]) for s in funnel["steps"]] == [
    ("lead", 6), ("qualification", 6), ("proposal", 6), ("negotiation", 4), ("won", 2)], funnel["steps"]

quarter_start = dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
periods = ["", f"date_from={quarter_start + dt.timedelta(days=9)}&date_to={today - dt.timedelta(days=2)}",
           f"date_from={today - dt.timedelta(days=400)}&date_to={today}"]
names = ["figures", "targets", "funnel", "lost", "retention", "visits", "not-contacted", "service", "won-lost",
         "receivables"]
for user in (admin, manager, rep):
    client = Client()
    client.force_login(user)
    for period in periods:
        for by in ("rep", "team", "region", "customer", "product"):
            response = client.get(f"/reports/?by={by}&{period}")
            print(user.username, "page", by, period, response.status_code)
        for name in names:
            for suffix in ("csv", "xlsx"):
                response = client.get(f"/reports/{name}.{suffix}?by=customer&{period}")
                print(user.username, name, suffix, period, response.status_code)
'''


def test_every_report_page_and_file_answers_on_sqlite(sqlite_dossier):  # noqa: F811
    # given a SQLite Dossier with a small world of every kind of figure
    result = sqlite_dossier.script(SCRIPT)

    # then every page (each grouping, three periods, three readers) and every file is served
    assert result.returncode == 0, result.stderr[-4000:]
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert len(lines) == 3 * 3 * (5 + 10 * 2), lines[:5]
    failed = [line for line in lines if not line.endswith(" 200")]
    assert failed == [], "\n".join(failed[:20]) + "\n" + result.stderr[-4000:]
