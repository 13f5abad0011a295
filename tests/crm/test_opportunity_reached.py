"""Each deal's furthest funnel step (Opportunity.reached_stage) equals, after every kind of stage write, what
its stage history and current stage say; the rebuild recomputes it for deals written directly; the funnel and
the lost analysis read it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from backend.crm.imports import runs
from backend.crm.models import Opportunity, OpportunityStageChange, Stage
from backend.crm.reports import Period
from backend.crm.selectors.reports import funnel, lost_analysis
from backend.crm.services.opportunities import opportunity_create, opportunity_stage_change
from backend.crm.services.opportunity_reached import opportunity_reached_rebuild, reached_from_rows
from tests.crm.factories import CustomerFactory, OpportunityFactory

pytestmark = pytest.mark.django_db


def _kept() -> dict[int, int]:
    return dict(Opportunity.objects.values_list("pk", "reached_stage"))


def _assert_kept_equals_rows():
    assert _kept() == reached_from_rows()


def test_the_step_follows_every_stage_move(people):
    owner, customer = people["owner"], people["customer"]
    # given a deal opened as a lead and one opened at the proposal
    deal = opportunity_create(actor=owner, customer=customer, title="A")
    other = opportunity_create(actor=owner, customer=customer, title="B", stage=Stage.PROPOSAL)
    assert _kept() == {deal.pk: 0, other.pk: 2}
    _assert_kept_equals_rows()
    # when the first moves on to negotiation (skipping the proposal), then is lost
    for stage in (Stage.QUALIFICATION, Stage.NEGOTIATION):
        deal = opportunity_stage_change(actor=owner, opportunity=deal, stage=stage)
        _assert_kept_equals_rows()
    deal = opportunity_stage_change(actor=owner, opportunity=deal, stage=Stage.LOST, lost_reason="价格")
    # then it keeps the step it was lost at
    assert _kept()[deal.pk] == 3
    _assert_kept_equals_rows()
    # when it is reopened as a lead, moved to the proposal: it keeps the furthest it ever got to
    deal = opportunity_stage_change(actor=owner, opportunity=deal, stage=Stage.LEAD, reopen=True)
    deal = opportunity_stage_change(actor=owner, opportunity=deal, stage=Stage.PROPOSAL)
    assert _kept()[deal.pk] == 3
    _assert_kept_equals_rows()
    # and once won, the last step
    deal = opportunity_stage_change(actor=owner, opportunity=deal, stage=Stage.WON)
    other = opportunity_stage_change(actor=owner, opportunity=other, stage=Stage.LOST, lost_reason="交期")
    assert _kept() == {deal.pk: 4, other.pk: 2}
    _assert_kept_equals_rows()


def test_imported_deals_hold_their_stages_step(people, settings):
    # given a file of deals, one at the proposal (报价), committed in chunks (the bulk insert, not the services)
    settings.IMPORT_ROLES = ["admin", "sales"]
    data = ("客户,商机名称,金额,阶段\n"
            "上海华东精密机械有限公司,二期产线,1200,报价\n"
            "上海华东精密机械有限公司,三期,500,\n").encode()
    run = runs.import_run_analyse(actor=people["owner"], entity="opportunity", filename="f.csv", data=data)
    runs.import_run_commit(actor=people["owner"], run=run, one_by_one=False, chunk=2)
    # then each holds the step its history says
    assert sorted(_kept().values()) == [0, 2]
    _assert_kept_equals_rows()


def test_the_rebuild_recomputes_deals_written_directly(people):
    customer = people["customer"]
    # given deals and histories written directly, their kept steps left at nothing
    deal = OpportunityFactory(customer=customer, stage=Stage.LOST, closed_at=timezone.now(), reached_stage=0)
    for before, after in (("", Stage.LEAD), (Stage.LEAD, Stage.PROPOSAL), (Stage.PROPOSAL, Stage.LOST)):
        OpportunityStageChange.objects.create(opportunity=deal, from_stage=before, to_stage=after,
                                              changed_by=customer.owner)
    won = OpportunityFactory(customer=CustomerFactory(owner=customer.owner), stage=Stage.WON, reached_stage=0)
    assert _kept() != reached_from_rows()
    # when rebuilt
    assert opportunity_reached_rebuild() == 2
    # then each holds what its rows say: the lost deal the proposal, the won one (no history) its stage
    assert _kept() == {deal.pk: 2, won.pk: 4} == reached_from_rows()


def test_the_funnel_and_the_lost_analysis_read_the_kept_step(people):
    owner, customer = people["owner"], people["customer"]
    deal = opportunity_create(actor=owner, customer=customer, title="A", stage=Stage.NEGOTIATION)
    opportunity_stage_change(actor=owner, opportunity=deal, stage=Stage.LOST, lost_reason="价格")
    today = timezone.localdate()
    period = Period(today - dt.timedelta(days=1), today + dt.timedelta(days=1))
    steps = [(step["stage"], step["reached"]) for step in funnel(user=people["admin"], period=period).summary["steps"]]
    assert steps == [("lead", 1), ("qualification", 1), ("proposal", 1), ("negotiation", 1), ("won", 0)]
    stage_lost = lost_analysis(user=people["admin"], period=period).summary["stage_lost"]
    assert [(row["stage"], row["count"]) for row in stage_lost] == [("negotiation", 1)]
    # (the column is what they read: a deal's kept step changed behind the services' back shows)
    Opportunity.objects.filter(pk=deal.pk).update(reached_stage=1)
    stage_lost = lost_analysis(user=people["admin"], period=period).summary["stage_lost"]
    assert [(row["stage"], row["count"]) for row in stage_lost] == [("qualification", 1)]
