"""The document page: metadata, versions, preview, upload, check-out, approval, access and its log."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST

from backend.access import services as access_services
from backend.access.policy import Action, document_rights, may_read_access_log
from backend.audit.console import AuditFilters, audit_event_page
from backend.common.errors import NotFound
from backend.common.file_response import file_response
from backend.common.resolver import resolve
from backend.crm.selectors.customers import customer_get_visible, customer_list_visible
from backend.crm.selectors.links import links_for_document_page
from backend.documents import selectors, services
from backend.documents.api.uploads import upload_from_request
from backend.documents.models import VersionStatus
from backend.documents.previews import preview_kind
from backend.sharing import shares as sharing
from backend.ui.errors import Refusal, lock_message, report_outcome
from backend.web.forms import ApproveForm, ShareForm
from backend.web.pages import int_or_none, staff_page
from backend.web.views import document_edit, document_versions

PREVIEWABLE = ("application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp")
ACCESS_LOG_PAGE = 25
SHARE_FOUND = 20


def _is_xhr(request) -> bool:
    return request.headers.get("X-Requested-With") == "XMLHttpRequest"


def _document_context(request, document) -> dict:
    """Everything the document page shows. Access booleans come from the policy, never the template."""
    user = request.user
    versions = list(selectors.version_list_for_document(document=document))
    holder = document.lock_holder()
    rights = document_rights(user, document)
    valid = next((v for v in versions if v.pk == document.valid_version_id), None)
    links = links_for_document_page(user=user, document=document)
    shares = sharing.shares_for_document(user=user, document=document)
    return {
        "section": "search",
        "document": document,
        "versions": versions,
        "valid": valid,
        "latest_number": versions[0].number if versions else None,
        "holder": holder,
        "held_by_me": holder is not None and holder.pk == user.pk,
        "held_by_other": holder is not None and holder.pk != user.pk,
        "lock_text": lock_message(str(holder), document.checked_out_at.isoformat()) if holder else "",
        "can_change": rights.change,
        "can_download": rights.download,
        "can_read": rights.read,
        "can_manage": rights.manage,
        "can_review_access": rights.review_access,
        # Drawn on the server as page images (backend/documents/previews.py), each marked with its reader:
        # the panel itself tells those who may only view the details that reading needs the read level.
        "preview": valid if (valid is not None and preview_kind(valid.mime_type)) else None,
        "links": links,
        "tags": sorted(tag.name for tag in document.tags.all()),
        "approve_form": ApproveForm(),
        "draft_status": VersionStatus.DRAFT,
        "shares": shares,
        # Shares a raised classification suspended, or whose voucher may no longer share the document: the
        # page says so, and whoever may manage the document re-confirms or revokes them.
        "shares_needing_confirmation": [s for s in shares if s.standing in ("suspended", "not_vouched")],
        "share_opens": sharing.share_opens_for_document(document=document),
        # Sharing with customers: the policy's may_share_document (re-checked per customer by the service).
        "can_share": rights.share,
        "now": timezone.now(),
        **document_versions.versions_context(user, document, versions, can_change=rights.change),
        **(_share_form_context(request, links, versions) if rights.share else {}),
        **document_edit.workspace_context(request, document, rights, links),
    }


def _share_form_context(request, links, versions, form: ShareForm | None = None) -> dict:
    """The share form: the customers linked to the document, plus those found by name or code."""
    choices: dict[int, str] = {}
    for link in links:
        choices.setdefault(link.customer_id, str(link.customer))
    query = request.GET.get("share_customer", "").strip()[:100]
    if query:
        found = customer_list_visible(user=request.user, search=query).values_list("id", "name")[:SHARE_FOUND]
        for customer_id, name in found:
            choices.setdefault(customer_id, name)
    customers = sorted(choices.items(), key=lambda item: item[1])
    version_numbers = [version.number for version in versions]
    return {
        "share_form": form or ShareForm(customers=customers, version_numbers=version_numbers,
                                        initial={"customer": customers[0][0] if len(customers) == 1 else None}),
        "share_customer_query": query,
    }


@staff_page
@require_GET
def document_detail(request, document_id: int):
    document = services.document_view(actor=request.user, document_id=document_id)
    return render(request, "web/document.html", _document_context(request, document))


# --- downloads ---------------------------------------------------------------------------------


def _version(request, document_id: int, number: int | None, action: Action = Action.DOWNLOAD):
    document = services.document_get_for_action(actor=request.user, document_id=document_id, action=Action.VIEW)
    if number is None:
        if document.valid_version_id is None:
            return None
        number = document.valid_version.number
    return services.version_get(document=document, number=number)


def _stream(request, version, *, inline: bool):
    with Refusal() as refusal:
        # Shown inline is a preview (its own audit event); only an attachment is a download.
        if inline:
            download = services.document_version_preview(actor=request.user, version=version)
        else:
            download = services.document_version_download(actor=request.user, version=version)
    if refusal:
        messages.error(request, refusal.message)
        return redirect("web:document", document_id=version.document_id)
    return file_response(download.chunks, content_type=download.content_type, filename=download.filename,
                         length=download.length, inline=inline, etag=download.etag)


@staff_page
@require_GET
def version_download(request, document_id: int, number: int):
    return _stream(request, _version(request, document_id, number), inline=False)


@staff_page
@require_GET
def valid_version_download(request, document_id: int):
    version = _version(request, document_id, None)
    if version is None:
        raise NotFound()
    return _stream(request, version, inline=False)


@staff_page
@require_GET
@xframe_options_sameorigin
def version_preview(request, document_id: int, number: int):
    """The version shown inline (PDFs and images only), for the page's preview frame."""
    version = _version(request, document_id, number)
    if version.mime_type not in PREVIEWABLE:
        raise NotFound()
    return _stream(request, version, inline=True)


# --- upload --------------------------------------------------------------------------------------


@staff_page
@require_POST
def version_upload(request, document_id: int):
    """A new version: the browser sends the file as the raw body (progress bar, streamed to the store)
    or, without JavaScript, as multipart form data, read as the API reads it (`upload_from_request`)."""
    document = services.document_get_for_action(actor=request.user, document_id=document_id)
    comment = ""
    with Refusal() as refusal:
        upload, fields = upload_from_request(request)
        comment = str(fields.get("comment", "") or "")[:2000]
        version, _created = services.document_version_create(
            actor=request.user, document=document, upload=upload, comment=comment)
    if refusal:
        if _is_xhr(request):
            return JsonResponse({"message": refusal.message, "fields": refusal.fields}, status=refusal.status)
        context = _document_context(request, document)
        context.update({"upload_error": refusal.message,
                        "upload_comment": comment or request.POST.get("comment", "")})
        return render(request, "web/document.html", context, status=refusal.status)
    text = _("Version %(number)s uploaded.") % {"number": version.number}
    target = reverse("web:document", args=[document.pk])
    messages.success(request, text)
    if _is_xhr(request):
        return JsonResponse({"message": text, "redirect": target, "version": version.number}, status=201)
    return redirect(target)


# --- check-out, approval, restore ---------------------------------------------------------------


def document_action(act):
    """A POST on the document page: `act(request, document, **the URL's other values)` runs one service and
    returns the sentence to show; a refusal is shown translated instead. Then back to the document page."""

    @staff_page
    @require_POST
    @wraps(act)
    def view(request, document_id: int, **kwargs):
        document = services.document_get_for_action(actor=request.user, document_id=document_id)
        report_outcome(request, lambda: act(request, document, **kwargs))
        return redirect("web:document", document_id=document.pk)

    return view


def _lock_step(service, done: str):
    """Check-out and check-in: the service on the document, and what to say when it is done."""

    def step(request, document) -> str:
        service(actor=request.user, document=document)
        return str(done)

    return document_action(step)


checkout = _lock_step(services.document_checkout,
                      gettext_lazy("Locked for editing. Nobody else can upload a new version until you unlock it."))
checkin = _lock_step(services.document_checkin, gettext_lazy("Unlocked: others can edit it again."))


@document_action
def break_lock(request, document):
    services.document_lock_break(actor=request.user, document=document, reason=request.POST.get("reason", "")[:300])
    return _("The editing lock was released.")


# Approve, restore and delete ask first: backend/web/views/document_versions.py.


# --- who can access it, and its access log (loaded when opened) ---------------------------------


@staff_page
@require_GET
def document_access(request, document_id: int):
    rules = access_services.document_access_list(actor=request.user, document_id=document_id)
    return render(request, "web/partials/access_rules.html", {"rules": rules})


@staff_page
@require_GET
def document_access_log(request, document_id: int):
    document = services.document_get_for_action(actor=request.user, document_id=document_id)
    if not may_read_access_log(request.user, document):
        raise NotFound()
    page = audit_event_page(filters=AuditFilters(document_id=document.pk),
                            before=int_or_none(request.GET.get("before")), page_size=ACCESS_LOG_PAGE)
    return render(request, "web/partials/document_access_log.html", {"document": document, "page": page})


# --- sharing with customers ----------------------------------------------------------------------


@staff_page
@require_POST
def share_create(request, document_id: int):
    """Share the document with a customer's portal users. The service decides whether `user` may."""
    document = services.document_get_for_action(actor=request.user, document_id=document_id)
    versions = list(selectors.version_list_for_document(document=document))
    customer_id = int_or_none(request.POST.get("customer"))
    form = ShareForm(request.POST, customers=[(customer_id, "")] if customer_id else [],
                     version_numbers=[v.number for v in versions])
    back = redirect(reverse("web:document", args=[document.pk]) + "#shares")
    if not form.is_valid():
        messages.error(request, " ".join(str(m) for errors in form.errors.values() for m in errors))
        return back
    data = form.cleaned_data

    def share() -> str:
        customer = resolve(lambda pk: customer_get_visible(user=request.user, customer_id=pk), int(data["customer"]),
                           field="customer", label="customer", message=_("Choose a customer you can see."))
        version = None
        if data["version"]:
            version = services.version_get(document=document, number=int(data["version"]))
        created = sharing.document_share_create(
            actor=request.user, document=document, customer=customer, version=version,
            downloadable=data["downloadable"], offer_valid_version=data["offer_valid_version"],
            expires_at=form.expires_at(), note=data["note"])
        return _("Shared with %(customer)s.") % {"customer": created.customer.name}

    report_outcome(request, share)
    return back


def _share_action(request, document_id: int, share_id: int, action, success: str):
    """Run one action on a share of this document; its result, or its error translated, on the share panel."""
    share = sharing.share_get_for_staff(user=request.user, share_id=share_id)
    if share.document_id != document_id:
        raise NotFound()

    def act() -> str:
        action(actor=request.user, share=share)
        return success % {"customer": share.customer.name}

    report_outcome(request, act)
    return redirect(reverse("web:document", args=[document_id]) + "#shares")


@staff_page
@require_POST
def share_reconfirm(request, document_id: int, share_id: int):
    """Vouch for a suspended (or no longer vouched-for) share so its customer can open it again."""
    return _share_action(request, document_id, share_id, sharing.document_share_reconfirm,
                         _("The share with %(customer)s is re-confirmed; its portal users can open it again."))


@staff_page
@require_POST
def share_revoke(request, document_id: int, share_id: int):
    return _share_action(request, document_id, share_id, sharing.document_share_revoke,
                         _("The share with %(customer)s is revoked."))
