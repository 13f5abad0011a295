"""The work log's reads (backend/crm/selectors/activities.py) and whose log one may read
(backend/access/policy/worklog.py): own log for everyone, anyone's for WORKLOG_READER_ROLES, never an
activity on a customer the reader may not see, and periods in the display zone's days."""

from __future__ import annotations

import datetime as dt

import pytest

from backend.accounts.models import Role
from backend.access.policy.worklog import may_read_worklog_of, may_read_worklogs_of_others
from backend.common.display_time import display_zone
from backend.common.errors import NotFound
from backend.crm.selectors.activities import activity_worklog, worklog_rep_get, worklog_reps
from tests import factories
from tests.crm.factories import ActivityFactory, CustomerFactory

pytestmark = pytest.mark.django_db


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=display_zone())


def test_a_rep_reads_only_their_own_log_even_on_a_shared_customer(people):
    mine = ActivityFactory(customer=people["customer"], owner=people["owner"], subject="mine")
    ActivityFactory(customer=people["customer"], owner=people["team"], subject="the team's")

    rows = list(activity_worklog(user=people["owner"]))

    assert rows == [mine]
    assert worklog_reps(user=people["owner"]) == [people["owner"]]
    assert not may_read_worklogs_of_others(people["owner"])
    with pytest.raises(NotFound):
        worklog_rep_get(user=people["owner"], rep_id=people["team"].pk)
    with pytest.raises(NotFound):
        activity_worklog(user=people["owner"], reps=[people["team"]])


def test_an_administrator_reads_everyones_and_chooses_a_rep(people):
    ActivityFactory(customer=people["customer"], owner=people["owner"], subject="owner's")
    team = ActivityFactory(customer=people["customer"], owner=people["team"], subject="team's")
    admin = people["admin"]

    assert {a.subject for a in activity_worklog(user=admin)} == {"owner's", "team's"}
    assert list(activity_worklog(user=admin, reps=[worklog_rep_get(user=admin, rep_id=people["team"].pk)])) == [team]
    reps = worklog_reps(user=admin)
    assert people["team"] in reps and people["owner"] in reps


def test_portal_users_have_no_log_and_are_no_rep(people):
    buyer = factories.UserFactory(username="buyer", role=Role.PORTAL)
    assert not may_read_worklog_of(buyer, buyer)
    assert not may_read_worklog_of(people["admin"], buyer)
    with pytest.raises(NotFound):
        worklog_rep_get(user=people["admin"], rep_id=buyer.pk)


def test_a_manager_role_named_in_settings_reads_others_but_only_on_customers_they_see(people, settings):
    # given the deployment lets the sales role read work logs, and a customer only the outsider sees
    settings.WORKLOG_READER_ROLES = ["admin", "sales"]
    hidden = CustomerFactory(name="北京远航科技", owner=people["outsider"])
    ActivityFactory(customer=hidden, owner=people["outsider"], subject="hidden visit")
    visible_one = ActivityFactory(customer=people["customer"], owner=people["outsider"], subject="on a shared one")

    # when the colleague (same department as the customer's owner) reads the outsider's log
    rows = list(activity_worklog(user=people["colleague"], reps=[people["outsider"]]))

    # then only what happened on customers the colleague may see is listed
    assert rows == [visible_one]


def test_the_period_is_whole_days_in_the_display_zone(people):
    day = dt.date(2026, 3, 2)
    before = ActivityFactory(customer=people["customer"], subject="before", occurred_at=_at(day, 0) - dt.timedelta(seconds=1))
    first = ActivityFactory(customer=people["customer"], subject="first", occurred_at=_at(day, 0))
    last = ActivityFactory(customer=people["customer"], subject="last", occurred_at=_at(day + dt.timedelta(days=1), 23, 59))
    after = ActivityFactory(customer=people["customer"], subject="after", occurred_at=_at(day + dt.timedelta(days=2), 0))

    rows = list(activity_worklog(user=people["owner"], since=day, until=day + dt.timedelta(days=1)))

    assert rows == [last, first]
    assert before not in rows and after not in rows


def test_customer_and_kinds_narrow_the_log(people):
    other = CustomerFactory(owner=people["owner"])
    visit = ActivityFactory(customer=people["customer"], kind="visit", subject="visit")
    ActivityFactory(customer=people["customer"], kind="call", subject="call")
    ActivityFactory(customer=other, kind="visit", subject="elsewhere")

    assert list(activity_worklog(user=people["owner"], customer_id=people["customer"].pk, kinds=["visit"])) == [visit]
    assert {a.subject for a in activity_worklog(user=people["owner"], kinds=["visit", "bogus"])} == {
        "visit", "elsewhere"}


def test_an_activity_may_name_a_contact_of_its_own_customer_only(people):
    from backend.common.errors import InvalidInput
    from backend.crm.models import Contact
    from backend.crm.services.activities import activity_log

    mine = Contact.objects.create(customer=people["customer"], name="刘洋")
    theirs = Contact.objects.create(customer=CustomerFactory(owner=people["outsider"]), name="马丽")

    logged = activity_log(actor=people["owner"], customer=people["customer"], kind="visit", subject="Met", contact=mine)
    assert logged.contact == mine
    with pytest.raises(InvalidInput) as refused:
        activity_log(actor=people["owner"], customer=people["customer"], kind="visit", subject="x", contact=theirs)
    assert "contact" in refused.value.extra["fields"]
    mine.delete()
    logged.refresh_from_db()
    assert logged.contact is None  # the activity stays


def test_the_rep_chooser_rows_read_as_the_reps_themselves_in_the_same_order(people):
    # given staff named every way a user can be: a display name, only first/last names, only a user name,
    # an inactive one, one without a department, and a portal user
    from backend.crm.selectors.activities import worklog_rep_choices

    factories.UserFactory(username="chooser.zhang", display_name="张伟")
    factories.UserFactory(username="full.name", display_name="", first_name="Ada", last_name="Lovelace")
    factories.UserFactory(username="bare", display_name="", first_name="", last_name="", department=None)
    factories.UserFactory(username="gone", display_name="Gone Away", is_active=False)
    factories.UserFactory(username="buyer2", role=Role.PORTAL)
    admin = people["admin"]

    # when the chooser's rows are read
    choices = worklog_rep_choices(user=admin)

    # then they are worklog_reps, row for row: same people, order, names, departments and activity
    reps = worklog_reps(user=admin)
    assert [(c.id, c.name, c.department, c.is_active) for c in choices] == [
        (r.pk, str(r), r.department.name if r.department_id else "", r.is_active) for r in reps]
    assert {"张伟", "Ada Lovelace", "bare"} <= {c.name for c in choices}
    assert "buyer2" not in {c.name for c in choices}
    # and a rep chooses only themselves
    owner = people["owner"]
    assert [c.id for c in worklog_rep_choices(user=owner)] == [owner.pk]
