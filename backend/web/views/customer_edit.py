"""Create and edit customers and their contacts in the browser.

    GET/POST customers/new/                            a new customer (owned by whoever creates it)
    GET/POST customers/<id>/edit/                      its name, code, region, industry, tier and status
    GET      customers/duplicates/?name=&region=&code=&customer=   the duplicate guard, as an HTML fragment
    GET/POST customers/<id>/contacts/new/              a new contact with their preferences
    GET/POST customers/<id>/contacts/<contact>/edit/   a contact's details and preferences

Every write is a service call (policy check and audit inside it). A customer the user may not change
is a 404, as a missing one. The duplicate guard (web/static/web/customer_form.js asks it as the name is
typed; the form shows it again when saving was refused) names an existing customer and its owner when
the user may see it; when not, it says only that one exists and whom to ask, never its details.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from backend.access.policy import Action
from backend.access.policy.crm import may_create_customers
from backend.common.errors import Conflict, NotFound
from backend.crm.models import ContactChannel, CustomerStatus, CustomerTier
from backend.crm.selectors.customers import contact_get_visible, customer_field_values, customer_get_visible
from backend.crm.services import customers as services
from backend.ui.errors import Refusal, show_on_form
from backend.web.pages import int_or_none, staff_page


# --- customers -----------------------------------------------------------------------------------------


class CustomerForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200,
                           error_messages={"required": gettext_lazy("A name is required.")},
                           help_text=gettext_lazy("The full registered name, e.g. 上海精工机械有限公司."))
    region = forms.CharField(label=gettext_lazy("Region"), max_length=100, required=False,
                             help_text=gettext_lazy("The same name may exist once per region."))
    code = forms.CharField(label=gettext_lazy("Customer code"), max_length=40, required=False)
    industry = forms.CharField(label=gettext_lazy("Industry"), max_length=100, required=False)
    tier = forms.ChoiceField(label=gettext_lazy("Tier"), choices=CustomerTier.choices, initial=CustomerTier.NORMAL)
    status = forms.ChoiceField(label=gettext_lazy("Status"), choices=CustomerStatus.choices,
                               initial=CustomerStatus.PROSPECT)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.widget.attrs["id"] = f"customer-{name}"
        for name in ("name", "region", "code"):  # what the duplicate guard asks about as they change
            self.fields[name].widget.attrs["data-duplicate-field"] = name
        self.fields["name"].widget.attrs["autocomplete"] = "off"
        self.fields["region"].widget.attrs["list"] = "customer-regions"
        self.fields["industry"].widget.attrs["list"] = "customer-industries"


def _customer_page(request, form: CustomerForm, *, customer=None, status: int = 200):
    report = None
    if form.is_bound:  # a refused or invalid save shows the guard again
        report = services.customer_duplicate_check(
            actor=request.user, name=form.data.get("name", "")[:200], region=form.data.get("region", "")[:100],
            code=form.data.get("code", "")[:40], exclude_pk=customer.pk if customer else None)
    return render(request, "web/customer_form.html", {
        "section": "customers",
        "form": form,
        "customer": customer,
        "report": report,
        "regions": customer_field_values(user=request.user, field_name="region"),
        "industries": customer_field_values(user=request.user, field_name="industry"),
    }, status=status)


def _customer_fields(form: CustomerForm) -> dict:
    data = form.cleaned_data
    # a blank code is "no code" (the service stores it as none), also when it clears one
    return {"name": data["name"], "region": data["region"], "code": data["code"],
            "industry": data["industry"], "tier": data["tier"], "status": data["status"]}


def _duplicate_refused(refusal: Refusal) -> bool:
    return isinstance(refusal.error, Conflict) and refusal.error.extra.get("reason") == "duplicate_customer"


@staff_page
@require_http_methods(["GET", "POST"])
def customer_new(request):
    """A new customer. A duplicate is refused with the guard's own words (never the details of a customer
    the user may not see)."""
    if not may_create_customers(request.user):
        raise NotFound()
    if request.method == "GET":
        return _customer_page(request, CustomerForm(initial={"name": request.GET.get("name", "")[:200]}))
    form = CustomerForm(request.POST)
    if not form.is_valid():
        return _customer_page(request, form, status=400)
    with Refusal() as refusal:
        customer = services.customer_create(actor=request.user, **_customer_fields(form))
    if refusal:
        if _duplicate_refused(refusal):
            form.add_error(None, _("Not saved: this customer already exists (see below)."))
        else:
            show_on_form(form, refusal.error)
        return _customer_page(request, form, status=refusal.status)
    messages.success(request, _("“%(name)s” is created; you are its owner.") % {"name": customer.name})
    return redirect("web:customer", customer.pk)


@staff_page
@require_http_methods(["GET", "POST"])
def customer_edit(request, customer_id: int):
    """A customer's details: for whoever may change it (its owner, its account team, administrators)."""
    customer = customer_get_visible(user=request.user, customer_id=customer_id, action=Action.CHANGE)
    if request.method == "GET":
        initial = {name: getattr(customer, name) or "" for name in CustomerForm.base_fields}
        return _customer_page(request, CustomerForm(initial=initial), customer=customer)
    form = CustomerForm(request.POST)
    if not form.is_valid():
        return _customer_page(request, form, customer=customer, status=400)
    with Refusal() as refusal:
        customer = services.customer_update(actor=request.user, customer=customer, **_customer_fields(form))
    if refusal:
        if _duplicate_refused(refusal):
            form.add_error(None, _("Not saved: another customer already has this name in this region, or this "
                                   "code (see below)."))
        else:
            show_on_form(form, refusal.error)
        return _customer_page(request, form, customer=customer, status=refusal.status)
    messages.success(request, _("The details of “%(name)s” are saved.") % {"name": customer.name})
    return redirect("web:customer", customer.pk)


@staff_page
@require_GET
def customer_duplicates(request):
    """The duplicate guard for the name, region and code typed so far (customer=<id>: the one being edited,
    which is not its own duplicate)."""
    params = request.GET
    report = services.customer_duplicate_check(
        actor=request.user, name=params.get("name", "")[:200], region=params.get("region", "")[:100],
        code=params.get("code", "")[:40], exclude_pk=int_or_none(params.get("customer")))
    response = render(request, "web/partials/customer_duplicates.html",
                      {"report": report, "typed_name": params.get("name", "")[:200].strip()})
    response["Cache-Control"] = "no-store"
    return response


# --- contacts ------------------------------------------------------------------------------------------


class ContactForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=120,
                           error_messages={"required": gettext_lazy("A name is required.")})
    title = forms.CharField(label=gettext_lazy("Job title"), max_length=120, required=False)
    email = forms.EmailField(label=gettext_lazy("E-mail"), required=False,
                             error_messages={"invalid": gettext_lazy("Enter a valid e-mail address.")},
                             help_text=gettext_lazy("Changing it does not change their portal sign-in until "
                                                    "you send a new invitation."))
    phone = forms.CharField(label=gettext_lazy("Phone"), max_length=40, required=False)
    is_primary = forms.BooleanField(label=gettext_lazy("Primary contact"), required=False)
    preferred_channel = forms.ChoiceField(
        label=gettext_lazy("Preferred channel"), required=False,
        choices=[("", gettext_lazy("No preference")), *ContactChannel.choices])
    marketing_opt_out = forms.BooleanField(
        label=gettext_lazy("No marketing"), required=False,
        help_text=gettext_lazy("They asked not to receive marketing: no newsletters, campaigns or event "
                               "invitations. Quotes, orders and service still reach them."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.widget.attrs["id"] = f"contact-{name}"
        self.fields["email"].widget.attrs["autocomplete"] = "off"


def _contact_page(request, form: ContactForm, *, customer, contact=None, status: int = 200):
    return render(request, "web/contact_form.html", {
        "section": "customers", "form": form, "customer": customer, "contact": contact,
    }, status=status)


def _contact_fields(form: ContactForm) -> dict:
    return {name: form.cleaned_data[name] for name in ContactForm.base_fields}


def _back_to_contacts(customer_id: int):
    return redirect(reverse("web:customer", args=[customer_id]) + "#contacts")


@staff_page
@require_http_methods(["GET", "POST"])
def contact_new(request, customer_id: int):
    customer = customer_get_visible(user=request.user, customer_id=customer_id, action=Action.CHANGE)
    if request.method == "GET":
        return _contact_page(request, ContactForm(), customer=customer)
    form = ContactForm(request.POST)
    if not form.is_valid():
        return _contact_page(request, form, customer=customer, status=400)
    with Refusal() as refusal:
        contact = services.contact_create(actor=request.user, customer=customer, **_contact_fields(form))
    if refusal:
        show_on_form(form, refusal.error)
        return _contact_page(request, form, customer=customer, status=refusal.status)
    messages.success(request, _("%(name)s is added to the contacts.") % {"name": contact.name})
    return _back_to_contacts(customer.pk)


@staff_page
@require_http_methods(["GET", "POST"])
def contact_edit(request, customer_id: int, contact_id: int):
    contact = contact_get_visible(user=request.user, customer_id=customer_id, contact_id=contact_id,
                                  action=Action.CHANGE)
    if request.method == "GET":
        initial = {name: getattr(contact, name) for name in ContactForm.base_fields}
        return _contact_page(request, ContactForm(initial=initial), customer=contact.customer, contact=contact)
    form = ContactForm(request.POST)
    if not form.is_valid():
        return _contact_page(request, form, customer=contact.customer, contact=contact, status=400)
    with Refusal() as refusal:
        contact = services.contact_update(actor=request.user, contact=contact, **_contact_fields(form))
    if refusal:
        show_on_form(form, refusal.error)
        return _contact_page(request, form, customer=contact.customer, contact=contact, status=refusal.status)
    messages.success(request, _("The details of %(name)s are saved.") % {"name": contact.name})
    return _back_to_contacts(contact.customer_id)
