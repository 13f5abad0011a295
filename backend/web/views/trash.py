"""The trash and legal holds (backend/documents/trash.py and holds.py write and read).

    GET      /trash/                          the documents in the trash the user may restore, with when
                                              each is deleted for good
    POST     /trash/<id>/restore/             restore one
    GET/POST /trash/<id>/purge/               delete one for good now (asked first)
    GET/POST /legal-holds/                    the holds and a form to place one (compliance only)
    POST     /legal-holds/<id>/lift/          lift a hold, with a reason (compliance only)
    POST     /legal-holds/<id>/documents/     add a document to a matter, or remove one (compliance only)

Everyone else gets a 404, as for anything they may not see.
"""

from __future__ import annotations

from functools import wraps

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from backend.access.policy import Action, visible
from backend.access.policy.trash import may_manage_legal_holds
from backend.crm.models import Customer
from backend.documents import holds, trash
from backend.documents.models import Document, LegalHoldScope
from backend.ui.errors import Refusal, report_outcome, show_on_form
from backend.web.pages import int_or_none, staff_page


# --- the trash ---------------------------------------------------------------------------------------


@staff_page
@require_GET
def trash_list(request):
    documents = trash.trash_list_for(user=request.user)
    return render(request, "web/trash.html", {
        "section": "trash", "documents": documents, "retention_days": trash.trash_retention_days(),
    })


@staff_page
@require_POST
def trash_restore(request, document_id: int):
    document = trash.trashed_document_get(actor=request.user, document_id=document_id)

    def restore() -> str:
        trash.document_restore(actor=request.user, document=document)
        return _("The document “%(title)s” was restored.") % {"title": document.title}

    if report_outcome(request, restore):
        return redirect("web:trash")
    return redirect("web:document", document_id=document.pk)


@staff_page
@require_http_methods(["GET", "POST"])
def trash_purge(request, document_id: int):
    """GET: what deleting for good removes, and that it cannot be undone. POST: purge."""
    document = trash.trashed_document_get(actor=request.user, document_id=document_id)
    if request.method == "POST":
        title = document.title

        def purge() -> str:
            trash.document_purge(actor=request.user, document=document, reason="purged_from_trash")
            return _("The document “%(title)s” was deleted for good.") % {"title": title}

        report_outcome(request, purge)
        return redirect("web:trash")
    return render(request, "web/trash_purge.html", {
        "section": "trash", "document": document, "holds": holds.holds_on_document(document),
    })


# --- legal holds -------------------------------------------------------------------------------------


def legal_holds_page(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not may_manage_legal_holds(request.user):
            raise Http404()
        return view(request, *args, **kwargs)

    return staff_page(wrapper)


class LegalHoldForm(forms.Form):
    scope = forms.ChoiceField(label=gettext_lazy("What it holds"), choices=LegalHoldScope.choices,
                              widget=forms.RadioSelect, initial=LegalHoldScope.MATTER)
    name = forms.CharField(label=gettext_lazy("Name (the matter or case)"), max_length=holds.MAX_NAME_CHARS)
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=holds.MAX_REASON_CHARS,
                             widget=forms.Textarea(attrs={"rows": 3}))
    document = forms.IntegerField(required=False, widget=forms.HiddenInput)
    customer = forms.IntegerField(required=False, widget=forms.HiddenInput)


class LiftForm(forms.Form):
    lift_reason = forms.CharField(label=gettext_lazy("Why lift it"), max_length=holds.MAX_REASON_CHARS)


def _document_or_none(document_id) -> Document | None:
    pk = int_or_none(document_id)
    return Document.objects.filter(pk=pk).first() if pk else None


@legal_holds_page
@require_http_methods(["GET", "POST"])
def legal_holds(request):
    prefilled = _document_or_none(request.GET.get("document"))
    # "Place a legal hold" on a customer's page: that customer, chosen (if the user may see it)
    customer_id = int_or_none(request.GET.get("customer"))
    prefilled_customer = (visible(request.user, Customer.objects.filter(pk=customer_id), Action.VIEW).first()
                          if customer_id and not prefilled else None)
    scope = (LegalHoldScope.DOCUMENT if prefilled else
             LegalHoldScope.CUSTOMER if prefilled_customer else LegalHoldScope.MATTER)
    form = LegalHoldForm(request.POST or None, initial={
        "scope": scope,
        "document": prefilled.pk if prefilled else None,
        "customer": prefilled_customer.pk if prefilled_customer else None,
    })
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        document = _document_or_none(data.get("document"))
        customer = Customer.objects.filter(pk=data["customer"]).first() if data.get("customer") else None
        with Refusal() as refusal:
            hold = holds.legal_hold_place(actor=request.user, scope=data["scope"], name=data["name"],
                                          reason=data["reason"], documents=[document] if document else [],
                                          customer=customer)
        if not refusal:
            messages.success(request, _("The legal hold “%(name)s” is in force.") % {"name": hold.name})
            return redirect("web:legal_holds")
        show_on_form(form, refusal.error, worded={"documents": _("Choose a document."),
                                                  "customer": _("Choose a customer.")})
    return render(request, "web/legal_holds.html", {
        "section": "legal_holds", "form": form, "prefilled": prefilled, "prefilled_customer": prefilled_customer,
        "active": holds.legal_holds_list(actor=request.user, active=True),
        "lifted": holds.legal_holds_list(actor=request.user, active=False)[:50],
        "lift_form": LiftForm(),
    }, status=400 if form.errors else 200)


@legal_holds_page
@require_POST
def legal_hold_lift(request, hold_id: int):
    hold = holds.legal_hold_get(actor=request.user, hold_id=hold_id)
    form = LiftForm(request.POST)
    reason = form.data.get("lift_reason", "")

    def lift() -> str:
        holds.legal_hold_lift(actor=request.user, hold=hold, reason=reason)
        return _("The legal hold “%(name)s” was lifted.") % {"name": hold.name}

    report_outcome(request, lift)
    return redirect("web:legal_holds")


@legal_holds_page
@require_POST
def legal_hold_documents(request, hold_id: int):
    hold = holds.legal_hold_get(actor=request.user, hold_id=hold_id)
    add = _document_or_none(request.POST.get("add"))
    remove = _document_or_none(request.POST.get("remove"))

    def change() -> str:
        holds.legal_hold_documents_change(actor=request.user, hold=hold, add=[add] if add else [],
                                          remove=[remove] if remove else [])
        return _("The legal hold “%(name)s” was changed.") % {"name": hold.name}

    report_outcome(request, change)
    return redirect("web:legal_holds")
