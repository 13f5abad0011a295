"""The product catalogue: a page every member of staff may read (search by code or either name, active or
retired), and a form to add or change a product for those the policy lets edit the catalogue
(`may_edit_product_catalogue`); everyone else gets a 404 on the form, as for anything they may not change.
Writes go through backend.crm.services.products (checked and audited there)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from backend.access.policy import Action
from backend.access.policy.crm import may_edit_product_catalogue
from backend.common.errors import NotFound
from backend.crm.models import MONEY, Currency, Product
from backend.crm.selectors import products as selectors
from backend.crm.services import products as services
from backend.ui.errors import Refusal, show_on_form
from backend.web.pages import staff_page

PRODUCTS_SHOWN = 200
STATES = (
    (selectors.ACTIVE, gettext_lazy("Active products")),
    (selectors.RETIRED, gettext_lazy("Retired products")),
    (selectors.ALL, gettext_lazy("All products")),
)


class ProductForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("Product code"), max_length=services.CODE_LENGTH)
    name = forms.CharField(label=gettext_lazy("Chinese name"), max_length=services.NAME_LENGTH,
                           help_text=gettext_lazy("The name on Chinese quotes and pages."))
    name_en = forms.CharField(label=gettext_lazy("English name"), max_length=services.NAME_LENGTH, required=False,
                              help_text=gettext_lazy("The name on English quotes and pages; empty: the Chinese name."))
    list_price = forms.DecimalField(label=gettext_lazy("List price"), min_value=0, **MONEY)
    floor_price = forms.DecimalField(
        label=gettext_lazy("Floor price"), min_value=0, required=False, **MONEY,
        help_text=gettext_lazy("The lowest unit price a quote may offer without a warning; empty: no floor."))
    currency = forms.ChoiceField(label=gettext_lazy("Currency"), choices=Currency.choices)
    description = forms.CharField(label=gettext_lazy("Description"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    active = forms.BooleanField(label=gettext_lazy("Active (offered on new quotes)"), required=False, initial=True)

    def clean_code(self) -> str:
        return self.cleaned_data["code"].strip()


def _form_values(product: Product) -> dict:
    return {field: getattr(product, field) for field in services.EDITABLE}


@staff_page
@require_GET
def product_list(request):
    user = request.user
    query = request.GET.get("q", "").strip()[:100]
    state = request.GET.get("state", selectors.ACTIVE)
    if state not in dict(STATES):
        state = selectors.ACTIVE
    products = list(selectors.product_list_visible(user=user, q=query, state=state)[:PRODUCTS_SHOWN + 1])
    language = get_language()
    for product in products:  # the name in the page's language first, the other one under it
        product.shown_name = product.name_in(language)
        product.other_name = product.name_en if product.shown_name == product.name else product.name
    return render(request, "web/products.html", {
        "section": "products",
        "products": products[:PRODUCTS_SHOWN],
        "more": len(products) > PRODUCTS_SHOWN,
        "shown": PRODUCTS_SHOWN,
        "query": query,
        "state": state,
        "states": STATES,
        "may_edit": may_edit_product_catalogue(user),
    })


def _form_page(request, form: ProductForm, product: Product | None, status: int = 200):
    return render(request, "web/product_form.html", {"section": "products", "form": form, "product": product},
                  status=status)


@staff_page
@require_http_methods(["GET", "POST"])
def product_new(request):
    if not may_edit_product_catalogue(request.user):
        raise NotFound()
    if request.method == "GET":
        return _form_page(request, ProductForm(initial={"currency": Currency.CNY, "active": True}), None)
    form = ProductForm(request.POST)
    if not form.is_valid():
        return _form_page(request, form, None, status=400)
    with Refusal() as refusal:
        product = services.product_create(actor=request.user, **form.cleaned_data)
    if refusal:
        show_on_form(form, refusal.error)
        return _form_page(request, form, None, status=refusal.status)
    messages.success(request, _("%(code)s is in the catalogue.") % {"code": product.code})
    return redirect(f"{reverse('web:products')}?{urlencode({'q': product.code})}")


@staff_page
@require_http_methods(["GET", "POST"])
def product_edit(request, product_id: int):
    product = selectors.product_get_visible(user=request.user, product_id=product_id, action=Action.CHANGE)
    if request.method == "GET":
        return _form_page(request, ProductForm(initial=_form_values(product)), product)
    form = ProductForm(request.POST)
    if not form.is_valid():
        return _form_page(request, form, product, status=400)
    with Refusal() as refusal:
        product = services.product_update(actor=request.user, product=product, **form.cleaned_data)
    if refusal:
        show_on_form(form, refusal.error)
        return _form_page(request, form, product, status=refusal.status)
    messages.success(request, _("%(code)s is saved.") % {"code": product.code})
    return redirect(f"{reverse('web:products')}?{urlencode({'q': product.code, 'state': selectors.ALL})}")

