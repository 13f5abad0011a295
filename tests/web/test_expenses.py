"""The expense pages: submitting one with its receipt (a document through the upload service), the manager's
decision, who may open and post each page (no right: 404), the customer 360's expenses panel, Chinese."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile

from backend.audit.models import AuditEvent
from backend.crm.models import Expense, ExpenseStatus
from backend.crm.services.expenses import expense_submit
from tests import factories
from tests.fixtures.clients import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(world):
    """The sales-east manager: the team manager of the rep's department (crm.view_team_figures)."""
    user = factories.UserFactory(username="sun.li", display_name="孙立", department=world.rep.department)
    user.user_permissions.add(Permission.objects.get(codename="view_team_figures", content_type__app_label="crm"))
    return user


def _taxi(world, **extra):
    return expense_submit(actor=world.rep, amount="320.50", spent_on=world.order.signed_date, category="travel",
                          customer=world.customer, **extra)


def test_a_rep_submits_an_expense_with_its_receipt(world):
    client = client_for(world.rep)
    assert client.get(f"/expenses/new/?customer={world.customer.pk}").status_code == 200
    receipt = SimpleUploadedFile("taxi.pdf", factories.pdf_bytes("taxi"), content_type="application/pdf")
    response = client.post(f"/expenses/new/?customer={world.customer.pk}", {
        "amount": "320.50", "currency": "CNY", "spent_on": "2026-03-02", "category": "travel",
        "payer": "personal", "channel": "direct", "description": "拜访客户 taxi", "customer": world.customer.pk,
        "receipt_file": receipt})
    expense = Expense.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/expenses/{expense.pk}/"
    assert (expense.status, expense.customer, expense.region) == (ExpenseStatus.SUBMITTED, world.customer, "上海")
    assert expense.receipt.owner == world.rep and expense.receipt.versions.count() == 1
    assert AuditEvent.objects.filter(event_type="crm.expense.submitted", target_id=str(expense.pk)).exists()
    assert AuditEvent.objects.filter(event_type="document.created", target_id=str(expense.receipt_id)).exists()
    # the page shows it, with its receipt, to the submitter
    page = client.get(f"/expenses/{expense.pk}/").content.decode()
    assert "taxi.pdf" in page and "expense-approve" not in page


def test_compliance_may_not_submit_and_a_hidden_customer_is_refused_on_the_form(world):
    assert client_for(world.compliance).get("/expenses/new/").status_code == 404
    response = client_for(world.rep).post("/expenses/new/", {
        "amount": "10", "currency": "CNY", "spent_on": "2026-03-02", "category": "travel", "payer": "company",
        "channel": "direct", "customer": world.other_customer.pk})
    assert response.status_code == 400 and "No such customer." in response.content.decode()
    assert not Expense.objects.exists()


def test_the_manager_approves_and_others_get_a_404(world, manager):
    expense = _taxi(world)
    url = f"/expenses/{expense.pk}/"
    # another department's rep does not see it; the submitter cannot decide it
    assert client_for(world.outsider).get(url).status_code == 404
    assert client_for(world.rep).post(f"{url}decide/", {"decision": "approve"}).status_code == 404
    assert client_for(world.colleague).post(f"{url}decide/", {"decision": "approve"}).status_code == 404
    # the manager sees it waiting, with the decision buttons
    client = client_for(manager)
    listing = client.get("/expenses/", {"scope": "to_decide"}).content.decode()
    assert f"/expenses/{expense.pk}/" in listing
    assert 'data-testid="expense-approve"' in client.get(url).content.decode()
    # a rejection without a reason is refused with a message; an approval goes through
    client.post(f"{url}decide/", {"decision": "reject", "note": ""})
    expense.refresh_from_db()
    assert expense.status == ExpenseStatus.SUBMITTED
    assert client.post(f"{url}decide/", {"decision": "approve"}).status_code == 302
    expense.refresh_from_db()
    assert (expense.status, expense.decided_by) == (ExpenseStatus.APPROVED, manager)
    assert AuditEvent.objects.filter(event_type="crm.expense.approved", target_id=str(expense.pk),
                                     actor=manager).exists()


def test_the_customer_360_loads_its_expenses_panel(world, manager):
    expense = _taxi(world)
    rep = client_for(world.rep)
    assert 'hx-get="/customers/%d/expenses/"' % world.customer.pk in rep.get(f"/customers/{world.customer.pk}/") \
        .content.decode()
    panel = rep.get(f"/customers/{world.customer.pk}/expenses/", HTTP_HX_REQUEST="true")
    assert panel.status_code == 200 and f"/expenses/{expense.pk}/" in panel.content.decode()
    # without JavaScript it is a page of its own; a customer the user may not see is a 404
    assert rep.get(f"/customers/{world.customer.pk}/expenses/").status_code == 200
    assert rep.get(f"/customers/{world.other_customer.pk}/expenses/").status_code == 404


def test_the_expense_pages_read_in_chinese(world, manager):
    expense = _taxi(world)
    client = client_for(manager, "zh-hans")
    for url, chinese in (("/expenses/", "费用"), (f"/expenses/{expense.pk}/", "批准"),
                         ("/expenses/new/", "提交费用")):
        assert chinese in client.get(url).content.decode(), url
