"""Versions on the document page: approve (with its confirmation), restore, delete, and compare two versions.

Each action is asked first: a GET shows what will happen (what becomes superseded, what a restore
becomes, what a deletion removes) and the form; its POST runs the service, whose refusal is shown
translated on the document page. Access is the services' (a GET needs the same right as its POST, so
no grant means a 404 before anything is shown); the four-eyes rule comes from the policy.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from backend.access.policy import Action, four_eyes_applies
from backend.common.errors import FourEyesRequired, InvalidInput, VersionLocked
from backend.documents import selectors, services
from backend.documents.models import VersionStatus
from backend.documents.text_compare import compare_texts
from backend.sharing import shares as sharing
from backend.ui.errors import lock_message, message_for, report_outcome
from backend.web.forms import ApproveForm
from backend.web.pages import int_or_none, staff_page


def versions_context(user, document, versions, *, can_change: bool) -> dict:
    """What the version list shows besides the rows: which version may be approved by `user`, or why
    none is offered (while someone else holds the check-out, the button shows disabled, naming them and
    since when), and the two versions the compare form starts with."""
    newest = versions[0] if versions else None
    context = {"approvable_number": None, "approval_notice": "", "approve_locked": None,
               "compare_old": None, "compare_new": None}
    if newest is not None and can_change and newest.status == VersionStatus.DRAFT:
        newest.document = document
        refusal = services.approval_refusal(actor=user, version=newest)
        if refusal is None:
            context["approvable_number"] = newest.number
        elif isinstance(refusal, FourEyesRequired):
            context["approval_notice"] = message_for(refusal)
        elif isinstance(refusal, VersionLocked):
            context["approve_locked"] = {"number": newest.number, "holder": document.checked_out_by,
                                         "since": document.checked_out_at}
    if len(versions) >= 2:
        context["compare_old"], context["compare_new"] = versions[1].number, versions[0].number
    context["four_eyes"] = four_eyes_applies(document)
    return context


def _back(document_id: int):
    return redirect("web:document", document_id=document_id)


def _confirm(request, document, template_context: dict, status: int = 200):
    return render(request, "web/version_confirm.html",
                  {"section": "search", "document": document, **template_context}, status=status)


def _holder_context(document) -> dict:
    holder = document.lock_holder()
    if holder is None:
        return {"lock_text": ""}
    return {"lock_text": lock_message(str(holder), document.checked_out_at.isoformat())}


# --- approve ----------------------------------------------------------------------------------


@staff_page
@require_http_methods(["GET", "POST"])
def version_approve(request, document_id: int, number: int):
    """GET: what approving changes (this version becomes valid; the current valid one is superseded), with
    the valid-until date. POST: approve, through the service (newest draft only, four-eyes)."""
    document = services.document_get_for_action(actor=request.user, document_id=document_id, action=Action.CHANGE)
    version = services.version_get(document=document, number=number)
    if request.method == "POST":
        form = ApproveForm(request.POST)

        def approve() -> str:
            if not form.is_valid():
                raise InvalidInput(" ".join(form.errors.get("valid_until", [])) or _("The date is invalid."))
            services.document_version_approve(actor=request.user, version=version,
                                              valid_until=form.cleaned_data.get("valid_until"))
            return _("Version %(number)s is approved and is now the valid version.") % {"number": number}

        report_outcome(request, approve)
        return _back(document.pk)
    refusal = services.approval_refusal(actor=request.user, version=version)
    current = document.valid_version if document.valid_version_id else None
    superseded = current if current is not None and current.status == VersionStatus.APPROVED else None
    if superseded is not None:
        superseded = services.version_get(document=document, number=superseded.number)
    return _confirm(request, document, {
        "action": "approve",
        "version": version,
        "superseded": superseded,
        "refusal": message_for(refusal) if refusal is not None else "",
        "form": ApproveForm(),
        "four_eyes": four_eyes_applies(document),
        # The refusal already names whoever holds the check-out: not twice.
        **({} if isinstance(refusal, VersionLocked) else _holder_context(document)),
    }, status=200 if refusal is None else refusal.status_code)


# --- restore ----------------------------------------------------------------------------------


@staff_page
@require_http_methods(["GET", "POST"])
def version_restore(request, document_id: int, number: int):
    """GET: which version is restored and what it becomes (a new draft, the newest). POST: restore."""
    document = services.document_get_for_action(actor=request.user, document_id=document_id, action=Action.CHANGE)
    version = services.version_get(document=document, number=number)
    if request.method == "POST":
        def restore() -> str:
            new = services.document_version_restore(actor=request.user, version=version)
            return _("Version %(old)s was restored as new draft version %(new)s.") % {"old": number, "new": new.number}

        report_outcome(request, restore)
        return _back(document.pk)
    return _confirm(request, document, {
        "action": "restore",
        "version": version,
        "new_number": document.version_count + 1,
        "valid": document.valid_version if document.valid_version_id else None,
        **_holder_context(document),
    })


# --- delete -----------------------------------------------------------------------------------


@staff_page
@require_http_methods(["GET", "POST"])
def document_delete(request, document_id: int):
    """GET: what deleting does (the document and its shares go to the trash, restorable for
    TRASH_RETENTION_DAYS), or why a legal hold refuses it. POST: move it to the trash."""
    from backend.documents import holds, trash

    document = services.document_get_for_action(actor=request.user, document_id=document_id, action=Action.MANAGE)
    if request.method == "POST":
        title = document.title

        def delete() -> str:
            trash.document_trash(actor=request.user, document=document)
            return _("The document “%(title)s” was moved to the trash. You can restore it from the trash for "
                     "%(days)s days.") % {"title": title, "days": trash.trash_retention_days()}

        if report_outcome(request, delete):
            return _back(document.pk)
        return redirect("web:trash")
    shares = sharing.shares_for_document(user=request.user, document=document)
    return _confirm(request, document, {
        "action": "delete",
        "version_count": document.version_count,
        "live_shares": [share for share in shares if share.revoked_at is None],
        "share_count": len(shares),
        "retention_days": trash.trash_retention_days(),
        "holds": holds.holds_on_document(document),
        **_holder_context(document),
    })


# --- compare ----------------------------------------------------------------------------------


@staff_page
@require_GET
def version_compare(request, document_id: int):
    """Two versions' extracted texts side by side, what changed marked; audited as a preview of each."""
    document = services.document_get_for_action(actor=request.user, document_id=document_id, action=Action.VIEW)
    versions = list(selectors.version_list_for_document(document=document))
    numbers = [version.number for version in versions]
    old_number, new_number = int_or_none(request.GET.get("old")), int_or_none(request.GET.get("new"))
    if old_number is None or new_number is None:
        if len(numbers) < 2:
            messages.info(request, _("There is only one version: nothing to compare yet."))
            return _back(document.pk)
        old_number, new_number = numbers[1], numbers[0]
    compared = services.document_versions_compare(actor=request.user, document=document,
                                                  old_number=old_number, new_number=new_number)
    diff = compare_texts(compared.old_text, compared.new_text)
    return render(request, "web/version_compare.html", {
        "section": "search",
        "document": document,
        "compared": compared,
        "diff": diff,
        "numbers": numbers,
        "old_number": old_number,
        "new_number": new_number,
        "back": reverse("web:document", args=[document.pk]) + "#versions",
    })
