"""The reports page's figures for a chosen period, on a small world whose numbers are worked out by hand,
and who may read whose figures (a rep their own, a team manager their department's, an admin everyone's)."""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from backend.access.policy.reports import figure_scope, may_set_target_for
from backend.audit.models import AuditEvent
from backend.common.errors import InvalidInput, NotFound
from backend.crm.models import (
    Competitor,
    Expense,
    ExpenseStatus,
    Invoice,
    Opportunity,
    OpportunityStageChange,
    OrderLine,
    OrderStatus,
    SalesTarget,
    ServiceType,
    Stage,
    TargetPeriod,
)
from backend.crm.reports import Period
from backend.crm.selectors import reports as figures
from backend.crm.services.opportunity_reached import reached_after
from backend.crm.services.order_balances import order_balances_refresh
from backend.crm.services.report_rollups import rollups_rebuild
from backend.crm.services.reports import sales_target_remove, sales_target_set
from tests.crm.factories import (
    ActivityFactory,
    CustomerFactory,
    OpportunityFactory,
    OrderFactory,
    PaymentFactory,
    ProductFactory,
    QuoteFactory,
    QuoteLineFactory,
    ServiceRecordFactory,
)

pytestmark = pytest.mark.django_db

Q2 = Period(dt.date(2026, 4, 1), dt.date(2026, 6, 30))


def at(day: str, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.fromisoformat(day).replace(hour=hour))


def make_manager(user):
    user.user_permissions.add(Permission.objects.get(codename="view_team_figures", content_type__app_label="crm"))
    return type(user).objects.get(pk=user.pk)  # a fresh object: permissions are cached per object


def _order(customer, owner, currency, signed, lines, status=OrderStatus.OPEN):
    order = OrderFactory(customer=customer, owner=owner, currency=currency, signed_date=dt.date.fromisoformat(signed),
                         status=status)
    for product, amount in lines:
        OrderLine.objects.create(order=order, product=product, quantity=Decimal(1), unit_price=Decimal(amount),
                                 line_total=Decimal(amount))
    return order


@pytest.fixture
def world(people):
    """wang.fang (east) sells to 上海 customer A; zhang.wei (north) to 北京 customer B."""
    wang, zhang = people["owner"], people["outsider"]
    a = people["customer"]
    b = CustomerFactory(owner=zhang, name="北京 Beijing Tools", region="北京")
    p1, p2 = ProductFactory(code="P1", name="车床"), ProductFactory(code="P2", name="刀具")
    o1 = _order(a, wang, "CNY", "2026-04-10", [(p1, "1000.00"), (p2, "500.00")])
    _order(a, wang, "USD", "2026-05-01", [(p1, "200.00")])
    o3 = _order(b, zhang, "CNY", "2026-04-20", [(p1, "3000.00")])
    o4 = _order(a, wang, "CNY", "2026-03-31", [(p2, "700.00")])  # signed before the quarter
    _order(a, wang, "CNY", "2026-04-12", [(p1, "9999.00")], status=OrderStatus.CANCELLED)
    PaymentFactory(order=o1, amount=Decimal("600.00"), received_on=dt.date(2026, 4, 15))
    PaymentFactory(order=o4, amount=Decimal("700.00"), received_on=dt.date(2026, 4, 2))
    PaymentFactory(order=o3, amount=Decimal("1000.00"), received_on=dt.date(2026, 7, 2))  # after the quarter
    Invoice.objects.create(order=o1, number="INV-1", amount=Decimal("1500.00"), issued_on=dt.date(2026, 4, 10),
                           due_on=dt.date(2026, 5, 10))
    Invoice.objects.create(order=o3, number="INV-3", amount=Decimal("3000.00"), issued_on=dt.date(2026, 4, 20),
                           due_on=dt.date(2026, 7, 20))
    order_balances_refresh()  # the rows above were written directly, not through the order services
    approved = {"status": ExpenseStatus.APPROVED, "decided_by": people["admin"], "decided_at": at("2026-04-06")}
    Expense.objects.create(submitter=wang, amount=Decimal("200.00"), currency="CNY", spent_on=dt.date(2026, 4, 5),
                           region="上海", customer=a, **approved)
    Expense.objects.create(submitter=wang, amount=Decimal("50.00"), currency="CNY", spent_on=dt.date(2026, 4, 5))
    Expense.objects.create(submitter=zhang, amount=Decimal("100.00"), currency="CNY", spent_on=dt.date(2026, 5, 5),
                           region="北京", **approved)
    rollups_rebuild()  # the same: the reports' rollup is kept by the services these rows bypassed
    return {"a": a, "b": b, "p1": p1, "p2": p2}


def _by(report, *keys):
    return {tuple(row[key] for key in keys): row for row in report.rows}


def test_the_figures_per_rep_add_up_by_hand(people, world):
    # when the admin reads the second quarter by rep
    report = figures.figures(user=people["admin"], period=Q2, group_by="rep")

    # then each rep's sales, collections, invoices, receivables, expenses and margin are the hand-worked ones
    rows = _by(report, "label", "currency")
    wang = rows[("王芳", "CNY")]
    assert (wang["orders"], wang["sales"], wang["collected"], wang["invoiced"]) == (
        1, Decimal("1500.00"), Decimal("1300.00"), Decimal("1500.00"))
    # outstanding: ordered by the quarter's end (1500 + 700) less paid (600 + 700); overdue: INV-1 less 600
    assert (wang["outstanding"], wang["overdue"], wang["expenses"], wang["margin"]) == (
        Decimal("900.00"), Decimal("900.00"), Decimal("200.00"), Decimal("1300.00"))
    assert (rows[("王芳", "USD")]["sales"], rows[("王芳", "USD")]["outstanding"]) == (Decimal("200.00"),
                                                                                    Decimal("200.00"))
    zhang = rows[("张伟", "CNY")]
    assert (zhang["sales"], zhang["collected"], zhang["outstanding"], zhang["overdue"], zhang["margin"]) == (
        Decimal("3000.00"), Decimal("0.00"), Decimal("3000.00"), Decimal("0.00"), Decimal("2900.00"))
    # and the totals stay apart per currency
    assert [(s["currency"], s["sales"]) for s in report.summary] == [("CNY", Decimal("4500.00")),
                                                                     ("USD", Decimal("200.00"))]


def test_the_figures_group_by_product_region_customer_and_team(people, world):
    admin = people["admin"]
    by_product = _by(figures.figures(user=admin, period=Q2, group_by="product"), "label", "currency")
    assert {key: (row["orders"], row["sales"], row["collected"]) for key, row in by_product.items()} == {
        ("P1 车床", "CNY"): (2, Decimal("4000.00"), None), ("P2 刀具", "CNY"): (1, Decimal("500.00"), None),
        ("P1 车床", "USD"): (1, Decimal("200.00"), None)}
    by_region = _by(figures.figures(user=admin, period=Q2, group_by="region"), "label", "currency")
    assert (by_region[("上海", "CNY")]["expenses"], by_region[("北京", "CNY")]["expenses"]) == (
        Decimal("200.00"), Decimal("100.00"))
    by_customer = _by(figures.figures(user=admin, period=Q2, group_by="customer"), "label", "currency")
    assert by_customer[("北京 Beijing Tools", "CNY")]["invoiced"] == Decimal("3000.00")
    # an expense for no customer is a group of its own, with no key and no name
    nobody = by_customer[("—", "CNY")]
    assert (nobody["key"], nobody["expenses"], nobody["margin"]) == (None, Decimal("100.00"), Decimal("-100.00"))
    by_team = _by(figures.figures(user=admin, period=Q2, group_by="team"), "key", "currency")
    assert by_team[(people["owner"].department_id, "CNY")]["sales"] == Decimal("1500.00")


def test_a_rep_reads_their_own_figures_a_manager_their_team_and_not_another_team(people, world):
    # given chen.jing manages the east department (wang.fang's); zhang.wei is in north
    manager = make_manager(people["colleague"])

    def reps(user):
        return {row["label"] for row in figures.figures(user=user, period=Q2).rows}

    assert reps(people["owner"]) == {"王芳"}
    assert reps(manager) == {"王芳"}
    assert reps(people["outsider"]) == {"张伟"}
    assert reps(people["team"]) == set()  # on wang's account team, but the figures are wang's, not li.lei's
    # and asking for another team's rep narrows to nothing rather than widening
    assert figures.figures(user=people["owner"], period=Q2, rep_id=people["outsider"].pk).rows == []
    assert figure_scope(people["compliance"]).everything


def test_rates_are_rounded_half_up_to_one_place():
    assert figures.percent(2, 11) == Decimal("18.2")
    assert figures.percent(5, 400) == Decimal("1.3")  # 1.25: half up, not to even
    assert figures.percent(3, 16) == Decimal("18.8")
    assert figures.percent(1, 0) is None


def test_targets_attainment_for_a_rep_quarter_and_a_team_month(people, world):
    # given a quarter target for wang.fang and an April target for the east team
    admin = people["admin"]
    sales_target_set(actor=admin, rep=people["owner"], period=TargetPeriod.QUARTER, starts_on=dt.date(2026, 5, 17),
                     currency="CNY", amount=Decimal("2000.00"))
    sales_target_set(actor=admin, department=people["owner"].department, period=TargetPeriod.MONTH,
                     starts_on=dt.date(2026, 4, 1), currency="CNY", amount=Decimal("8000.00"))

    # when the admin reads the quarter
    rows = figures.target_attainment(user=admin, period=Q2).rows

    # then the quarter starts on 1 April and 1500 of 2000 was signed; the team signed 1500 of 8000 in April
    assert [(r["label"], r["period"], r["target"], r["achieved"], r["attainment"]) for r in rows] == [
        (people["owner"].department.name, "2026-04", Decimal("8000.00"), Decimal("1500.00"), Decimal("18.8")),
        ("王芳", "2026 Q2", Decimal("2000.00"), Decimal("1500.00"), Decimal("75.0")),
    ]
    # and setting again replaces the amount, audited each time
    sales_target_set(actor=admin, rep=people["owner"], period=TargetPeriod.QUARTER, starts_on=dt.date(2026, 4, 1),
                     currency="CNY", amount=Decimal("3000.00"))
    assert SalesTarget.objects.get(rep=people["owner"]).amount == Decimal("3000.00")
    assert AuditEvent.objects.filter(event_type="crm.target.set").count() == 3
    # and the rep sees their own target, not the team's
    assert [r["label"] for r in figures.target_attainment(user=people["owner"], period=Q2).rows] == ["王芳"]


def test_who_may_set_a_target(people):
    manager = make_manager(people["colleague"])
    east = people["owner"].department
    assert may_set_target_for(manager, rep=people["owner"]) and may_set_target_for(manager, department=east)
    assert not may_set_target_for(manager, rep=manager)  # never their own bar
    assert not may_set_target_for(manager, rep=people["outsider"])  # another team
    assert not may_set_target_for(people["owner"], rep=people["colleague"])
    with pytest.raises(NotFound):
        sales_target_set(actor=people["owner"], rep=people["colleague"], period="month",
                         starts_on=dt.date(2026, 4, 1), currency="CNY", amount=Decimal(1))
    with pytest.raises(InvalidInput):
        sales_target_set(actor=manager, rep=people["owner"], period="month", starts_on=dt.date(2026, 4, 1),
                         currency="CNY", amount=Decimal(0))
    target = sales_target_set(actor=manager, rep=people["owner"], period="month", starts_on=dt.date(2026, 4, 9),
                              currency="CNY", amount=Decimal(5))
    assert target.starts_on == dt.date(2026, 4, 1)
    sales_target_remove(actor=manager, target=target)
    assert not SalesTarget.objects.exists()
    assert AuditEvent.objects.filter(event_type="crm.target.removed").count() == 1


def _deal(customer, stages, *, created="2026-04-03", closed=None, reason="", competitors=(), product=None):
    deal = OpportunityFactory(customer=customer, stage=stages[-1], created_at=at(created),
                              closed_at=at(closed) if closed else None, lost_reason=reason)
    previous = ""
    for stage in stages if len(stages) > 1 or stages[0] != Stage.LEAD else []:
        OpportunityStageChange.objects.create(opportunity=deal, from_stage=previous, to_stage=stage,
                                              changed_by=customer.owner)
        previous = stage
    # (the furthest step reached, kept along the history as the stage services keep it)
    deal.reached_stage = functools.reduce(reached_after, stages, 0)
    deal.save(update_fields=["reached_stage"])
    for name in competitors:
        deal.competitors.add(Competitor.objects.get_or_create(name=name)[0])
    if product is not None:
        QuoteLineFactory(quote=QuoteFactory(customer=customer, opportunity=deal), product=product)
    return deal


@pytest.fixture
def deals(people, world):
    a = people["customer"]
    _deal(a, [Stage.LEAD, Stage.QUALIFICATION, Stage.PROPOSAL])
    _deal(a, [Stage.LEAD, Stage.WON], closed="2026-05-02", competitors=["Haas"], product=world["p1"])
    _deal(a, [Stage.LEAD, Stage.QUALIFICATION, Stage.NEGOTIATION, Stage.LOST], closed="2026-05-03", reason="价格",
          competitors=["Haas"], product=world["p1"])
    _deal(a, [Stage.LEAD])
    _deal(a, [Stage.LEAD], created="2026-01-05")  # before the quarter


def test_the_funnel_narrows_with_conversion_and_keeps_won_and_lost_apart(people, deals):
    report = figures.funnel(user=people["owner"], period=Q2)
    steps = [(s["stage"], s["reached"], s["conversion"]) for s in report.summary["steps"]]
    assert steps == [("lead", 4, None), ("qualification", 3, Decimal("75.0")), ("proposal", 3, Decimal("100.0")),
                     ("negotiation", 2, Decimal("66.7")), ("won", 1, Decimal("50.0"))]
    assert (report.summary["won"], report.summary["lost"], report.summary["total"]) == (1, 1, 4)
    assert [(r["stage"], r["count"], r["weighted"]) for r in report.summary["open"]] == [
        ("lead", 1, Decimal("10000.00")), ("proposal", 1, Decimal("10000.00"))]


def test_lost_analysis_by_rep_product_competitor_stage_and_reason(people, deals):
    summary = figures.lost_analysis(user=people["admin"], period=Q2).summary
    assert (summary["won"], summary["lost"], summary["lost_rate"]) == (1, 1, Decimal("50.0"))
    assert [(r["label"], r["lost_rate"]) for r in summary["by_rep"]] == [("王芳", Decimal("50.0"))]
    assert [(r["label"], r["won"], r["lost"]) for r in summary["by_product"]] == [("P1", 1, 1)]
    assert [(r["label"], r["lost_rate"]) for r in summary["by_competitor"]] == [("Haas", Decimal("50.0"))]
    assert [(r["stage"], r["count"]) for r in summary["stage_lost"]] == [("negotiation", 1)]
    assert [(r["label"], r["count"]) for r in summary["reasons"]] == [("价格", 1)]


def test_retention_new_retained_and_lost_against_the_previous_period(people, world):
    # customer A ordered in Q1 (o4) and in Q2: retained; customer B only in Q2 and was created in Q2
    world["a"].created_at, world["b"].created_at = at("2025-01-02"), at("2026-04-02")
    world["a"].save()
    world["b"].save()
    summary = figures.retention(user=people["admin"], period=Q2).summary
    assert (summary["new"], summary["active"], summary["retained"], summary["lost"], summary["retention_rate"]) == (
        1, 2, 1, 0, Decimal("100.0"))


def test_visits_per_rep_and_customers_not_contacted(people, world):
    a = people["customer"]
    for kind in ("visit", "visit", "call"):
        ActivityFactory(customer=a, kind=kind, occurred_at=at("2026-04-20"))
    ActivityFactory(customer=a, kind="email", occurred_at=timezone.now() - dt.timedelta(days=10))
    rows = figures.visits(user=people["admin"], period=Q2).rows
    assert [(r["name"], r["visit"], r["call"], r["total"], r["customers"]) for r in rows] == [("王芳", 2, 1, 3, 1)]
    quiet = figures.not_contacted(user=people["admin"], days=30)
    assert [r["name"] for r in quiet.rows] == ["北京 Beijing Tools"]
    assert figures.not_contacted(user=people["admin"], days=5).summary["total"] == 2
    assert figures.not_contacted(user=people["owner"], days=5).summary["total"] == 1


def test_not_contacted_counts_only_visits_calls_and_e_mails_that_took_place(people, world):
    # given customer A called 40 days ago and visited in three days (scheduled: not a contact yet), and
    # customer B with only a note yesterday (a note is not a contact) and a lost customer never contacted
    a, b = people["customer"], world["b"]
    now = timezone.now()
    ActivityFactory(customer=a, owner=people["owner"], kind="call", occurred_at=now - dt.timedelta(days=40))
    ActivityFactory(customer=a, owner=people["owner"], kind="visit", occurred_at=now + dt.timedelta(days=3))
    ActivityFactory(customer=b, owner=people["outsider"], kind="note", occurred_at=now - dt.timedelta(days=1))
    CustomerFactory(owner=people["owner"], name="已流失 Lost Ltd", status="lost")

    # when the admin asks for the customers with no contact for 30 days
    quiet = figures.not_contacted(user=people["admin"], days=30)

    # then both are listed, the never contacted first, with A's last contact the call (not the planned visit)
    assert [(r["name"], r["last_contact"]) for r in quiet.rows] == [
        ("北京 Beijing Tools", None), (a.name, timezone.localdate(now - dt.timedelta(days=40)))]
    # and each rep has one, the lost customer counted nowhere
    assert sorted((r["rep"], r["count"]) for r in quiet.summary["per_rep"]) == [("张伟", 1), ("王芳", 1)]
    # and for 50 days A was contacted (the call), B never: B alone, and only the longest one when one is asked
    assert [r["name"] for r in figures.not_contacted(user=people["admin"], days=50).rows] == ["北京 Beijing Tools"]
    assert [r["name"] for r in figures.not_contacted(user=people["admin"], days=30, limit=1).rows] == [
        "北京 Beijing Tools"]
    assert figures.not_contacted(user=people["admin"], days=30, limit=1).summary["total"] == 2
    # and the rep sees their own customer alone
    assert [r["name"] for r in figures.not_contacted(user=people["owner"], days=30).rows] == [a.name]


def test_service_by_product_and_type_with_response_and_resolution_hours(people, world):
    opened = at("2026-05-04", 8)
    ServiceRecordFactory(customer=people["customer"], product=world["p1"], type=ServiceType.COMPLAINT,
                         created_at=opened, confirmed_at=opened + dt.timedelta(hours=2),
                         resolved_at=opened + dt.timedelta(hours=26, minutes=3), satisfaction=4)
    ServiceRecordFactory(customer=people["customer"], product=world["p1"], created_at=opened, satisfaction=3)
    ServiceRecordFactory(customer=world["b"], product=world["p1"], created_at=opened)  # zhang.wei's customer
    rows = figures.service_by_product(user=people["owner"], period=Q2).rows
    assert [(r["product"], r["type"], r["records"], r["complaints"], r["response_hours"], r["resolution_hours"],
             r["satisfaction"]) for r in rows] == [
        ("P1 车床", "complaint", 1, 1, Decimal("2.0"), Decimal("26.1"), Decimal("4.0")),
        ("P1 车床", "issue", 1, 0, None, None, Decimal("3.0"))]
    assert figures.service_by_product(user=people["engineer"], period=Q2).summary["records"] == 3
    # and the summary is the measures over all the rep's records (one mean over both groups' records)
    ServiceRecordFactory(customer=people["customer"], product=world["p2"], created_at=opened,
                         confirmed_at=opened + dt.timedelta(hours=5), satisfaction=2)
    summary = figures.service_by_product(user=people["owner"], period=Q2).summary
    assert {name: summary[name] for name in ("records", "complaints", "response_hours", "resolution_hours",
                                             "satisfaction", "rated")} == {
        "records": 3, "complaints": 1, "response_hours": Decimal("3.5"), "resolution_hours": Decimal("26.1"),
        "satisfaction": Decimal("3.0"), "rated": 3}


def test_the_receivables_chart_keeps_the_largest_in_the_database(people, world, django_assert_max_num_queries):
    # as of the quarter's end 北京 owes all 3000 (paid in July), 上海 900 CNY (and 200 USD)
    # three queries, whatever the number of orders: the largest debtors now (the first entries of the
    # per-customer totals' index, with the latest day any order was paid), those paid after that day summed
    # for it, then those debtors alone in full, with what is overdue on the day (once its statement is
    # written: the first read of a process writes it, asking once more)
    with django_assert_max_num_queries(4):
        rows = figures.receivables_top(user=people["admin"], limit=2, as_of=dt.date(2026, 6, 30))
    assert [(r["customer__name"], r["currency"], r["outstanding"], r["overdue"]) for r in rows] == [
        ("北京 Beijing Tools", "CNY", Decimal("3000.00"), Decimal("0.00")),
        ("上海华东精密机械有限公司", "CNY", Decimal("900.00"), Decimal("900.00"))]
    # and a rep's chart holds only what they may see
    assert [r["customer__name"] for r in figures.receivables_top(user=people["owner"], as_of=dt.date(2026, 6, 30))] \
        == ["上海华东精密机械有限公司", "上海华东精密机械有限公司"]
    # as of a day no order was paid after (today, usually), two: the index names the largest debtors
    with django_assert_max_num_queries(3):
        first = figures.receivables_top(user=people["admin"], limit=2, as_of=dt.date(2026, 12, 31))
    with django_assert_max_num_queries(2):
        later = figures.receivables_top(user=people["admin"], limit=2, as_of=dt.date(2026, 12, 31))
    assert first == later
    assert [(r["customer__name"], r["currency"], r["outstanding"], r["overdue"]) for r in later] == [
        ("北京 Beijing Tools", "CNY", Decimal("2000.00"), Decimal("2000.00")),
        ("上海华东精密机械有限公司", "CNY", Decimal("900.00"), Decimal("900.00"))]


def test_every_figure_takes_a_fixed_number_of_queries(people, world, deals, django_assert_max_num_queries):
    admin = people["admin"]
    with django_assert_max_num_queries(12):
        figures.figures(user=admin, period=Q2, group_by="rep")
    # (the funnel is one grouped query: per stage reached, current stage and currency)
    with django_assert_max_num_queries(6):
        figures.funnel(user=admin, period=Q2)
        figures.lost_analysis(user=admin, period=Q2)


def test_lost_by_product_counts_each_deal_once_per_product_however_often_quoted(people, deals, world):
    # given the lost deal quoted P1 again in a second quote, and P2 twice in one quote
    lost = Opportunity.objects.get(stage=Stage.LOST)
    second = QuoteFactory(customer=people["customer"], opportunity=lost)
    QuoteLineFactory(quote=second, product=world["p1"])
    QuoteLineFactory(quote=second, product=world["p2"])
    QuoteLineFactory(quote=second, product=world["p2"])
    # when the lost analysis is read
    summary = figures.lost_analysis(user=people["admin"], period=Q2).summary
    # then each product counts the deals quoted it, each deal once
    assert [(r["label"], r["won"], r["lost"], r["lost_rate"]) for r in summary["by_product"]] == [
        ("P1", 1, 1, Decimal("50.0")), ("P2", 0, 1, Decimal("100.0"))]
