"""One notion of a manager (policy/reports.py `manages`, `managed_reps_q`): whose expenses a user decides
and whose figures they read as a manager are the same people, for every kind of user."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission

from backend.access.policy.marketing import may_decide_expense
from backend.access.policy.reports import figure_scope, managed_reps_q, manages, may_read_figures_of_rep
from backend.accounts.models import User
from backend.crm.models import Expense, ExpenseStatus
from tests import factories

pytestmark = pytest.mark.django_db


def _manager(user):
    user.user_permissions.add(Permission.objects.get(codename="view_team_figures", content_type__app_label="crm"))
    return User.objects.get(pk=user.pk)


def test_who_decides_an_expense_is_who_manages_the_submitter_and_reads_their_figures(people):
    # given a second manager in the east team, a plain rep, a north manager, compliance and the admin
    east_boss = _manager(people["colleague"])
    north_boss = _manager(people["outsider"])
    deputy = _manager(factories.UserFactory(username="east.deputy", department=east_boss.department))
    readers = {"east manager": east_boss, "east deputy": deputy, "north manager": north_boss,
               "rep": people["owner"], "compliance": people["compliance"], "admin": people["admin"]}
    submitters = [people["owner"], east_boss, north_boss, people["team"]]
    expenses = {s.pk: Expense.objects.create(submitter=s, amount=Decimal("10.00"), currency="CNY",
                                             spent_on=dt.date(2026, 10, 5), status=ExpenseStatus.SUBMITTED)
                for s in submitters}

    for name, reader in readers.items():
        for submitter in submitters:
            managed = manages(reader, submitter)
            # then deciding = managing (never one's own), in Python and in SQL alike
            assert may_decide_expense(reader, expenses[submitter.pk]) == (managed and submitter.pk != reader.pk), \
                (name, submitter.username)
            # and whoever manages a rep reads their figures (compliance reads everyone's, managing nobody)
            if managed:
                assert may_read_figures_of_rep(reader, submitter), (name, submitter.username)
            elif name not in ("compliance",) and submitter.pk != reader.pk:
                assert not may_read_figures_of_rep(reader, submitter), (name, submitter.username)

    # by hand: the east managers manage east's rep and each other, not north; the admin everyone
    assert [s.username for s in submitters if manages(east_boss, s)] == ["wang.fang", "chen.jing"]
    assert [s.username for s in submitters if manages(north_boss, s)] == ["zhang.wei", "li.lei"]
    assert all(manages(people["admin"], s) for s in submitters)
    assert not any(manages(people["compliance"], s) or manages(people["owner"], s) for s in submitters)
    assert figure_scope(people["compliance"]).everything and figure_scope(east_boss).is_team


def test_the_sql_rule_matches_the_python_rule(people):
    east_boss = _manager(people["colleague"])
    expenses = Expense.objects.bulk_create([
        Expense(submitter=s, amount=Decimal("1.00"), currency="CNY", spent_on=dt.date(2026, 10, 5))
        for s in (people["owner"], people["team"], people["outsider"], east_boss)])
    for reader in (east_boss, people["admin"], people["owner"], people["compliance"]):
        in_sql = set(Expense.objects.filter(managed_reps_q(reader, "submitter")).values_list("submitter_id",
                                                                                            flat=True))
        in_python = {e.submitter_id for e in expenses if manages(reader, e.submitter)}
        assert in_sql == in_python, reader.username
