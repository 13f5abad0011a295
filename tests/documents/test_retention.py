"""Retention policies and the disposal review (backend/documents/retention.py): the dates each CRM event
gives, the refresh that fills the review queue once, and who may change policies or decide."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from backend.accounts.models import Role
from backend.audit.models import AuditEvent
from backend.common.errors import Conflict, InvalidInput, PermissionDenied, UnderLegalHold
from backend.crm.models import Stage
from backend.crm.services.links import document_link_create
from backend.crm.services.opportunities import opportunity_stage_change
from backend.crm.services.orders import order_status_change
from backend.crm.services.products import product_update
from backend.documents.holds import legal_hold_place
from backend.documents.models import DisposalState, Document, DocumentRetention, RetentionPolicy
from backend.documents.retention import (
    add_period,
    disposal_approve,
    disposal_extend,
    retention_policy_save,
    retention_product_set,
    retention_refresh,
)
from backend.documents.selectors_retention import disposal_queue, disposal_records
from backend.documents.tasks import retention_refresh as retention_refresh_task
from backend.notifications.models import Notification
from tests import factories
from tests.crm.factories import CustomerFactory, OpportunityFactory, OrderFactory, ProductFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture
def cast(db):
    compliance = factories.UserFactory(username="zhao.jing", role=Role.COMPLIANCE)
    admin = factories.UserFactory(username="wu.lei", role=Role.ADMIN)
    rep = factories.UserFactory(username="wang.fang")
    customer = CustomerFactory(owner=rep, name="华东机床 East Lathe")
    return {"compliance": compliance, "admin": admin, "rep": rep, "customer": customer}


def _policy(cast, **fields):
    values = {"name": "Contracts: order closed + 10 years", "kind": "contract", "classification": "",
              "trigger": "order_closed", "period": 10, "unit": "years"}
    values.update(fields)
    return retention_policy_save(actor=cast["compliance"], **values)


def _row(document):
    return DocumentRetention.objects.get(document=document)


# --- dates -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("start, period, unit, expected", [
    (dt.date(2026, 1, 31), 1, "months", dt.date(2026, 2, 28)),
    (dt.date(2024, 2, 29), 1, "years", dt.date(2025, 2, 28)),
    (dt.date(2026, 11, 15), 3, "months", dt.date(2027, 2, 15)),
    (dt.date(2026, 12, 30), 2, "days", dt.date(2027, 1, 1)),
    (dt.date(2026, 3, 2), 10, "years", dt.date(2036, 3, 2)),
])
def test_periods_are_added_in_calendar_units(start, period, unit, expected):
    assert add_period(start, period, unit) == expected


# --- policies ----------------------------------------------------------------------------------------


def test_compliance_and_administrators_save_policies_audited_with_what_changed(cast):
    # given compliance's policy for contracts
    policy = _policy(cast)
    created = AuditEvent.objects.get(event_type="document.retention.policy_saved", target_id=str(policy.pk))
    assert created.actor_id == cast["compliance"].pk and created.detail["period"] == 10

    # when an administrator shortens it
    retention_policy_save(actor=cast["admin"], policy=policy, name=policy.name, kind="contract",
                          classification="", trigger="order_closed", period=7, unit="years")

    # then the change is saved and audited as [old, new]
    assert RetentionPolicy.objects.get(pk=policy.pk).period == 7
    changed = AuditEvent.objects.filter(event_type="document.retention.policy_saved").latest("id")
    assert changed.actor_id == cast["admin"].pk and changed.detail["changes"] == {"period": [10, 7]}


def test_a_rep_may_not_save_a_policy(cast):
    with pytest.raises(PermissionDenied):
        retention_policy_save(actor=cast["rep"], name="x", kind="contract", trigger="created", period=1,
                              unit="years")
    assert not RetentionPolicy.objects.exists()


def test_one_policy_per_kind_and_classification_and_periods_are_whole_numbers(cast):
    _policy(cast)
    with pytest.raises(InvalidInput) as duplicate:
        _policy(cast, name="again")
    assert "classification" in duplicate.value.extra["fields"]
    with pytest.raises(InvalidInput) as bad:
        _policy(cast, classification="secret", period="0")
    assert "period" in bad.value.extra["fields"]
    # a policy for one classification of the same kind is another scope
    assert _policy(cast, name="Secret contracts", classification="secret", period=30).pk


# --- contracts: kept until the order is closed plus N years ------------------------------------------


def test_a_contract_waits_for_its_order_then_is_due_n_years_after_it_closed(cast):
    # given a contract, the contract of an open order, under "order closed + 10 years"
    _policy(cast)
    contract = factories.document(cast["rep"], title="Supply contract", kind="contract")
    order = OrderFactory(customer=cast["customer"], number="SO-2026-001", contract_document=contract, total=1000)

    # when the refresh runs while the order is open
    result = retention_refresh()

    # then the contract waits: no date while the order is open
    row = _row(contract)
    assert (row.state, row.due_on, row.event_label) == (DisposalState.WAITING, None, "SO-2026-001")
    assert result.waiting == 1

    # when the order is fulfilled (audited by the order service) and the refresh runs again
    order_status_change(actor=cast["rep"], order=order, status="fulfilled")
    retention_refresh()

    # then the contract is scheduled ten years after the day the order closed
    row = _row(contract)
    assert row.state == DisposalState.SCHEDULED
    assert (row.event_on, row.due_on) == (TODAY, add_period(TODAY, 10, "years"))
    assert disposal_queue(user=cast["compliance"]) == []


def test_a_contract_linked_to_two_orders_waits_for_both(cast):
    _policy(cast, period=1)
    contract = factories.document(cast["rep"], kind="contract")
    first = OrderFactory(customer=cast["customer"], contract_document=contract, total=10)
    second = OrderFactory(customer=cast["customer"], total=10)
    document_link_create(actor=cast["rep"], document=contract, target=second)
    order_status_change(actor=cast["rep"], order=first, status="fulfilled")

    retention_refresh()
    assert _row(contract).state == DisposalState.WAITING

    order_status_change(actor=cast["rep"], order=second, status="cancelled")
    retention_refresh()
    assert _row(contract).state == DisposalState.SCHEDULED


def test_the_day_comes_the_document_goes_to_the_review_queue_once(cast):
    # given a fulfilled order's contract under "order closed + 1 year"
    _policy(cast, period=1)
    contract = factories.document(cast["rep"], title="Old supply contract", kind="contract")
    order = OrderFactory(customer=cast["customer"], contract_document=contract, total=1000)
    order_status_change(actor=cast["rep"], order=order, status="fulfilled")
    due = add_period(TODAY, 1, "years")

    # when the refresh runs the day before, on the day, and again (a retry)
    assert retention_refresh(today=due - dt.timedelta(days=1)).due == 0
    first = retention_refresh(today=due)
    again = retention_refresh(today=due)

    # then it is due from that day, in compliance's queue, and announced to the trail once
    assert first.newly_due == [contract.pk] and again.newly_due == []
    assert [r.document_id for r in disposal_queue(user=cast["compliance"], today=due)] == [contract.pk]
    events = AuditEvent.objects.filter(event_type="document.disposal.due", target_id=str(contract.pk))
    assert events.count() == 1
    assert events.get().actor_id is None and events.get().detail["policy"] == "Contracts: order closed + 10 years"
    # and the compliance officers are told once, in their language, with a link to the queue
    told = Notification.objects.get(kind="documents.disposal_due")
    assert told.recipient == cast["compliance"] and told.link == "/retention/review/"
    assert told.title == "Documents due for disposal review: 1"


# --- bids: purged N months after the opportunity was lost --------------------------------------------


def test_a_lost_bid_is_due_n_months_after_the_opportunity_was_lost_and_a_won_one_is_kept(cast):
    # given two bids under "opportunity lost + 6 months", each linked to its opportunity
    _policy(cast, name="Lost bids", kind="bid", trigger="opportunity_lost", period=6, unit="months")
    lost_deal = OpportunityFactory(customer=cast["customer"], title="Lathe tender", stage=Stage.NEGOTIATION)
    won_deal = OpportunityFactory(customer=cast["customer"], title="Mill tender", stage=Stage.NEGOTIATION)
    lost_bid = factories.document(cast["rep"], title="Lathe bid", kind="bid")
    won_bid = factories.document(cast["rep"], title="Mill bid", kind="bid")
    document_link_create(actor=cast["rep"], document=lost_bid, target=lost_deal)
    document_link_create(actor=cast["rep"], document=won_bid, target=won_deal)

    # when one deal is lost, the other won
    opportunity_stage_change(actor=cast["rep"], opportunity=lost_deal, stage=Stage.LOST, lost_reason="price")
    opportunity_stage_change(actor=cast["rep"], opportunity=won_deal, stage=Stage.WON)
    retention_refresh()

    # then the lost bid is due six months after the loss; the won bid waits (it is not a lost bid)
    row = _row(lost_bid)
    assert (row.state, row.event_label, row.due_on) == (DisposalState.SCHEDULED, "Lathe tender",
                                                        add_period(TODAY, 6, "months"))
    assert _row(won_bid).state == DisposalState.WAITING


# --- product material: kept while the product is active -----------------------------------------------


def test_product_material_is_kept_while_its_product_is_active(cast):
    # given a brochure for an active lathe under "product retired + 2 years"
    _policy(cast, name="Brochures", kind="product_material", trigger="product_retired", period=2, unit="years")
    lathe = ProductFactory(code="QH-CK6150")
    brochure = factories.document(cast["rep"], title="CK6150 brochure", kind="product_material")
    retention_product_set(actor=cast["rep"], document=brochure, product=lathe)
    assert AuditEvent.objects.filter(event_type="document.retention.product_set", target_id=str(brochure.pk)).exists()

    # when the refresh runs while the lathe is sold
    retention_refresh()
    assert _row(brochure).state == DisposalState.WAITING

    # when the lathe is retired (audited by the product service)
    product_update(actor=cast["admin"], product=lathe, active=False)
    retention_refresh()

    # then the brochure is kept two years from the retirement
    row = _row(brochure)
    assert (row.state, row.event_on, row.due_on) == (DisposalState.SCHEDULED, TODAY, add_period(TODAY, 2, "years"))
    assert "QH-CK6150" in row.event_label


def test_only_product_material_describes_a_product_and_only_its_editors_say_which(cast):
    contract = factories.document(cast["rep"], kind="contract")
    with pytest.raises(InvalidInput):
        retention_product_set(actor=cast["rep"], document=contract, product=ProductFactory())
    brochure = factories.document(cast["rep"], kind="product_material")
    with pytest.raises(PermissionDenied):
        retention_product_set(actor=factories.UserFactory(), document=brochure, product=ProductFactory())


# --- which policy ------------------------------------------------------------------------------------


def test_the_policy_for_the_documents_classification_wins_over_the_one_for_any(cast):
    _policy(cast, name="Any contract", trigger="created", period=5)
    _policy(cast, name="Secret contracts", classification="secret", trigger="created", period=30)
    internal = factories.document(cast["rep"], kind="contract", classification="internal")
    secret = factories.document(cast["rep"], kind="contract", classification="secret")
    other = factories.document(cast["rep"], kind="other")

    retention_refresh()

    assert _row(internal).policy.name == "Any contract" and _row(secret).policy.name == "Secret contracts"
    assert _row(secret).due_on == add_period(TODAY, 30, "years")
    assert not DocumentRetention.objects.filter(document=other).exists()


# --- the review: keep longer -------------------------------------------------------------------------


def _due_document(cast, title="Expired contract"):
    _policy(cast, name="Contracts: 1 day", trigger="created", period=1, unit="days")
    document = factories.document(cast["rep"], title=title, kind="contract")
    retention_refresh(today=TODAY + dt.timedelta(days=1))
    return document


def test_compliance_keeps_a_due_document_until_a_later_date_with_a_reason(cast):
    # given a document due for review
    document = _due_document(cast)
    day = TODAY + dt.timedelta(days=1)
    row = _row(document)

    # when compliance keeps it until later, giving a reason
    until = day + dt.timedelta(days=180)
    disposal_extend(actor=cast["compliance"], retention=row, until=until, note="Warranty claim pending", today=day)

    # then it leaves the queue until that day, and the refresh does not bring it back earlier
    assert disposal_queue(user=cast["compliance"], today=day) == []
    retention_refresh(today=day + dt.timedelta(days=10))
    assert _row(document).state == DisposalState.SCHEDULED and _row(document).due_on == until
    retention_refresh(today=until)
    assert _row(document).state == DisposalState.DUE
    event = AuditEvent.objects.get(event_type="document.disposal.extended", target_id=str(document.pk))
    assert event.actor_id == cast["compliance"].pk
    assert event.detail["note"] == "Warranty claim pending" and event.detail["extended_until"] == until.isoformat()


def test_keeping_longer_needs_a_later_date_a_reason_and_the_compliance_role(cast):
    document = _due_document(cast)
    day = TODAY + dt.timedelta(days=1)
    row = _row(document)
    with pytest.raises(InvalidInput):
        disposal_extend(actor=cast["compliance"], retention=row, until=day, note="x", today=day)
    with pytest.raises(InvalidInput):
        disposal_extend(actor=cast["compliance"], retention=row, until=day + dt.timedelta(days=9), note=" ", today=day)
    for who in ("rep", "admin"):
        with pytest.raises(PermissionDenied):
            disposal_extend(actor=cast[who], retention=row, until=day + dt.timedelta(days=9), note="x", today=day)
        with pytest.raises(PermissionDenied):
            disposal_queue(user=cast[who])
    # a decision on a row no longer due is a conflict, not a second decision
    disposal_extend(actor=cast["compliance"], retention=row, until=day + dt.timedelta(days=9), note="x", today=day)
    with pytest.raises(Conflict):
        disposal_extend(actor=cast["compliance"], retention=row, until=day + dt.timedelta(days=20), note="y", today=day)


def test_the_refresh_reads_the_crm_in_a_fixed_number_of_queries(cast, django_assert_max_num_queries):
    # given twenty contracts, each with its own closed order
    _policy(cast, period=1)
    for number in range(20):
        contract = factories.document(cast["rep"], title=f"Contract {number}", kind="contract")
        OrderFactory(customer=cast["customer"], contract_document=contract, status="fulfilled", total=10)
    retention_refresh()

    # when the refresh runs again over all of them (nothing changes)
    with django_assert_max_num_queries(12):
        result = retention_refresh()

    # then it read them in a fixed number of queries, not a few per document
    assert result.scheduled == 20


# --- the review: dispose of ----------------------------------------------------------------------------


def test_an_approved_disposal_purges_the_document_and_keeps_the_record(cast):
    # given a document due for review
    document = _due_document(cast, title="Lathe supply contract 2019")
    day = TODAY + dt.timedelta(days=1)
    row = _row(document)
    key = document.valid_version.object_key

    # when compliance approves its disposal
    disposed = disposal_approve(actor=cast["compliance"], retention=row, note="Term ended", today=day)

    # then the document is gone for good, and the retention row stays as the record
    assert not Document.objects.filter(pk=document.pk).exists()
    assert (disposed.state, disposed.document_id, disposed.reviewed_by) == (
        DisposalState.DISPOSED, None, cast["compliance"])
    assert disposed.document_title == "Lathe supply contract 2019" and disposed.disposed_at is not None
    # and the trail says what, why and who: the purge, then the disposal record
    purged = AuditEvent.objects.get(event_type="document.purged", target_id=str(document.pk))
    record = AuditEvent.objects.get(event_type="document.disposal.approved", target_id=str(document.pk))
    assert record.id > purged.id and record.actor_id == cast["compliance"].pk
    assert record.detail["title"] == "Lathe supply contract 2019" and record.detail["policy"] == "Contracts: 1 day"
    assert record.detail["trigger"] == "created" and record.detail["period"] == "1 days"
    assert record.detail["approved_by"] == "zhao.jing" and record.detail["note"] == "Term ended"
    assert purged.detail["reason"] == "retention" and key in purged.detail.get("objects", [key])
    assert disposal_records(user=cast["compliance"]) == [disposed]


def test_a_document_under_legal_hold_is_never_disposed_of(cast):
    # given a due document that compliance has put under a legal hold
    document = _due_document(cast)
    day = TODAY + dt.timedelta(days=1)
    legal_hold_place(actor=cast["compliance"], scope="document", name="Dispute 2026-7", reason="Litigation",
                     documents=[document])

    # then the queue says it is held, and approving its disposal is refused with nothing changed
    assert [row.held for row in disposal_queue(user=cast["compliance"], today=day)] == [True]
    with pytest.raises(UnderLegalHold):
        disposal_approve(actor=cast["compliance"], retention=_row(document), today=day)
    assert Document.objects.filter(pk=document.pk).exists()
    assert _row(document).state == DisposalState.DUE
    assert not AuditEvent.objects.filter(event_type="document.disposal.approved").exists()


def test_only_compliance_approves_and_only_what_is_due(cast):
    document = _due_document(cast)
    day = TODAY + dt.timedelta(days=1)
    for who in ("rep", "admin"):
        with pytest.raises(PermissionDenied):
            disposal_approve(actor=cast[who], retention=_row(document), today=day)
    # the day before it is due (a stale page), approval is a conflict
    with pytest.raises(Conflict):
        disposal_approve(actor=cast["compliance"], retention=_row(document), today=TODAY)
    assert Document.objects.filter(pk=document.pk).exists()


def test_the_beat_task_fills_the_queue(cast):
    _policy(cast, name="Contracts: 1 day", trigger="created", period=1, unit="days")
    document = factories.document(cast["rep"], kind="contract")
    Document.objects.filter(pk=document.pk).update(created_at=timezone.now() - dt.timedelta(days=2))

    assert retention_refresh_task() == 1 and retention_refresh_task() == 0
    assert _row(document).state == DisposalState.DUE


def test_a_deactivated_policy_takes_its_documents_out_of_the_queue(cast):
    document = _due_document(cast)
    day = TODAY + dt.timedelta(days=1)
    policy = RetentionPolicy.objects.get()
    retention_policy_save(actor=cast["compliance"], policy=policy, name=policy.name, kind=policy.kind,
                          classification="", trigger=policy.trigger, period=policy.period, unit=policy.unit,
                          active=False)

    retention_refresh(today=day)

    row = _row(document)
    assert (row.state, row.policy, row.due_on) == (DisposalState.WAITING, None, None)
    assert disposal_queue(user=cast["compliance"], today=day) == []


def test_the_command_runs_the_refresh_and_says_what_it_found(cast):
    from io import StringIO

    from django.core.management import call_command

    _policy(cast, name="Contracts: 1 day", trigger="created", period=1, unit="days")
    document = factories.document(cast["rep"], kind="contract")
    Document.objects.filter(pk=document.pk).update(created_at=timezone.now() - dt.timedelta(days=2))
    out = StringIO()

    call_command("retention_refresh", stdout=out)

    assert f"due for disposal review: document {document.pk}" in out.getvalue()
    assert "1 documents under a policy: 0 waiting for their event, 0 scheduled, 1 due (1 new)" in out.getvalue()
