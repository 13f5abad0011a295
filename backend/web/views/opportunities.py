"""The opportunity page and its create/edit form.

The page shows a deal: amount, currency, weighted amount, expected close, probability, its competitors
(records, shared by every deal that names them), its quotes and linked documents, and its stage history,
with a form to move it along the funnel. The form creates a deal for a customer the user may change
(the customer page's "New opportunity" names it; otherwise the customer picker) or edits one the user may
change. Every write is a service call (policy and audit inside it); a refusal shows by its field; a deal
the user may not see, or may not change when they ask to edit it, is a 404.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from backend.access.policy import Action
from backend.access.services import require
from backend.crm.models import CLOSED_STAGES, OPEN_STAGES, Currency, Stage
from backend.crm.selectors.customers import customer_get_visible
from backend.crm.selectors.opportunities import (
    competitor_list_visible,
    opportunity_get_visible,
    opportunity_page,
)
from backend.crm.services.opportunities import (
    MAX_COMPETITORS,
    opportunity_create,
    opportunity_stage_change,
    opportunity_update,
)
from backend.ui.errors import Refusal, field_errors_for, message_for
from backend.web.forms import StageMoveForm
from backend.web.pages import int_or_none, staff_page

# Known competitors offered as boxes to tick; beyond this many the rest are typed (and found by name).
COMPETITOR_CHOICES = 200


class OpportunityForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200,
                            error_messages={"required": gettext_lazy("A title is required.")})
    amount = forms.DecimalField(label=gettext_lazy("Amount"), min_value=0, max_digits=16, decimal_places=2,
                                error_messages={"required": gettext_lazy("Enter a number."),
                                                "invalid": gettext_lazy("Enter a number.")})
    currency = forms.ChoiceField(label=gettext_lazy("Currency"), choices=Currency.choices)
    expected_close = forms.DateField(label=gettext_lazy("Expected close"), required=False,
                                     widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    stage = forms.ChoiceField(label=gettext_lazy("Stage"),
                              choices=[(stage.value, stage.label) for stage in OPEN_STAGES])
    probability = forms.IntegerField(
        label=gettext_lazy("Probability (%)"), required=False, min_value=0, max_value=100,
        help_text=gettext_lazy("Leave empty to use the stage's usual probability."),
        error_messages={"invalid": gettext_lazy("Enter a whole number from 0 to 100."),
                        "min_value": gettext_lazy("Enter a whole number from 0 to 100."),
                        "max_value": gettext_lazy("Enter a whole number from 0 to 100.")})
    competitors = forms.MultipleChoiceField(label=gettext_lazy("Competitors"), required=False,
                                            widget=forms.CheckboxSelectMultiple)
    new_competitors = forms.CharField(
        label=gettext_lazy("Other competitors"), required=False, max_length=2000,
        help_text=gettext_lazy("Names not in the list, separated by commas."))

    def __init__(self, *args, competitor_choices, opportunity=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["competitors"].choices = competitor_choices
        for name, field in self.fields.items():
            if name != "competitors":
                field.widget.attrs.setdefault("id", f"opportunity-{name}")
        if opportunity is not None:
            # The stage moves through the funnel (the page's stage form), not here.
            del self.fields["stage"]
            self.fields["probability"].help_text = ""
            if opportunity.stage in CLOSED_STAGES:
                self.fields["probability"].disabled = True
                self.fields["probability"].help_text = gettext_lazy(
                    "A won or lost deal's probability follows its outcome.")

    def competitor_names(self) -> list[str]:
        """The ticked names and the typed ones (the service splits, tidies and de-duplicates them)."""
        chosen = dict(self.fields["competitors"].choices)
        names = [chosen[value] for value in self.cleaned_data.get("competitors") or [] if value in chosen]
        return names + [self.cleaned_data.get("new_competitors") or ""]

    def add_service_errors(self, exc: Exception) -> None:
        fields = field_errors_for(exc)
        for name, texts in fields.items():
            target = "new_competitors" if name == "competitors" else name
            for text in texts:
                self.add_error(target if target in self.fields else None, text)
        if not fields:
            self.add_error(None, message_for(exc))


def _competitor_choices(user, opportunity=None) -> list[tuple[str, str]]:
    known = list(competitor_list_visible(user=user).values_list("pk", "name")[:COMPETITOR_CHOICES])
    if opportunity is not None:  # its own are always offered, even past the list's length
        shown = {pk for pk, _name in known}
        known += [(c.pk, c.name) for c in opportunity.competitors.all() if c.pk not in shown]
    return [(str(pk), name) for pk, name in known]


def _form_page(request, form, *, customer=None, opportunity=None, status: int = 200):
    return render(request, "web/opportunity_form.html", {
        "section": "pipeline",
        "form": form,
        "customer": customer if opportunity is None else opportunity.customer,
        "opportunity": opportunity,
        "max_competitors": MAX_COMPETITORS,
    }, status=status)


def _picked_customer(request):
    """The customer a new deal is for: `customer` (the hidden field or the query string), else a number typed
    in the picker's text box. None when none is given; a 404 when the user may not see it."""
    customer_id = None
    for value in (request.POST.get("customer"), request.POST.get("customer_q"), request.GET.get("customer")):
        customer_id = int_or_none(str(value or "").lstrip("#"))
        if customer_id:
            break
    if customer_id is None:
        return None
    return customer_get_visible(user=request.user, customer_id=customer_id)


# --- the page ------------------------------------------------------------------------------------


@staff_page
@require_http_methods(["GET", "HEAD"])
def opportunity_detail(request, opportunity_id: int):
    page = opportunity_page(user=request.user, opportunity_id=opportunity_id)
    opportunity = page.opportunity
    history = list(opportunity.stage_history.all())
    return render(request, "web/opportunity.html", {
        "section": "pipeline",
        "opportunity": opportunity,
        "weighted": (opportunity.amount * opportunity.probability / 100).quantize(Decimal("0.01")),
        "changeable": page.changeable,
        "quotes": page.quotes,
        "documents": page.documents,
        "history": list(reversed(history)),
        "stages": Stage.choices,
        "reopen": opportunity.stage in CLOSED_STAGES,
    })


# --- create and edit -----------------------------------------------------------------------------


@staff_page
@require_http_methods(["GET", "HEAD", "POST"])
def opportunity_new(request):
    """A new deal. With a customer named, only one the user may change (else a 404); without, the picker."""
    user = request.user
    customer = _picked_customer(request)
    if customer is not None:
        require(actor=user, action=Action.CHANGE, obj=customer)  # a 404, and the refusal in the trail
    if request.method != "POST":
        form = OpportunityForm(competitor_choices=_competitor_choices(user),
                               initial={"currency": Currency.CNY, "stage": Stage.LEAD})
        return _form_page(request, form, customer=customer)
    form = OpportunityForm(request.POST, competitor_choices=_competitor_choices(user))
    if customer is None:
        form.add_error(None, _("Choose a customer."))
    if not form.is_valid():
        return _form_page(request, form, customer=customer, status=400)
    data = form.cleaned_data
    with Refusal() as refusal:
        opportunity = opportunity_create(
            actor=user, customer=customer, title=data["title"], amount=data["amount"], currency=data["currency"],
            expected_close=data["expected_close"], stage=data["stage"], probability=data["probability"],
            competitors=form.competitor_names())
    if refusal:
        form.add_service_errors(refusal.error)
        return _form_page(request, form, customer=customer, status=refusal.status)
    messages.success(request, _("“%(title)s” is opened.") % {"title": opportunity.title})
    return redirect("web:opportunity", opportunity.pk)


@staff_page
@require_http_methods(["GET", "HEAD", "POST"])
def opportunity_edit(request, opportunity_id: int):
    user = request.user
    opportunity = opportunity_get_visible(user=user, opportunity_id=opportunity_id)
    require(actor=user, action=Action.CHANGE, obj=opportunity)  # seen but not changeable: a 404, recorded
    choices = _competitor_choices(user, opportunity)
    if request.method != "POST":
        by_name = {name: value for value, name in choices}
        form = OpportunityForm(competitor_choices=choices, opportunity=opportunity, initial={
            "title": opportunity.title, "amount": opportunity.amount, "currency": opportunity.currency,
            "expected_close": opportunity.expected_close, "probability": opportunity.probability,
            "competitors": [by_name[c.name] for c in opportunity.competitors.all() if c.name in by_name],
        })
        return _form_page(request, form, opportunity=opportunity)
    form = OpportunityForm(request.POST, competitor_choices=choices, opportunity=opportunity,
                           initial={"probability": opportunity.probability})
    if not form.is_valid():
        return _form_page(request, form, opportunity=opportunity, status=400)
    data = form.cleaned_data
    changes = {"title": data["title"], "amount": data["amount"], "currency": data["currency"],
               "expected_close": data["expected_close"], "competitors": form.competitor_names()}
    if data["probability"] is not None and opportunity.stage not in CLOSED_STAGES:
        changes["probability"] = data["probability"]
    with Refusal() as refusal:
        opportunity_update(actor=user, opportunity=opportunity, **changes)
    if refusal:
        form.add_service_errors(refusal.error)
        return _form_page(request, form, opportunity=opportunity, status=refusal.status)
    messages.success(request, _("“%(title)s” is saved.") % {"title": data["title"]})
    return redirect("web:opportunity", opportunity.pk)


# --- the funnel, from the page -------------------------------------------------------------------


def stage_move(request, opportunity) -> str:
    """Move `opportunity` to the posted stage (a won or lost deal is reopened by moving it to an open
    stage). The error to show, or "" when it moved (the success message is then queued)."""
    form = StageMoveForm(request.POST)
    if not form.is_valid():
        return " ".join(" ".join(errors) for errors in form.errors.values())
    stage = form.cleaned_data["stage"]
    with Refusal() as refusal:
        opportunity_stage_change(
            actor=request.user, opportunity=opportunity, stage=stage,
            lost_reason=form.cleaned_data.get("lost_reason", ""),
            note=" ".join(request.POST.get("note", "").split())[:300],
            reopen=opportunity.stage in CLOSED_STAGES and stage in OPEN_STAGES)
    if refusal:
        return refusal.message
    messages.success(request, _("“%(title)s” moved to %(stage)s.") % {
        "title": opportunity.title, "stage": Stage(stage).label})
    return ""


@staff_page
@require_POST
def opportunity_stage(request, opportunity_id: int):
    opportunity = opportunity_get_visible(user=request.user, opportunity_id=opportunity_id)
    error = stage_move(request, opportunity)
    if error:
        messages.error(request, error)
    return redirect(reverse("web:opportunity", args=[opportunity.pk]) + "#stage")
