"""Marketing: the campaigns page, one campaign (materials, invitees, leads, results, cost, who engaged),
the campaign form, and leads (record, assign, mark contacted/qualified/disqualified).

Every write goes through backend.crm.services.campaigns (checked and audited there); reads through
backend.crm.selectors.campaigns. The rows a form names by id are resolved among the rows the user may
see: a missing or hidden one is "No such …" next to the field.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from backend.access.policy import Action, can, visible
from backend.access.policy.marketing import may_assign_lead, may_run_campaigns
from backend.accounts.models import Role, User
from backend.common.errors import InvalidInput, NotFound
from backend.common.resolver import resolve
from backend.crm.models import (
    MONEY, Campaign, CampaignMaterial, CampaignParticipant, CampaignStatus, CampaignType, Contact, Currency, Customer,
    LeadGrade, LeadSource, LeadStatus,
)
from backend.crm.selectors import campaigns as selectors
from backend.crm.services import campaigns as services
from backend.documents.models import Document
from backend.ui.errors import Refusal, report_outcome, show_on_form
from backend.web.pages import int_or_none, staff_page

DATE = {"type": "date"}
LEADS_SHOWN = 200


class CampaignForm(forms.Form):
    theme = forms.CharField(label=gettext_lazy("Theme"), max_length=services.THEME_LENGTH)
    type = forms.ChoiceField(label=gettext_lazy("Type"), choices=CampaignType.choices)
    starts_on = forms.DateField(label=gettext_lazy("Starts on"), widget=forms.DateInput(DATE, format="%Y-%m-%d"))
    ends_on = forms.DateField(label=gettext_lazy("Ends on"), required=False,
                              widget=forms.DateInput(DATE, format="%Y-%m-%d"))
    region = forms.CharField(label=gettext_lazy("Region"), max_length=services.REGION_LENGTH, required=False)
    budget = forms.DecimalField(label=gettext_lazy("Budget"), min_value=0, required=False, **MONEY)
    currency = forms.ChoiceField(label=gettext_lazy("Currency"), choices=Currency.choices)
    status = forms.ChoiceField(label=gettext_lazy("Status"), choices=CampaignStatus.choices)
    description = forms.CharField(label=gettext_lazy("Description"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))

    def clean_budget(self):
        return self.cleaned_data["budget"] or 0


class LeadForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Company name"), max_length=200)
    region = forms.CharField(label=gettext_lazy("Region"), max_length=100, required=False)
    industry = forms.CharField(label=gettext_lazy("Industry"), max_length=100, required=False)
    source = forms.ChoiceField(label=gettext_lazy("Source"), choices=LeadSource.choices)
    campaign = forms.TypedChoiceField(label=gettext_lazy("Campaign"), required=False, coerce=int, empty_value=None)
    grade = forms.ChoiceField(label=gettext_lazy("Grade"), choices=LeadGrade.choices, initial=LeadGrade.WARM)
    contact_name = forms.CharField(label=gettext_lazy("Contact person"), max_length=120, required=False)
    contact_phone = forms.CharField(label=gettext_lazy("Phone"), max_length=40, required=False)
    contact_email = forms.EmailField(label=gettext_lazy("E-mail"), required=False)
    note = forms.CharField(label=gettext_lazy("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, campaigns=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].choices = [("", "—")] + [(c.pk, f"{c.theme} ({c.starts_on:%Y-%m-%d})")
                                                         for c in campaigns]


def _with_rights(user, leads: list) -> list:
    for lead in leads:
        lead.assignable = may_assign_lead(user, lead)
    return leads


def _campaign_values(campaign: Campaign) -> dict:
    return {field: getattr(campaign, field) for field in services.EDITABLE}


# --- campaigns -----------------------------------------------------------------------------------------


@staff_page
@require_GET
def campaign_list(request):
    user = request.user
    status = request.GET.get("status", "")
    query = request.GET.get("q", "").strip()[:100]
    campaigns = list(selectors.campaign_list_visible(user=user, status=status, q=query)[:200])
    return render(request, "web/campaigns.html", {
        "section": "campaigns", "campaigns": campaigns, "status": status, "query": query,
        "statuses": CampaignStatus.choices, "may_run": may_run_campaigns(user),
    })


def _form_page(request, form, campaign=None, status: int = 200):
    return render(request, "web/campaign_form.html", {"section": "campaigns", "form": form, "campaign": campaign},
                  status=status)


@staff_page
@require_http_methods(["GET", "POST"])
def campaign_new(request):
    if not may_run_campaigns(request.user):
        raise NotFound()
    if request.method == "GET":
        return _form_page(request, CampaignForm(initial={"currency": Currency.CNY, "status": CampaignStatus.PLANNED,
                                                         "type": CampaignType.EXHIBITION}))
    form = CampaignForm(request.POST)
    if not form.is_valid():
        return _form_page(request, form, status=400)
    with Refusal() as refusal:
        campaign = services.campaign_create(actor=request.user, **form.cleaned_data)
    if refusal:
        show_on_form(form, refusal.error)
        return _form_page(request, form, status=refusal.status)
    messages.success(request, _("The campaign “%(theme)s” is started.") % {"theme": campaign.theme})
    return redirect("web:campaign", campaign_id=campaign.pk)


@staff_page
@require_http_methods(["GET", "POST"])
def campaign_edit(request, campaign_id: int):
    campaign = selectors.campaign_get_visible(user=request.user, campaign_id=campaign_id, action=Action.CHANGE)
    if request.method == "GET":
        return _form_page(request, CampaignForm(initial=_campaign_values(campaign)), campaign)
    form = CampaignForm(request.POST)
    if not form.is_valid():
        return _form_page(request, form, campaign, status=400)
    with Refusal() as refusal:
        campaign = services.campaign_update(actor=request.user, campaign=campaign, **form.cleaned_data)
    if refusal:
        show_on_form(form, refusal.error)
        return _form_page(request, form, campaign, status=refusal.status)
    messages.success(request, _("The campaign is saved."))
    return redirect("web:campaign", campaign_id=campaign.pk)


@staff_page
@require_GET
def campaign_detail(request, campaign_id: int):
    user = request.user
    campaign = selectors.campaign_get_visible(user=user, campaign_id=campaign_id)
    return render(request, "web/campaign.html", {
        "section": "campaigns",
        "campaign": campaign,
        "changeable": can(user, Action.CHANGE, campaign),
        "may_record_leads": may_run_campaigns(user),
        "materials": selectors.campaign_materials(user=user, campaign=campaign),
        "participants": selectors.campaign_participants(user=user, campaign=campaign),
        "leads": _with_rights(user, selectors.campaign_leads(user=user, campaign=campaign)),
        "results": selectors.campaign_results(user=user, campaign=campaign),
        "engagement": selectors.campaign_engagement(user=user, campaign=campaign),
    })


def _posted_id(request, *names: str) -> int | None:
    """The id a form posts: the picker's hidden field, else a number typed in its text box ("#12")."""
    for name in names:
        value = int_or_none(str(request.POST.get(name) or "").strip().lstrip("#"))
        if value:
            return value
    return None


def _next(request) -> str:
    """Where a lead's form sends the user back to: the page it was posted from (this site only), else the
    leads page."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return reverse("web:leads")


def _back(campaign_id: int, anchor: str) -> str:
    return f"{reverse('web:campaign', args=[campaign_id])}#{anchor}"


@staff_page
@require_POST
def campaign_material_add(request, campaign_id: int):
    user = request.user
    campaign = selectors.campaign_get_visible(user=user, campaign_id=campaign_id, action=Action.CHANGE)

    def act() -> str:
        document = resolve(visible(user, Document.objects.all()), _posted_id(request, "document", "document_q"),
                           field="document", label="document")
        if document is None:
            raise InvalidInput("Choose a document.", fields={"document": ["Choose a document."]})
        services.campaign_material_add(actor=user, campaign=campaign, document=document)
        return _("“%(title)s” is among the campaign's materials.") % {"title": document.title}

    report_outcome(request, act)
    return redirect(_back(campaign.pk, "materials"))


@staff_page
@require_POST
def campaign_material_remove(request, campaign_id: int, material_id: int):
    user = request.user
    campaign = selectors.campaign_get_visible(user=user, campaign_id=campaign_id, action=Action.CHANGE)
    material = CampaignMaterial.objects.filter(campaign=campaign, pk=material_id).select_related("campaign").first()
    if material is None:
        raise NotFound()

    def act() -> str:
        services.campaign_material_remove(actor=user, material=material)
        return _("The material is taken off the campaign.")

    report_outcome(request, act)
    return redirect(_back(campaign.pk, "materials"))


@staff_page
@require_POST
def campaign_invite(request, campaign_id: int):
    user = request.user
    campaign = selectors.campaign_get_visible(user=user, campaign_id=campaign_id, action=Action.CHANGE)

    def act() -> str:
        customer = resolve(visible(user, Customer.objects.all()), _posted_id(request, "customer", "customer_q"),
                           field="customer", label="customer")
        if customer is None:
            raise InvalidInput("Choose a customer.", fields={"customer": ["Choose a customer."]})
        contact = None
        contact_name = request.POST.get("contact_name", "").strip()
        if contact_name:
            contact = Contact.objects.filter(customer=customer, name__iexact=contact_name).first()
            if contact is None:
                raise InvalidInput("No contact of that name at this customer.",
                                   fields={"contact": ["No contact of that name at this customer."]})
        services.campaign_invite(actor=user, campaign=campaign, customer=customer, contact=contact,
                                 attended=request.POST.get("attended") == "1")
        return _("%(name)s is invited.") % {"name": contact.name if contact else customer.name}

    report_outcome(request, act)
    return redirect(_back(campaign.pk, "invitees"))


@staff_page
@require_POST
def campaign_attendance(request, campaign_id: int, participant_id: int):
    user = request.user
    campaign = selectors.campaign_get_visible(user=user, campaign_id=campaign_id, action=Action.CHANGE)
    participant = CampaignParticipant.objects.filter(campaign=campaign, pk=participant_id) \
        .select_related("campaign").first()
    if participant is None:
        raise NotFound()
    attended = request.POST.get("attended") == "1"

    def act() -> str:
        services.campaign_attendance_set(actor=user, participant=participant, attended=attended)
        return _("Marked as attending.") if attended else _("Marked as invited.")

    report_outcome(request, act)
    return redirect(_back(campaign.pk, "invitees"))


# --- leads ---------------------------------------------------------------------------------------------


@staff_page
@require_GET
def lead_list(request):
    user = request.user
    status = request.GET.get("status", "")
    leads = _with_rights(user, list(selectors.lead_list_visible(user=user, status=status)[:LEADS_SHOWN]))
    return render(request, "web/campaign_leads.html", {
        "section": "campaigns", "leads": leads, "status": status, "statuses": LeadStatus.choices,
        "may_record": may_run_campaigns(user), "shown": LEADS_SHOWN,
    })


def _lead_form_page(request, form, campaign, status: int = 200):
    return render(request, "web/campaign_lead_form.html", {"section": "campaigns", "form": form, "campaign": campaign},
                  status=status)


@staff_page
@require_http_methods(["GET", "POST"])
def lead_new(request):
    user = request.user
    if not may_run_campaigns(user):
        raise NotFound()
    campaigns = selectors.campaign_choices(user=user)
    preset = next((c for c in campaigns if c.pk == int_or_none(request.GET.get("campaign"))), None)
    if request.method == "GET":
        initial = {"source": LeadSource.CAMPAIGN if preset else LeadSource.OTHER, "grade": LeadGrade.WARM,
                   "campaign": preset.pk if preset else None}
        return _lead_form_page(request, LeadForm(initial=initial, campaigns=campaigns), preset)
    form = LeadForm(request.POST, campaigns=campaigns)
    if not form.is_valid():
        return _lead_form_page(request, form, preset, status=400)
    data = dict(form.cleaned_data)
    with Refusal() as refusal:
        data["campaign"] = resolve(visible(user, Campaign.objects.all()), data["campaign"], field="campaign",
                                   label="campaign")
        rep_id = _posted_id(request, "assign_to", "assign_to_q")
        rep = resolve(User.objects.filter(is_active=True).exclude(role=Role.PORTAL), rep_id, field="assign_to",
                      label="colleague")
        lead = services.lead_record(actor=user, assign_to=rep, **data)
    if refusal:
        show_on_form(form, refusal.error)
        return _lead_form_page(request, form, preset, status=refusal.status)
    if lead.assigned_to_id:
        messages.success(request, _("The lead %(name)s is recorded and assigned to %(rep)s.") % {
            "name": lead.customer.name, "rep": lead.assigned_to})
    else:
        messages.success(request, _("The lead %(name)s is recorded.") % {"name": lead.customer.name})
    if lead.campaign_id:
        return redirect(_back(lead.campaign_id, "leads"))
    return redirect("web:leads")


@staff_page
@require_POST
def lead_assign(request, lead_id: int):
    user = request.user
    lead = selectors.lead_get_visible(user=user, lead_id=lead_id)

    def act() -> str:
        rep = resolve(User.objects.filter(is_active=True).exclude(role=Role.PORTAL),
                      _posted_id(request, "assign_to", "assign_to_q"), field="assign_to", label="colleague")
        if rep is None:
            raise InvalidInput("Choose a colleague.", fields={"assign_to": ["Choose a colleague."]})
        services.lead_assign(actor=user, lead=lead, rep=rep)
        return _("The lead %(name)s is assigned to %(rep)s.") % {"name": lead.customer.name, "rep": rep}

    report_outcome(request, act)
    return redirect(_next(request))


@staff_page
@require_POST
def lead_status(request, lead_id: int):
    user = request.user
    lead = selectors.lead_get_visible(user=user, lead_id=lead_id)
    status = request.POST.get("status", "")

    def act() -> str:
        services.lead_status_set(actor=user, lead=lead, status=status)
        return _("The lead %(name)s is marked “%(status)s”.") % {"name": lead.customer.name,
                                                                 "status": LeadStatus(status).label}

    report_outcome(request, act)
    return redirect(_next(request))


@staff_page
@require_GET
def my_leads(request):
    """The leads assigned to me that I still work on: loaded by htmx into the home page (so the home page's
    own queries stay as they were), or opened as a page without JavaScript."""
    context = {"section": "home", "leads": selectors.leads_for_rep(user=request.user)}
    if request.headers.get("HX-Request"):
        return render(request, "web/partials/my_leads.html", context)
    return render(request, "web/campaign_my_leads.html", context)
