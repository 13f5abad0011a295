"""The handover of a leaving rep's book: who may, what moves, all or nothing, audited per record, and
access that follows the new owners at once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DatabaseError, connection
from django.utils import timezone

from backend.access.policy import Action, can, visible
from backend.accounts.models import Role
from backend.audit.models import AuditEvent
from backend.common.errors import Conflict, InvalidInput, NotFound
from backend.crm.models import (
    AccountTeamMember, Activity, ActivityKind, Customer, Opportunity, Quote, QuoteStatus, Stage,
)
from backend.crm.selectors.handover import handover_book, handover_reps
from backend.crm.services.handover import handover_run
from tests import factories
from tests.crm.factories import ActivityFactory, CustomerFactory, OpportunityFactory, QuoteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(people):
    """王芳 (owner) is leaving. She owns two customers, has an open and a won deal, a draft and an accepted
    quote, an open and a done reminder, and a place on another customer's team."""
    owner = people["owner"]
    second = CustomerFactory(name="苏州新达电子", region="苏州", owner=owner)
    elsewhere = CustomerFactory(name="北京远航科技", region="北京", owner=people["outsider"])
    AccountTeamMember.objects.create(customer=elsewhere, user=owner, role="co-seller")
    rows = {
        "customer": people["customer"], "second": second, "elsewhere": elsewhere,
        "open_deal": OpportunityFactory(customer=people["customer"], owner=owner, stage=Stage.PROPOSAL),
        "won_deal": OpportunityFactory(customer=people["customer"], owner=owner, stage=Stage.WON),
        "draft_quote": QuoteFactory(customer=second, owner=owner, status=QuoteStatus.DRAFT),
        "accepted_quote": QuoteFactory(customer=second, owner=owner, status=QuoteStatus.ACCEPTED),
        "reminder": ActivityFactory(customer=second, owner=owner, kind=ActivityKind.REMINDER, subject="回访",
                                    due_at=timezone.now() + dt.timedelta(days=3)),
        "done_reminder": ActivityFactory(customer=second, owner=owner, kind=ActivityKind.REMINDER, done=True,
                                         due_at=timezone.now() - dt.timedelta(days=3)),
        "visit": ActivityFactory(customer=second, owner=owner, kind=ActivityKind.VISIT),
        "place": AccountTeamMember.objects.get(customer=elsewhere, user=owner),
    }
    rows["anna"] = factories.UserFactory(username="anna", display_name="安娜", department=people["owner"].department)
    rows["ben"] = factories.UserFactory(username="ben", display_name="Ben")
    return rows


def _plan(manager, rep, to, **overrides):
    return {row.key: overrides.get(row.key, to) for row in handover_book(user=manager, rep=rep).rows}


def test_the_book_holds_customers_open_deals_open_quotes_open_reminders_and_team_places(people, book):
    # when the administrator looks at 王芳's book
    found = handover_book(user=people["admin"], rep=people["owner"])
    # then it holds what is open, not what is closed or done, nor visits
    assert {r.obj for r in found.parts["customer"]} == {book["customer"], book["second"]}
    assert [r.obj for r in found.parts["opportunity"]] == [book["open_deal"]]
    assert [r.obj for r in found.parts["quote"]] == [book["draft_quote"]]
    assert [r.obj for r in found.parts["reminder"]] == [book["reminder"]]
    assert [r.obj for r in found.parts["team"]] == [book["place"]]
    assert len(found) == 6


def test_only_an_administrator_hands_over_and_never_their_own_book(people, book):
    for who in ("owner", "colleague", "outsider", "compliance", "engineer", "team"):
        with pytest.raises(NotFound):
            handover_book(user=people[who], rep=people["owner"])
        assert handover_reps(user=people[who]) == []
    assert people["owner"] in handover_reps(user=people["admin"])
    with pytest.raises(NotFound):
        handover_book(user=people["admin"], rep=people["admin"])
    # a refused handover moves nothing and is recorded
    plan = _plan(people["admin"], people["owner"], book["anna"])
    with pytest.raises(NotFound):
        handover_run(actor=people["colleague"], rep=people["owner"], plan=plan)
    assert Customer.objects.get(pk=book["customer"].pk).owner == people["owner"]
    denied = AuditEvent.objects.filter(event_type="crm.access.denied", actor=people["colleague"]).last()
    assert denied.detail["action"] == "handover" and denied.target_id == str(people["owner"].pk)


def test_a_leaving_rep_who_is_inactive_already_can_still_be_handed_over(people, book):
    people["owner"].is_active = False
    people["owner"].save()
    assert people["owner"] in handover_reps(user=people["admin"])
    result = handover_run(actor=people["admin"], rep=people["owner"],
                          plan=_plan(people["admin"], people["owner"], book["anna"]))
    assert result.total == 6
    assert Customer.objects.filter(owner=people["owner"]).count() == 0


def test_all_to_one_rep_moves_everything_open_and_leaves_history_behind(people, book):
    admin, rep, anna = people["admin"], people["owner"], book["anna"]
    # when the administrator hands 王芳's whole book to 安娜
    result = handover_run(actor=admin, rep=rep, plan=_plan(admin, rep, anna), note="王芳 离职")
    # then everything open is 安娜's
    assert result.total == 6 and dict(result.moved[anna]) == {
        "customer": 2, "opportunity": 1, "quote": 1, "reminder": 1, "team": 1}
    assert set(Customer.objects.filter(owner=anna)) == {book["customer"], book["second"]}
    assert Opportunity.objects.get(pk=book["open_deal"].pk).owner == anna
    assert Quote.objects.get(pk=book["draft_quote"].pk).owner == anna
    assert Activity.objects.get(pk=book["reminder"].pk).owner == anna
    assert AccountTeamMember.objects.filter(customer=book["elsewhere"], user=anna, role="co-seller").exists()
    assert not AccountTeamMember.objects.filter(user=rep).exists()
    # and what is closed stays with 王芳 (the history of who won the deal, who quoted, who called)
    assert Opportunity.objects.get(pk=book["won_deal"].pk).owner == rep
    assert Quote.objects.get(pk=book["accepted_quote"].pk).owner == rep
    assert Activity.objects.get(pk=book["done_reminder"].pk).owner == rep
    assert Activity.objects.get(pk=book["visit"].pk).owner == rep
    assert len(handover_book(user=admin, rep=rep)) == 0


def test_each_record_moved_is_audited_and_the_handover_last(people, book):
    admin, rep, anna = people["admin"], people["owner"], book["anna"]
    first = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    handover_run(actor=admin, rep=rep, plan=_plan(admin, rep, anna), note="王芳 离职")
    events = list(AuditEvent.objects.filter(id__gt=first).order_by("id"))
    names = [e.event_type for e in events]
    assert names.count("crm.customer.reassigned") == 2
    assert names.count("crm.opportunity.reassigned") == 1
    assert names.count("crm.quote.reassigned") == 1
    assert names.count("crm.activity.reassigned") == 1
    assert names.count("crm.customer.team_changed") == 1
    assert names[-1] == "crm.handover.completed"
    assert all(e.actor_id == admin.pk for e in events)
    quote_event = next(e for e in events if e.event_type == "crm.quote.reassigned")
    assert quote_event.target_id == str(book["draft_quote"].pk) and quote_event.customer_id == book["second"].pk
    assert quote_event.detail["from"] == "wang.fang" and quote_event.detail["to"] == "anna"
    assert quote_event.detail["note"] == "王芳 离职"
    assert events[-1].detail["moved"] == {"anna": {"customer": 2, "opportunity": 1, "quote": 1, "reminder": 1,
                                                   "team": 1}}


def test_a_book_split_between_two_reps_per_row(people, book):
    admin, rep, anna, ben = people["admin"], people["owner"], book["anna"], book["ben"]
    plan = _plan(admin, rep, anna, **{f"customer-{book['second'].pk}": ben, f"quote-{book['draft_quote'].pk}": ben,
                                      f"reminder-{book['reminder'].pk}": ben})
    result = handover_run(actor=admin, rep=rep, plan=plan)
    assert dict(result.moved[anna]) == {"customer": 1, "opportunity": 1, "team": 1}
    assert dict(result.moved[ben]) == {"customer": 1, "quote": 1, "reminder": 1}
    assert Customer.objects.get(pk=book["customer"].pk).owner == anna
    assert Customer.objects.get(pk=book["second"].pk).owner == ben
    assert Quote.objects.get(pk=book["draft_quote"].pk).owner == ben


def test_access_moves_with_the_book_at_once(people, book):
    admin, rep, ben = people["admin"], people["owner"], book["ben"]
    second = book["second"]
    assert can(rep, Action.MANAGE, second) and not can(ben, Action.VIEW, second)
    handover_run(actor=admin, rep=rep, plan=_plan(admin, rep, ben))
    rep.refresh_from_db()
    # the new owner may see, change and reassign; the leaving rep no longer may change anything
    assert can(ben, Action.MANAGE, second) and can(ben, Action.CHANGE, book["draft_quote"])
    assert not can(rep, Action.CHANGE, second)
    assert not can(rep, Action.CHANGE, book["elsewhere"])
    assert not visible(rep, Quote.objects.filter(pk=book["draft_quote"].pk), Action.CHANGE).exists()


def test_a_team_place_whose_receiver_is_on_the_team_already_is_removed(people, book):
    admin, rep = people["admin"], people["owner"]
    # 张伟 owns 北京远航 where 王芳 has a team place: giving him her place only removes it
    outsider = people["outsider"]
    handover_run(actor=admin, rep=rep, plan=_plan(admin, rep, outsider))
    assert list(AccountTeamMember.objects.filter(customer=book["elsewhere"]).values_list("user_id", flat=True)) == []
    event = AuditEvent.objects.filter(event_type="crm.customer.team_changed").last()
    assert event.detail["removed"] == "wang.fang" and event.detail["added"] is None


def test_recipients_are_active_colleagues_and_a_refusal_names_the_row(people, book):
    admin, rep = people["admin"], people["owner"]
    inactive = factories.UserFactory(username="gone", is_active=False)
    portal = factories.UserFactory(username="buyer", role=Role.PORTAL)
    for recipient, text in ((inactive, "inactive"), (portal, "portal user"), (rep, "leaving")):
        plan = _plan(admin, rep, book["anna"], **{f"quote-{book['draft_quote'].pk}": recipient})
        with pytest.raises(InvalidInput) as refused:
            handover_run(actor=admin, rep=rep, plan=plan)
        assert text in " ".join(refused.value.extra["fields"][f"quote-{book['draft_quote'].pk}"])
    # nothing moved, not even the rows with a good recipient
    assert Customer.objects.filter(owner=rep).count() == 2
    assert not AuditEvent.objects.filter(event_type="crm.handover.completed").exists()


def test_a_book_that_changed_since_the_preview_moves_nothing(people, book):
    admin, rep, anna = people["admin"], people["owner"], book["anna"]
    plan = _plan(admin, rep, anna)
    # meanwhile 王芳 drafts another quote
    late = QuoteFactory(customer=book["second"], owner=rep, status=QuoteStatus.DRAFT)
    with pytest.raises(Conflict) as changed:
        handover_run(actor=admin, rep=rep, plan=plan)
    assert changed.value.extra["added"] == [f"quote-{late.pk}"]
    assert Customer.objects.filter(owner=rep).count() == 2 and Quote.objects.get(pk=late.pk).owner == rep
    assert not AuditEvent.objects.filter(event_type="crm.customer.reassigned").exists()


def test_a_failure_half_way_leaves_nothing_moved(people, book):
    admin, rep, anna = people["admin"], people["owner"], book["anna"]
    plan = _plan(admin, rep, anna)
    # given the database refuses to change quotes (customers and deals move before quotes do)
    with connection.cursor() as cursor:
        cursor.execute("CREATE FUNCTION handover_test_refuse() RETURNS trigger AS $$ BEGIN "
                       "RAISE EXCEPTION 'quotes are read-only'; END $$ LANGUAGE plpgsql")
        cursor.execute("CREATE TRIGGER handover_test_refuse BEFORE UPDATE ON crm_quote "
                       "FOR EACH ROW EXECUTE FUNCTION handover_test_refuse()")
    # when the handover runs, then it fails and nothing moved: not the customers, not the deal
    with pytest.raises(DatabaseError):
        handover_run(actor=admin, rep=rep, plan=plan)
    assert Customer.objects.filter(owner=rep).count() == 2
    assert Opportunity.objects.get(pk=book["open_deal"].pk).owner == rep
    assert AccountTeamMember.objects.filter(user=rep).count() == 1
    assert not AuditEvent.objects.filter(event_type="crm.customer.reassigned").exists()


# --- the API -------------------------------------------------------------------------------------


def test_the_api_answers_404_to_everyone_but_administrators(people, book):
    from tests.fixtures.clients import api_client

    url = f"/api/crm/handover/{people['owner'].pk}/"
    for who in ("owner", "colleague", "outsider", "compliance", "engineer", "team"):
        client = api_client(people[who])
        assert client.get(url).status_code == 404
        assert client.post(url, {"to": book["anna"].pk}, format="json").status_code == 404
    assert Customer.objects.filter(owner=people["owner"]).count() == 2


def test_the_api_shows_the_book_and_hands_it_all_to_one_colleague(people, book):
    from tests.fixtures.clients import api_client

    client = api_client(people["admin"])
    url = f"/api/crm/handover/{people['owner'].pk}/"
    shown = client.get(url).json()
    assert shown["rep"]["username"] == "wang.fang"
    assert {row["key"] for row in shown["rows"]} == set(_plan(people["admin"], people["owner"], book["anna"]))
    quote_row = next(row for row in shown["rows"] if row["kind"] == "quote")
    assert quote_row["label"] == book["draft_quote"].number and quote_row["customer"]["name"] == "苏州新达电子"
    response = client.post(url, {"to": book["anna"].pk, "note": "离职"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json() == {"total": 6, "moved": {"anna": {"customer": 2, "opportunity": 1, "quote": 1,
                                                              "reminder": 1, "team": 1}}}
    assert Customer.objects.filter(owner=book["anna"]).count() == 2
    assert AuditEvent.objects.filter(event_type="crm.handover.completed", actor=people["admin"]).exists()


def test_the_api_splits_by_a_plan_and_refuses_a_stale_one(people, book):
    from tests.fixtures.clients import api_client

    admin, rep, anna, ben = people["admin"], people["owner"], book["anna"], book["ben"]
    client = api_client(admin)
    url = f"/api/crm/handover/{rep.pk}/"
    plan = {key: user.pk for key, user in _plan(admin, rep, anna, **{f"quote-{book['draft_quote'].pk}": ben}).items()}
    # neither or both of to and plan: 400
    assert client.post(url, {}, format="json").status_code == 400
    assert client.post(url, {"to": anna.pk, "plan": plan}, format="json").status_code == 400
    # a plan missing a row: 409, nothing moves
    stale = dict(plan)
    stale.pop(f"reminder-{book['reminder'].pk}")
    response = client.post(url, {"plan": stale}, format="json")
    assert response.status_code == 409
    assert response.json()["reason"] == "handover_changed"
    assert response.json()["added"] == [f"reminder-{book['reminder'].pk}"]
    assert Customer.objects.filter(owner=rep).count() == 2
    # the full plan: a split
    response = client.post(url, {"plan": plan}, format="json")
    assert response.status_code == 200
    assert response.json()["moved"]["ben"] == {"quote": 1}
    assert Quote.objects.get(pk=book["draft_quote"].pk).owner == ben
