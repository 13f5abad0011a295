"""Retention policies and the disposal review (backend/documents/retention.py writes, selectors_retention
reads).

    GET/POST /retention/                          the policies, and a form to add one (compliance, admins)
    GET/POST /retention/policies/<id>/            change a policy
    GET      /retention/review/                   the review queue, what comes next, the latest disposals
                                                  (compliance)
    POST     /retention/review/<id>/dispose/      dispose of a due document for good (refused under a hold)
    POST     /retention/review/<id>/keep/         keep it until a later date, with a reason
    POST     /documents/<id>/retention-product/   which product a piece of product material describes

Everyone else gets a 404, as for anything they may not see.
"""

from __future__ import annotations

import datetime as dt
from functools import wraps

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from backend.access.policy.retention import may_manage_retention_policies, may_review_disposals
from backend.crm.selectors.products import product_get_visible
from backend.documents import retention as services
from backend.documents import selectors_retention as selectors
from backend.documents.models import Classification, DocumentKind, RetentionTrigger, RetentionUnit
from backend.ui.errors import Refusal, show_on_form
from backend.web.pages import int_or_none, staff_page
from backend.web.views.documents import document_action

TRIGGER_HELP = {
    RetentionTrigger.ORDER_CLOSED: gettext_lazy("Kept while its order is open; counted from the day the order is "
                                                "fulfilled or cancelled (orders linked to the document or naming "
                                                "it as their contract)."),
    RetentionTrigger.OPPORTUNITY_LOST: gettext_lazy("Counted from the day its opportunity was lost; kept while the "
                                                    "opportunity is open, and for good once it is won."),
    RetentionTrigger.PRODUCT_RETIRED: gettext_lazy("Kept while the product it describes is active; counted from the "
                                                   "day the product is retired."),
    RetentionTrigger.CREATED: gettext_lazy("Counted from the day the document was created."),
}


def _retention_page(may):
    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not may(request.user):
                raise Http404()
            return view(request, *args, **kwargs)

        return staff_page(wrapper)

    return decorate


class PolicyForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)
    kind = forms.ChoiceField(label=gettext_lazy("Kind of document"), choices=DocumentKind.choices)
    classification = forms.ChoiceField(
        label=gettext_lazy("Classification"), required=False,
        choices=[("", gettext_lazy("Any classification"))] + list(Classification.choices),
        help_text=gettext_lazy("A policy for one classification comes before the one for any classification."))
    trigger = forms.ChoiceField(label=gettext_lazy("Counted from"), choices=RetentionTrigger.choices)
    period = forms.IntegerField(label=gettext_lazy("Kept for"), min_value=1, max_value=services.MAX_PERIOD)
    unit = forms.ChoiceField(label=gettext_lazy("Unit"), choices=RetentionUnit.choices, initial=RetentionUnit.YEARS)
    active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)


class KeepForm(forms.Form):
    until = forms.DateField(label=gettext_lazy("Keep until"), widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=gettext_lazy("Reason"), max_length=300)


def _policies_page(request, form, policy=None, status=200):
    return render(request, "web/retention_policies.html", {
        "section": "retention",
        "policies": selectors.retention_policy_list(user=request.user),
        "form": form,
        "policy": policy,
        "trigger_help": [(RetentionTrigger(value).label, text) for value, text in TRIGGER_HELP.items()],
        "may_review": may_review_disposals(request.user),
    }, status=status)


def _save(request, policy=None):
    form = PolicyForm(request.POST)
    if not form.is_valid():
        return _policies_page(request, form, policy, status=400)
    with Refusal() as refusal:
        saved = services.retention_policy_save(actor=request.user, policy=policy, **form.cleaned_data)
    if refusal:
        show_on_form(form, refusal.error)
        return _policies_page(request, form, policy, status=refusal.status)
    messages.success(request, _("The policy “%(name)s” is saved. Documents follow it at the next refresh.")
                     % {"name": saved.name})
    return redirect("web:retention_policies")


@_retention_page(may_manage_retention_policies)
@require_http_methods(["GET", "POST"])
def retention_policies(request):
    if request.method == "POST":
        return _save(request)
    return _policies_page(request, PolicyForm(initial={"unit": RetentionUnit.YEARS, "active": True}))


@_retention_page(may_manage_retention_policies)
@require_http_methods(["GET", "POST"])
def retention_policy_edit(request, policy_id: int):
    policy = selectors.retention_policy_get(user=request.user, policy_id=policy_id)
    if request.method == "POST":
        return _save(request, policy)
    initial = {key: getattr(policy, key) for key in ("name", "kind", "classification", "trigger", "period",
                                                      "unit", "active")}
    return _policies_page(request, PolicyForm(initial=initial), policy)


@_retention_page(may_review_disposals)
@require_GET
def disposal_review(request):
    user = request.user
    today = timezone.localdate()
    queue = selectors.disposal_queue(user=user, today=today)
    return render(request, "web/disposal_review.html", {
        "section": "retention",
        "queue": queue,
        "upcoming": selectors.disposal_upcoming(user=user, today=today),
        "records": selectors.disposal_records(user=user),
        "today": today,
        "keep_default": today + dt.timedelta(days=365),
        "may_manage": may_manage_retention_policies(user),
    })


@_retention_page(may_review_disposals)
@require_POST
def disposal_dispose(request, retention_id: int):
    row = selectors.disposal_get_due(user=request.user, retention_id=retention_id)
    title = row.document_title
    with Refusal() as refusal:
        services.disposal_approve(actor=request.user, retention=row, note=request.POST.get("note", ""))
    if refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("“%(title)s” is disposed of for good; the audit trail keeps the disposal "
                                    "record.") % {"title": title})
    return redirect("web:disposal_review")


@_retention_page(may_review_disposals)
@require_POST
def disposal_keep(request, retention_id: int):
    row = selectors.disposal_get_due(user=request.user, retention_id=retention_id)
    form = KeepForm(request.POST)
    if not form.is_valid():
        errors = [text for texts in form.errors.values() for text in texts]
        messages.error(request, " ".join(errors))
        return redirect("web:disposal_review")
    with Refusal() as refusal:
        services.disposal_extend(actor=request.user, retention=row, until=form.cleaned_data["until"],
                                 note=form.cleaned_data["note"])
    if refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("“%(title)s” is kept until %(date)s.")
                         % {"title": row.document_title, "date": form.cleaned_data["until"].isoformat()})
    return redirect("web:disposal_review")


def _set_product(request, document) -> str:
    product_id = int_or_none(request.POST.get("product"))
    product = product_get_visible(user=request.user, product_id=product_id) if product_id else None
    services.retention_product_set(actor=request.user, document=document, product=product)
    if product is None:
        return _("The product is cleared.")
    return _("The product is saved: this material is kept while %(product)s is active.") % {"product": product}


document_retention_product = document_action(_set_product)
