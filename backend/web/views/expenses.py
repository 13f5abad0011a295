"""Expenses: the list (mine, waiting for my decision, all I may see), the form to submit one (its receipt
uploaded as a Dossier document), one expense with its decision form.

Writes go through backend.crm.services.expenses (checked and audited there; a receipt file becomes a
document through the documents' own service). The customer 360 shows a
customer's expenses through backend.crm.selectors.expenses.expenses_for_customer.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from backend.access.policy import visible
from backend.access.policy.marketing import is_expense_approver, may_decide_expense, may_submit_expenses
from backend.common.errors import NotFound
from backend.common.resolver import resolve
from backend.crm.models import (
    MONEY, Campaign, Currency, Customer, ExpenseCategory, ExpenseChannel, ExpensePayer, ExpenseStatus, Opportunity,
    Order,
)
from backend.crm.selectors import campaigns as campaign_selectors
from backend.crm.selectors.customers import customer_get_visible
from backend.crm.selectors import expenses as selectors
from backend.crm.services import expenses as services
from backend.documents.intake import upload_of_file
from backend.documents.models import Document
from backend.ui.errors import Refusal, report_outcome, show_on_form
from backend.web.pages import int_or_none, staff_page

DATE = {"type": "date"}
SHOWN = 200
SCOPES = (
    (selectors.MINE, gettext_lazy("Mine")),
    (selectors.TO_DECIDE, gettext_lazy("Waiting for my decision")),
    (selectors.ALL, gettext_lazy("All I may see")),
)


class ExpenseForm(forms.Form):
    amount = forms.DecimalField(label=gettext_lazy("Amount"), min_value=0, **MONEY)
    currency = forms.ChoiceField(label=gettext_lazy("Currency"), choices=Currency.choices)
    spent_on = forms.DateField(label=gettext_lazy("Date"), widget=forms.DateInput(DATE, format="%Y-%m-%d"))
    category = forms.ChoiceField(label=gettext_lazy("Category"), choices=ExpenseCategory.choices)
    payer = forms.ChoiceField(label=gettext_lazy("Paid by"), choices=ExpensePayer.choices)
    channel = forms.ChoiceField(label=gettext_lazy("Direct or channel"), choices=ExpenseChannel.choices)
    region = forms.CharField(label=gettext_lazy("Region"), max_length=100, required=False,
                             help_text=gettext_lazy("Empty: the customer's region."))
    description = forms.CharField(label=gettext_lazy("Description"), max_length=services.DESCRIPTION_LENGTH,
                                  required=False)
    campaign = forms.TypedChoiceField(label=gettext_lazy("Campaign"), required=False, coerce=int, empty_value=None)
    receipt_file = forms.FileField(label=gettext_lazy("Receipt (a scan or photo)"), required=False)

    def __init__(self, *args, campaigns=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].choices = [("", "—")] + [(c.pk, f"{c.theme} ({c.starts_on:%Y-%m-%d})")
                                                         for c in campaigns]


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=(("approve", "approve"), ("reject", "reject")))
    note = forms.CharField(label=gettext_lazy("Note (required to reject)"), max_length=services.NOTE_LENGTH,
                           required=False)


@staff_page
@require_GET
def expense_list(request):
    user = request.user
    scope = request.GET.get("scope", selectors.MINE)
    if scope not in dict(SCOPES):
        scope = selectors.MINE
    status = request.GET.get("status", "")
    queryset = selectors.expense_list_visible(user=user, scope=scope, status=status)
    return render(request, "web/expenses.html", {
        "section": "expenses", "expenses": list(queryset[:SHOWN]), "shown": SHOWN,
        "totals": selectors.expense_totals(queryset), "pending": selectors.expense_totals(
            queryset, status=ExpenseStatus.SUBMITTED),
        "scope": scope, "scopes": SCOPES if is_expense_approver(user) else SCOPES[::2], "status": status,
        "statuses": ExpenseStatus.choices, "may_submit": may_submit_expenses(user),
        "waiting": selectors.expenses_waiting_count(user=user) if is_expense_approver(user) else 0,
    })


def _linked(request, user, field: str, rows, label: str):
    """A record the form names by id (the picker's hidden field or a number typed), among those `user` may
    see; a 400 on the field when there is none."""
    value = request.POST.get(field) or request.POST.get(f"{field}_q") or request.GET.get(field)
    pk = int_or_none(str(value or "").strip().lstrip("#"))
    return resolve(visible(user, rows), pk, field=field, label=label)


def _form_page(request, form, context: dict, status: int = 200):
    return render(request, "web/expense_form.html", {"section": "expenses", "form": form, **context}, status=status)


@staff_page
@require_http_methods(["GET", "POST"])
def expense_new(request):
    user = request.user
    if not may_submit_expenses(user):
        raise NotFound()
    campaigns = campaign_selectors.campaign_choices(user=user)
    with Refusal() as early:
        context = {
            "customer": _linked(request, user, "customer", Customer.objects.all(), "customer"),
            "opportunity": _linked(request, user, "opportunity", Opportunity.objects.all(), "opportunity"),
            "order": _linked(request, user, "order", Order.objects.all(), "order"),
        }
    if request.method == "GET":
        preset = int_or_none(request.GET.get("campaign"))
        initial = {"currency": Currency.CNY, "spent_on": timezone.localdate(), "category": ExpenseCategory.TRAVEL,
                   "payer": ExpensePayer.COMPANY, "channel": ExpenseChannel.DIRECT,
                   "campaign": preset if any(c.pk == preset for c in campaigns) else None}
        return _form_page(request, ExpenseForm(initial=initial, campaigns=campaigns),
                          {} if early else context)
    form = ExpenseForm(request.POST, request.FILES, campaigns=campaigns)
    if early:
        form.is_valid()
        show_on_form(form, early.error)
        return _form_page(request, form, {}, status=400)
    if not form.is_valid():
        return _form_page(request, form, context, status=400)
    data = dict(form.cleaned_data)
    upload = data.pop("receipt_file")
    with Refusal() as refusal:
        data["campaign"] = resolve(visible(user, Campaign.objects.all()), data["campaign"], field="campaign",
                                   label="campaign")
        expense = services.expense_submit(actor=user, receipt_upload=upload_of_file(upload) if upload else None,
                                          **context, **data)
    if refusal:
        show_on_form(form, refusal.error)
        return _form_page(request, form, context, status=refusal.status)
    messages.success(request, _("The expense is submitted; your manager decides on it."))
    return redirect("web:expense", expense_id=expense.pk)


@staff_page
@require_GET
def expense_detail(request, expense_id: int):
    user = request.user
    expense = selectors.expense_get_visible(user=user, expense_id=expense_id)
    receipt_visible = bool(expense.receipt_id) and visible(user, Document.objects.filter(pk=expense.receipt_id)) \
        .exists()
    return render(request, "web/expense.html", {
        "section": "expenses", "expense": expense, "decidable": may_decide_expense(user, expense),
        "form": DecisionForm(), "receipt_visible": receipt_visible,
    })


@staff_page
@require_POST
def expense_decide(request, expense_id: int):
    user = request.user
    expense = selectors.expense_get_visible(user=user, expense_id=expense_id)
    form = DecisionForm(request.POST)
    approve = request.POST.get("decision") == "approve"

    def act() -> str:
        note = form.cleaned_data["note"] if form.is_valid() else ""
        services.expense_decide(actor=user, expense=expense, approve=approve, note=note)
        return _("The expense is approved.") if approve else _("The expense is rejected.")

    report_outcome(request, act)
    return redirect("web:expense", expense_id=expense.pk)


@staff_page
@require_GET
def customer_expenses(request, customer_id: int):
    """The customer 360's expenses panel: loaded by htmx into the customer page (so the page's own queries
    stay as they were), or opened as a page without JavaScript."""
    user = request.user
    customer = customer_get_visible(user=user, customer_id=customer_id)
    rows, approved, pending = selectors.expenses_for_customer(user=user, customer=customer)
    context = {"section": "customers", "customer": customer, "rows": rows, "approved": approved, "pending": pending}
    if request.headers.get("HX-Request"):
        return render(request, "web/partials/customer_expense_panel.html", context)
    return render(request, "web/expense_customer.html", context)
