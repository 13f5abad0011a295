"""The reports page's queries compiled once per shape of reader (backend.crm.selectors.report_queries) give
every reader exactly what the queries built afresh for them give: the same funnel, lost deals, targets,
visits, customers not contacted, service figures, largest debtors and pickable people, for a rep, a team
manager, the service desk, compliance and an admin, whichever period, rep or team is picked; and nothing of
one reader's answer is kept for the next."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from backend.crm.models import ActivityKind, ServiceType, Stage
from backend.crm.reports import Period
from backend.crm.selectors import report_queries
from backend.crm.selectors import reports as figures
from backend.crm.services.reports import sales_target_set
from tests.crm.factories import ActivityFactory, ServiceRecordFactory
from tests.crm.test_report_figures import Q2, _deal, at, deals, make_manager, world  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db

PERIODS = {"Q2": Q2, "open start": Period(None, dt.date(2026, 6, 30)), "open": Period(None, None),
           "May": Period(dt.date(2026, 5, 1), dt.date(2026, 5, 31))}


@pytest.fixture
def activity(people, world, deals):
    """Targets, activities and service records in the second quarter, and one more lost deal elsewhere."""
    manager = make_manager(people["colleague"])
    sales_target_set(actor=manager, rep=people["owner"], period="month", starts_on=dt.date(2026, 4, 1),
                     currency="CNY", amount=Decimal("1000.00"))
    sales_target_set(actor=people["admin"], department=people["owner"].department, period="quarter",
                     starts_on=dt.date(2026, 4, 1), currency="CNY", amount=Decimal("5000.00"))
    sales_target_set(actor=people["admin"], rep=people["outsider"], period="month", starts_on=dt.date(2026, 5, 1),
                     currency="CNY", amount=Decimal("2000.00"))
    for owner, customer, kind, day in ((people["owner"], people["customer"], ActivityKind.VISIT, "2026-04-08"),
                                       (people["owner"], people["customer"], ActivityKind.CALL, "2026-05-08"),
                                       (people["outsider"], world["b"], ActivityKind.VISIT, "2026-05-09")):
        ActivityFactory(owner=owner, customer=customer, kind=kind, occurred_at=at(day))
    ServiceRecordFactory(customer=people["customer"], product=world["p1"], type=ServiceType.COMPLAINT,
                         created_at=at("2026-04-09"), satisfaction=4)
    ServiceRecordFactory(customer=world["b"], product=world["p2"], created_at=at("2026-05-09"), satisfaction=5)
    _deal(world["b"], [Stage.LEAD, Stage.PROPOSAL, Stage.LOST], closed="2026-05-20", reason="交期",
          competitors=["Mazak"], product=world["p2"])
    return manager


def _everything(user, period, rep_id=None, department_id=None) -> dict:
    narrowing = {"rep_id": rep_id, "department_id": department_id}
    found = {
        "funnel": figures.funnel(user=user, period=period, **narrowing),
        "lost": figures.lost_analysis(user=user, period=period, **narrowing),
        "visits": figures.visits(user=user, period=period, **narrowing),
        "not contacted": figures.not_contacted(user=user, days=30, **narrowing),
        "not contacted for a year, the longest": figures.not_contacted(user=user, days=400, limit=1, **narrowing),
        "service": figures.service_by_product(user=user, period=period, **narrowing),
        "targets": figures.target_attainment(user=user, period=period),
        "receivables": figures.receivables_top(user=user, limit=12),
        "receivables as of": figures.receivables_top(user=user, limit=3, as_of=dt.date(2026, 5, 1)),
        "people": figures.report_people(user=user),
    }
    return {name: (found.rows, found.summary, found.params) if hasattr(found, "rows") else found
            for name, found in found.items()}


def _plain(monkeypatch, *args, **kwargs) -> dict:
    """The same reports from the queries built afresh for the reader."""
    with monkeypatch.context() as patch:
        patch.setattr(report_queries, "_prepared", lambda *a, **k: None)
        return _everything(*args, **kwargs)


@pytest.mark.parametrize("who", ["owner", "manager", "engineer", "compliance", "admin", "outsider"])
def test_each_reader_gets_what_the_queries_built_for_them_give(people, activity, monkeypatch, who):
    # given a rep, a team manager, the service desk, compliance, an admin and another rep
    reader = activity if who == "manager" else people[who]
    # (someone else of another kind read the reports first: the queries are compiled already for some shapes)
    _everything(people["team"], Q2)

    for period in PERIODS.values():
        # when they read every report from the prepared queries, then from queries built for them
        prepared = _everything(reader, period)
        # then the answers are the same
        assert prepared == _plain(monkeypatch, reader, period), period

    # and with a rep or a team picked
    east = people["owner"].department_id
    for narrowing in ({"rep_id": people["owner"].pk}, {"department_id": east},
                      {"rep_id": people["outsider"].pk, "department_id": east}):
        assert _everything(reader, Q2, **narrowing) == _plain(monkeypatch, reader, Q2, **narrowing), narrowing


def test_the_queries_are_prepared_for_staff_and_answer_by_hand(people, activity):
    # when a rep and the admin read the quarter (the prepared path: the queries are compiled once)
    report_queries._QUERIES.clear()
    rep = _everything(people["owner"], Q2)
    admin = _everything(people["admin"], Q2)

    # then the queries were prepared (not left to be built afresh) for both
    prepared = {key[0] for key, query in report_queries._QUERIES.items() if query is not None}
    assert {"funnel", "lost", "visits", "service.rows", "targets", "targets.signed", "people.reps",
            "receivables.top.12", "receivables.top_sums.12", "not_contacted.20", "not_contacted.1"} <= prepared
    # and each reader got their own answers: the rep their deals alone, the admin everyone's
    assert [(row["label"], row["won"], row["lost"]) for row in rep["lost"][1]["by_rep"]] == [("王芳", 1, 1)]
    assert [(row["label"], row["won"], row["lost"]) for row in admin["lost"][1]["by_rep"]] == [
        ("张伟", 0, 1), ("王芳", 1, 1)]
    assert [(row["label"], row["count"]) for row in admin["lost"][1]["reasons"]] == [("交期", 1), ("价格", 1)]
    assert [(row["stage"], row["count"]) for row in admin["lost"][1]["stage_lost"]] == [
        ("proposal", 1), ("negotiation", 1)]
    assert [row["name"] for row in rep["visits"][0]] == ["王芳"]
    assert [(row["name"], row["visit"]) for row in admin["visits"][0]] == [("张伟", 1), ("王芳", 1)]
    assert rep["people"] == ([(people["owner"].pk, "王芳")], [])
    assert {row["label"] for row in rep["targets"][0]} == {"王芳"}
    # (what each signed in the target's month or quarter: 1,500 CNY in April by 王芳, nothing by 张伟 in May)
    assert {(row["label"], row["achieved"]) for row in admin["targets"][0]} == {
        ("王芳", Decimal("1500.00")), (people["owner"].department.name, Decimal("1500.00")), ("张伟", Decimal("0.00"))}
