"""The compliance console (compliance role only; everyone else gets a 404).

The audit log with filters kept in the URL, keyset pages (no total count), event detail, streamed
CSV/JSON exports of any filtered view, the hash-chain verification, "what did this person access
between these dates" and "who can access this document, and why".
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from backend.access import services as access_services
from backend.accounts.models import User
from backend.audit import console
from backend.audit.events import all_event_types
from backend.common.errors import NotFound
from backend.common.file_response import file_response
from backend.web import services
from backend.ui.errors import message_for
from backend.web.forms import AuditFilterForm, DocumentAccessForm, UserAccessForm
from backend.web.pages import compliance_page, int_or_none


def _event_types() -> list[tuple[str, str]]:
    """The action filter's choices: every type shown by its label in the reader's language (in name order,
    so that related actions stay together)."""
    return [(event.name, event.display) for event in all_event_types()]


def _usernames() -> list[str]:
    return list(User.objects.order_by("username").values_list("username", flat=True)[:500])


def _filters_from(form: AuditFilterForm) -> console.AuditFilters:
    data = form.cleaned_data
    return console.AuditFilters(
        actor_id=data["user"].pk if data.get("user") else None,
        document_id=data.get("document"),
        customer_id=data.get("customer"),
        event_types=(data["action"],) if data.get("action") else (),
        outcome=data.get("outcome") or "",
        ip=data.get("ip") or "",
        date_from=data.get("date_from"),
        date_to=data.get("date_to"),
    )


def _verification() -> dict:
    last = console.last_chain_verification()
    return {"last": last, "newer": console.events_since(last.id) if last else None}


@compliance_page
@require_GET
def audit_log(request):
    form = AuditFilterForm(request.GET, event_types=_event_types())
    page = None
    status = 200
    if form.is_valid():
        page = console.audit_event_page(filters=_filters_from(form), before=int_or_none(request.GET.get("before")))
    else:
        status = 400
    params = request.GET.copy()
    params.pop("before", None)
    return render(request, "web/compliance/log.html", {
        "section": "compliance", "tab": "log", "form": form, "page": page, "query": params.urlencode(),
        "usernames": _usernames(), "verification": _verification(),
    }, status=status)


@compliance_page
@require_GET
def event_detail(request, event_id: int):
    event = console.audit_event_get(event_id=event_id)
    if event is None:
        raise NotFound()
    previous, following = console.audit_event_neighbours(event=event)
    return render(request, "web/compliance/event.html", {
        "section": "compliance", "tab": "log", "event": event, "previous": previous, "following": following,
        "is_document": event.target_type == console.DOCUMENT_TARGET and event.target_id.isdigit(),
    })


def _export(request, export_format: str):
    form = AuditFilterForm(request.GET, event_types=_event_types())
    if not form.is_valid():
        return render(request, "web/compliance/log.html", {
            "section": "compliance", "tab": "log", "form": form, "page": None, "query": request.GET.urlencode(),
            "usernames": _usernames(), "verification": _verification()}, status=400)
    filters = _filters_from(form)
    services.audit_export_record(actor=request.user, export_format=export_format, filters=filters.as_dict())
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    if export_format == "csv":
        chunks, content_type = console.audit_export_csv(filters=filters), "text/csv; charset=utf-8"
    else:
        chunks, content_type = console.audit_export_json(filters=filters), "application/json; charset=utf-8"
    return file_response(chunks, content_type=content_type, filename=f"audit-{stamp}.{export_format}")


@compliance_page
@require_GET
def export_csv(request):
    return _export(request, "csv")


@compliance_page
@require_GET
def export_json(request):
    return _export(request, "json")


@compliance_page
@require_POST
def verify_chain(request):
    result = services.audit_chain_verify_now(actor=request.user)
    if result.ok:
        messages.success(request, _("The audit chain is intact: %(count)s events checked.") % {"count": result.checked})
    else:
        messages.error(request, _("The audit chain is BROKEN at event #%(id)s: %(reason)s") % {
            "id": result.first_bad_id, "reason": result.reason})
    back = request.POST.get("next", "")
    return redirect(back if back.startswith("/compliance/") else "web:audit_log")


@compliance_page
@require_GET
def user_access(request):
    form = UserAccessForm(request.GET or None)
    summary = None
    if form.is_bound and form.is_valid():
        summary = console.user_access_summary(
            actor_id=form.cleaned_data["user"].pk, date_from=form.cleaned_data.get("date_from"),
            date_to=form.cleaned_data.get("date_to"), before=int_or_none(request.GET.get("before")))
    params = request.GET.copy()
    params.pop("before", None)
    return render(request, "web/compliance/user_access.html", {
        "section": "compliance", "tab": "user", "form": form, "summary": summary, "usernames": _usernames(),
        "query": params.urlencode(),
    }, status=400 if form.is_bound and not form.is_valid() else 200)


@compliance_page
@require_GET
def document_access(request):
    form = DocumentAccessForm(request.GET or None)
    rules = None
    document_id = None
    if form.is_bound and form.is_valid():
        document_id = form.cleaned_data["document"]
        try:
            rules = access_services.document_access_list(actor=request.user, document_id=document_id)
        except NotFound as exc:
            form.add_error("document", message_for(exc))
    return render(request, "web/compliance/document_access.html", {
        "section": "compliance", "tab": "document", "form": form, "rules": rules, "document_id": document_id,
    }, status=400 if form.is_bound and form.errors else 200)
