"""The document page's workspace: edit the details, link and unlink CRM records, grant and revoke access,
hand the document to another owner. Every write is a service call (policy check and audit inside it);
a refusal is shown translated on the page, and a document the user may not change is a 404.

The people, groups and records are chosen with the pickers (`/pick/<kind>/`, web/static/web/picker.js):
the hidden field carries the id; without JavaScript a number typed in the text box (`<name>_q`) does.
"""

from __future__ import annotations

import re

from django import forms
from django.contrib import messages
from django.contrib.auth.models import Group
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from backend.access import services as access_services
from backend.access.policy import LEVELS, Action, can, is_active_staff
from backend.accounts.models import User
from backend.common.errors import InvalidInput, NotFound
from backend.crm.selectors.customers import customer_get_visible
from backend.crm.selectors.links import links_for_document_visible
from backend.crm.selectors.opportunities import opportunity_get_visible
from backend.crm.selectors.orders import order_get_visible
from backend.crm.selectors.quotes import quote_get_visible
from backend.crm.selectors.service import service_record_get_visible
from backend.crm.services.links import document_link_create, document_link_delete
from backend.documents import services
from backend.documents.models import Classification, Document, DocumentKind
from backend.documents.ownership import document_owner_transfer
from backend.ui.errors import Refusal, report_outcome, show_on_form
from backend.web.pages import staff_page

TAG_SEPARATORS = re.compile(r"[,，、;；\n]+")

# What a document links to: the picker kind, its label, and the selector that finds it for the user.
LINK_KINDS = {
    "customer": (gettext_lazy("Customer"), lambda user, pk: customer_get_visible(user=user, customer_id=pk)),
    "opportunity": (gettext_lazy("Opportunity"), lambda user, pk: opportunity_get_visible(user=user, opportunity_id=pk)),
    "quote": (gettext_lazy("Quote"), lambda user, pk: quote_get_visible(user=user, quote_id=pk)),
    "order": (gettext_lazy("Order"), lambda user, pk: order_get_visible(user=user, order_id=pk)),
    "service_record": (gettext_lazy("Service record"),
                       lambda user, pk: service_record_get_visible(user=user, record_id=pk)),
}
LEVEL_LABELS = {"view": gettext_lazy("View"), "read": gettext_lazy("Read on screen (watermarked)"),
                "download": gettext_lazy("Download"),
                "change": gettext_lazy("Change"), "manage": gettext_lazy("Manage")}


def picked_id(data, name: str) -> int | None:
    """The id a picker posted: its hidden field, else a number typed in its text box (`<name>_q`)."""
    for value in (data.get(name, ""), data.get(f"{name}_q", "")):
        text = str(value).strip().lstrip("#")
        if text.isdigit() and 0 < len(text) < 10:
            return int(text)
    return None


# --- the details form ----------------------------------------------------------------------------


class DocumentEditForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=300,
                            error_messages={"required": gettext_lazy("A title is required."),
                                            "max_length": gettext_lazy("Keep the title under 300 characters.")})
    description = forms.CharField(label=gettext_lazy("Description"), required=False, max_length=20_000,
                                  widget=forms.Textarea(attrs={"rows": 4}))
    tags = forms.CharField(label=gettext_lazy("Tags"), required=False, max_length=4000,
                           help_text=gettext_lazy("Separate tags with commas."))
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=DocumentKind.choices)
    classification = forms.ChoiceField(label=gettext_lazy("Classification"), choices=Classification.choices)

    def __init__(self, *args, document, can_manage: bool, **kwargs):
        kwargs.setdefault("initial", {
            "title": document.title, "description": document.description, "kind": document.kind,
            "classification": document.classification,
            # The tags' initial value is the page's own `tags` (already read): no second query.
        })
        super().__init__(*args, **kwargs)
        self.document = document
        self.can_manage = can_manage
        for name, field in self.fields.items():
            field.widget.attrs.setdefault("id", f"edit-{name}")
        if not can_manage:
            field = self.fields["classification"]
            field.disabled = True
            field.help_text = gettext_lazy("Changing the classification needs manage access.")

    def clean_tags(self) -> list[str]:
        names = [name.strip() for name in TAG_SEPARATORS.split(self.cleaned_data.get("tags") or "")]
        return sorted({name for name in names if name})

    def add_service_errors(self, exc: Exception) -> None:
        """A refusal's field messages next to their fields; the rest above the form."""
        show_on_form(self, exc)


# --- what the document page shows of this module ------------------------------------------------


def workspace_context(request, document, rights, links) -> dict:
    """The document page's edit form, link form and access panel state (merged into its context)."""
    context = {
        "open_panel": request.GET.get("panel", ""),
        "link_kinds": [(kind, label) for kind, (label, _find) in LINK_KINDS.items()],
        "access_levels": [(level, LEVEL_LABELS[level]) for level in LEVELS],
    }
    if rights.change:
        context["edit_form"] = DocumentEditForm(document=document, can_manage=rights.manage)
    return context


def _back(document, panel: str = "", anchor: str = ""):
    url = reverse("web:document", args=[document.pk])
    if panel:
        url += f"?panel={panel}"
    return redirect(url + (f"#{anchor}" if anchor else ""))


def _document_for(request, document_id: int, action: Action):
    return services.document_get_for_action(actor=request.user, document_id=document_id, action=action)


# --- edit ----------------------------------------------------------------------------------------


@staff_page
@require_POST
def document_edit(request, document_id: int):
    """Save the details form. Invalid input: the page again, the form open, each message by its field."""
    document = _document_for(request, document_id, Action.CHANGE)
    can_manage = can(request.user, Action.MANAGE, document)
    form = DocumentEditForm(request.POST, document=document, can_manage=can_manage)
    if form.is_valid():
        data = form.cleaned_data
        with Refusal() as refusal:
            services.document_update(
                actor=request.user, document=document, title=data["title"], description=data["description"],
                tags=data["tags"], kind=data["kind"],
                classification=data["classification"] if can_manage else None)
        if not refusal:
            messages.success(request, _("The details are saved."))
            return _back(document)
        form.add_service_errors(refusal.error)
    from backend.web.views.documents import _document_context

    document.refresh_from_db()
    context = _document_context(request, document)
    context.update({"edit_form": form, "open_panel": "edit"})
    return render(request, "web/document.html", context, status=400)


# --- links ---------------------------------------------------------------------------------------


@staff_page
@require_POST
def link_add(request, document_id: int):
    document = _document_for(request, document_id, Action.CHANGE)
    kind = request.POST.get("kind", "")
    target_id = picked_id(request.POST, "target")

    def link() -> str:
        if kind not in LINK_KINDS:
            raise InvalidInput(_("Choose what to link to."))
        label, find = LINK_KINDS[kind]
        if target_id is None:
            raise InvalidInput(_("Choose a record from the list."))
        try:
            target = find(request.user, target_id)
        except NotFound:
            raise InvalidInput(_("Choose a record from the list.")) from None
        try:
            document_link_create(actor=request.user, document=document, target=target)
        except NotFound:
            raise InvalidInput(_("You may not change %(record)s, so you cannot link to it.")
                               % {"record": target}) from None
        return _("Linked to %(kind)s %(record)s.") % {"kind": label, "record": target}

    report_outcome(request, link)
    return _back(document, anchor="links")


@staff_page
@require_POST
def link_remove(request, document_id: int, link_id: int):
    document = _document_for(request, document_id, Action.CHANGE)
    link = links_for_document_visible(user=request.user, document=document).filter(pk=link_id).first()
    if link is None:
        raise NotFound()

    def unlink() -> str:
        target = link.target
        try:
            document_link_delete(actor=request.user, link=link)
        except NotFound:
            raise InvalidInput(_("You may not change %(record)s, so you cannot unlink it.")
                               % {"record": target}) from None
        return _("The link to %(record)s is removed.") % {"record": target}

    report_outcome(request, unlink)
    return _back(document, anchor="links")


# --- access: the panel, grants, revocations, ownership -------------------------------------------


@staff_page
@require_GET
def access_panel(request, document_id: int):
    """Who can access the document and why (the policy's explanation, an audited read), and for whoever
    may manage it the grant, revoke and hand-over forms. Loaded when the panel is opened."""
    rules = access_services.document_access_list(actor=request.user, document_id=document_id)
    # Whoever may review access may read this panel (compliance too, without seeing the document itself).
    document = Document.objects.select_related("owner").get(pk=document_id)
    can_manage = can(request.user, Action.MANAGE, document)
    grants = [rule for rule in rules if rule.via == "grant"]
    return render(request, "web/partials/document_access_panel.html", {
        "document": document, "rules": rules, "grants": grants, "can_manage": can_manage,
        "access_levels": [(level, LEVEL_LABELS[level]) for level in LEVELS],
    })


def _principal(request):
    """The user or group the form names (picker), or an InvalidInput saying to choose one."""
    kind = request.POST.get("principal_type", "user")
    pk = picked_id(request.POST, "principal")
    if kind == "group":
        group = Group.objects.filter(pk=pk).first() if pk else None
        if group is None:
            raise InvalidInput(_("Choose a group from the list."))
        return None, group
    user = User.objects.filter(pk=pk).first() if pk else None
    if user is None or not is_active_staff(user):
        raise InvalidInput(_("Choose a colleague from the list."))
    return user, None


def _principal_name(user, group) -> str:
    if user is not None:
        return str(user)
    department = getattr(group, "department", None)
    return department.name if department is not None else group.name


@staff_page
@require_POST
def grant(request, document_id: int):
    document = _document_for(request, document_id, Action.MANAGE)
    level = request.POST.get("level", "")

    def give() -> str:
        if level not in LEVELS:
            raise InvalidInput(_("Choose an access level."))
        user, group = _principal(request)
        access_services.document_permission_grant(actor=request.user, document=document, level=level,
                                                  user=user, group=group)
        return _("%(who)s now has %(level)s access.") % {"who": _principal_name(user, group),
                                                        "level": str(LEVEL_LABELS[level]).lower()}

    report_outcome(request, give)
    return _back(document, panel="access", anchor="access")


@staff_page
@require_POST
def revoke(request, document_id: int):
    document = _document_for(request, document_id, Action.MANAGE)

    def take() -> str:
        user, group = _principal(request)
        removed = access_services.document_permission_revoke(actor=request.user, document=document,
                                                             user=user, group=group)
        name = _principal_name(user, group)
        if not removed:
            return _("%(who)s had no grant on this document.") % {"who": name}
        return _("The grant to %(who)s is revoked.") % {"who": name}

    report_outcome(request, take)
    return _back(document, panel="access", anchor="access")


@staff_page
@require_POST
def transfer_owner(request, document_id: int):
    document = _document_for(request, document_id, Action.MANAGE)

    def hand_over() -> str:
        owner_id = picked_id(request.POST, "owner")
        new_owner = User.objects.filter(pk=owner_id).first() if owner_id else None
        if new_owner is None or not is_active_staff(new_owner):
            raise InvalidInput(_("Choose a colleague from the list."))
        if request.POST.get("confirm") != "yes":
            raise InvalidInput(_("Tick the box to confirm the hand-over."))
        document_owner_transfer(actor=request.user, document=document, new_owner=new_owner)
        return _("%(who)s now owns this document.") % {"who": new_owner}

    report_outcome(request, hand_over)
    document.refresh_from_db()
    if not can(request.user, Action.VIEW, document):
        # Handed over and no other rule lets the previous owner in: their home page, not a 404.
        return redirect("web:home")
    return _back(document, panel="access", anchor="access")
