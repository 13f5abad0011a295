"""Expenses: submitted by any member of staff, decided once by the submitter's manager (a colleague of
the same department holding crm.view_team_figures, or an administrator; never the submitter), audited; who
sees them; links that must be visible and consistent; totals per currency on the customer 360."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.db import IntegrityError, transaction
from django.utils import timezone

from backend.access.policy import Action, can
from backend.access.policy.marketing import may_decide_expense
from backend.audit.models import AuditEvent
from backend.common.errors import Conflict, InvalidInput, NotFound
from backend.crm.models import Expense, ExpenseStatus
from backend.crm.selectors.expenses import (
    TO_DECIDE, expense_list_visible, expenses_for_customer, expenses_waiting_count,
)
from backend.crm.services.expenses import expense_decide, expense_submit
from tests import factories
from tests.crm.factories import CustomerFactory, OpportunityFactory, OrderFactory

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 3, 2)


def _events(event_type: str):
    return AuditEvent.objects.filter(event_type=event_type).order_by("id")


@pytest.fixture
def manager(people):
    """A sales manager: the team manager (crm.view_team_figures) of the owner's department, sales-east, so they
    decide the owner's and the colleague's expenses."""
    user = factories.UserFactory(username="sun.li", department=people["owner"].department)
    user.user_permissions.add(Permission.objects.get(codename="view_team_figures", content_type__app_label="crm"))
    return user


def _taxi(actor, **extra):
    return expense_submit(actor=actor, **{"amount": "320.5", "spent_on": DAY, "category": "travel", **extra})


def test_a_rep_submits_an_expense_on_a_customer_and_it_is_audited(people):
    customer = people["customer"]
    receipt = factories.document(people["owner"], title="Taxi receipt", kind="other")
    # when the owner submits a taxi fare for a visit to their customer, with the receipt
    expense = _taxi(people["owner"], customer=customer, payer="personal", receipt=receipt, description="Visit")
    # then it waits for a decision, in the customer's region, and the submission is audited
    expense.refresh_from_db()
    assert (expense.status, expense.amount, expense.region, expense.receipt) == (
        ExpenseStatus.SUBMITTED, Decimal("320.50"), customer.region, receipt)
    event = _events("crm.expense.submitted").get()
    assert (event.customer_id, event.detail["amount"], event.detail["receipt"]) == (customer.pk, "320.50", receipt.pk)


def test_bad_amounts_dates_and_links_are_refused(people):
    owner = people["owner"]
    with pytest.raises(InvalidInput) as error:
        _taxi(owner, amount="0", category="yacht", spent_on=timezone.localdate() + dt.timedelta(days=1))
    assert set(error.value.extra["fields"]) == {"amount", "category", "spent_on"}
    # an opportunity of another customer than the one named
    other = CustomerFactory(owner=owner)
    with pytest.raises(InvalidInput) as error:
        _taxi(owner, customer=people["customer"], opportunity=OpportunityFactory(customer=other))
    assert "opportunity" in error.value.extra["fields"]
    # a customer the submitter may not see: as if missing, and the refusal is recorded
    hidden = CustomerFactory(owner=people["outsider"], region="北京")
    with pytest.raises(NotFound):
        _taxi(owner, customer=hidden)
    assert _events("crm.access.denied").filter(target_id=str(hidden.pk)).exists()
    # an order names its customer when none is given
    order = OrderFactory(customer=people["customer"])
    assert _taxi(owner, order=order).customer == people["customer"]
    # compliance spends nothing
    with pytest.raises(NotFound):
        _taxi(people["compliance"])
    assert not Expense.objects.filter(submitter=people["compliance"]).exists()


def test_the_submitters_manager_approves_once_and_it_is_audited(people, manager):
    expense = _taxi(people["owner"])
    # then it waits for the manager
    assert expenses_waiting_count(user=manager) == 1
    assert list(expense_list_visible(user=manager, scope=TO_DECIDE)) == [expense]
    # when the manager approves it
    expense_decide(actor=manager, expense=expense, approve=True)
    expense.refresh_from_db()
    assert (expense.status, expense.decided_by) == (ExpenseStatus.APPROVED, manager)
    assert _events("crm.expense.approved").get().detail["submitter"] == people["owner"].pk
    # and deciding it again is a conflict
    with pytest.raises(Conflict):
        expense_decide(actor=manager, expense=expense, approve=False, note="Changed my mind")
    assert expenses_waiting_count(user=manager) == 0


def test_a_rejection_says_why(people, manager):
    expense = _taxi(people["colleague"])
    with pytest.raises(InvalidInput):
        expense_decide(actor=manager, expense=expense, approve=False)
    expense_decide(actor=manager, expense=expense, approve=False, note="No receipt")
    expense.refresh_from_db()
    assert (expense.status, expense.decision_note) == (ExpenseStatus.REJECTED, "No receipt")
    assert _events("crm.expense.rejected").get().detail["note"] == "No receipt"


def test_nobody_decides_their_own_or_another_departments_expenses(people, manager):
    own = _taxi(manager)
    north = _taxi(people["outsider"])
    # the manager may not decide their own (nor may the database be talked into it), nor another department's
    for expense in (own, north):
        assert not may_decide_expense(manager, expense)
    with pytest.raises(NotFound):
        expense_decide(actor=manager, expense=own, approve=True)
    assert _events("crm.access.denied").filter(target_id=str(own.pk)).exists()
    with pytest.raises(NotFound):  # not even visible to them
        expense_decide(actor=manager, expense=north, approve=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        Expense.objects.filter(pk=own.pk).update(status=ExpenseStatus.APPROVED, decided_by=manager,
                                                 decided_at=timezone.now())
    # a plain colleague is no approver; an administrator decides anyone's
    assert not may_decide_expense(people["colleague"], own)
    expense_decide(actor=people["admin"], expense=own, approve=True)
    own.refresh_from_db()
    assert own.status == ExpenseStatus.APPROVED


def test_who_sees_an_expense(people, manager):
    expense = _taxi(people["colleague"], customer=people["customer"])
    # the submitter, their manager, the customer's owner and team, compliance and admins see it
    for name in ("colleague", "owner", "team", "compliance", "admin"):
        assert can(people[name], Action.VIEW, expense), name
    assert can(manager, Action.VIEW, expense)
    # a rep of another department and the service engineer do not, and nobody changes it directly
    for name in ("outsider", "engineer"):
        assert not can(people[name], Action.VIEW, expense), name
    assert not can(people["admin"], Action.CHANGE, expense)


def test_the_customer_360_lists_its_expenses_with_approved_and_pending_totals_per_currency(
        people, manager, django_assert_num_queries):
    customer = people["customer"]
    approved = [_taxi(people["owner"], customer=customer, amount=a, currency=c)
                for a, c in (("100.10", "CNY"), ("200", "CNY"), ("50", "USD"))]
    for expense in approved:
        expense_decide(actor=manager, expense=expense, approve=True)
    _taxi(people["owner"], customer=customer, amount="7")
    _taxi(people["owner"], customer=CustomerFactory(owner=people["owner"]), amount="999")  # another customer
    # when the owner reads the customer's expenses: five queries (whether they are a team manager: their
    # permissions and their groups' — both remembered on the user —, the rows, two totals), whatever the
    # number of rows
    with django_assert_num_queries(5):
        rows, totals, pending = expenses_for_customer(user=people["owner"], customer=customer)
    assert len(rows) == 4
    assert totals == {"CNY": Decimal("300.10"), "USD": Decimal("50.00")}
    assert pending == {"CNY": Decimal("7.00")}
    # a colleague of the owner's department who may not change the customer sees none of them
    rows, totals, _ = expenses_for_customer(user=people["colleague"], customer=customer)
    assert (rows, totals) == ([], {})
