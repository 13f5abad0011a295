"""The service desk: records by dispatch state; dispatch, confirm, resolve and close through the services.

One record's page shows its notes and attachments (customers' and staff's), whether it was raised in
the customer portal, and takes staff notes (internal, or visible to the customer).
"""

from __future__ import annotations

from collections import OrderedDict

from django.contrib import messages
from django.db.models import Count
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from backend.access.policy.crm import may_set_service_levels
from backend.common.errors import InvalidInput, NotFound
from backend.common.file_response import file_response
from backend.crm.models import DispatchState
from backend.crm.selectors.service import (
    service_dispatch_candidates,
    service_record_get_visible,
    service_record_list_visible,
    service_record_thread,
)
from backend.crm.selectors.service_levels import breached_q, service_clock, service_desk_ordered
from backend.crm.services import service as service_services
from backend.crm.services import service_requests
from backend.ui.errors import Refusal, report_outcome
from backend.web.forms import DispatchForm, ResolveForm, ServiceNoteForm
from backend.web.pages import staff_page
from backend.web.selectors import service_engineers, service_record_ids_changeable
from backend.web.views.service_levels import clock_display, clock_shown

# The newest (or most urgent) cards of each state; the column counts all of its records. 60 a column was 300
# cards (~790,000 Python calls a request at 10,000 records in bench/pages.py); what a person scans is the top.
RECORDS_PER_STATE = 30
STEPS = ("dispatch", "confirm", "resolve", "close")


@staff_page
@require_GET
def desk(request):
    user = request.user
    mine = request.GET.get("mine") == "1"
    # service levels: most urgent first (by the due time of the running clock), breached records only
    urgent = request.GET.get("order") == "due"
    breached = request.GET.get("breached") == "1"
    now = timezone.now()
    filters = {"engineer": user.pk} if mine else {}
    columns = OrderedDict((state, {"state": state, "label": label, "records": [], "count": 0, "more": 0})
                          for state, label in DispatchState.choices)
    counted = service_record_list_visible(user=user, filters=filters)
    if breached:
        counted = counted.filter(breached_q(now))
    for state, n in counted.order_by().values_list("dispatch_state").annotate(n=Count("id")):
        columns[state]["count"] = n
    for state, column in columns.items():
        records = service_record_list_visible(user=user, filters={**filters, "dispatch_state": [state]})
        if breached:
            records = records.filter(breached_q(now))
        if urgent:
            records = service_desk_ordered(records, state=state)
        column["records"] = list(records[:RECORDS_PER_STATE])
        column["more"] = column["count"] - len(column["records"])
    ids = [record.pk for column in columns.values() for record in column["records"]]
    breached_word = _("Breached")
    clocks = {}
    for column in columns.values():
        for record in column["records"]:
            # each card's clock badge made here (the template included a partial per card, with every hand worded)
            clock = service_clock(record, now=now)
            shown = clock_shown(clock)
            clocks[record.pk] = format_html(
                '<div class="meta" data-testid="clock-{}"><span class="badge badge-{}">{}{}</span></div>',
                record.pk, shown["tone"], f"{breached_word} · " if clock.breached else "", shown["text"],
            ) if shown else ""
    engineers = list(service_engineers())
    return render(request, "web/service_desk.html", {
        "section": "service",
        "columns": list(columns.values()),
        "changeable": service_record_ids_changeable(user=user, ids=ids),
        "engineers": engineers,
        # Every card waiting for dispatch offers every engineer: the options are rendered once here, not by the
        # template once per card (60 cards × 200 engineers took ~0.5 s of CPU in bench/pages.py).
        "engineer_options": format_html_join("", '<option value="{}">{}</option>',
                                             ((engineer.pk, str(engineer)) for engineer in engineers)),
        "mine": mine,
        "urgent": urgent,
        "breached": breached,
        "clocks": clocks,
        "may_set_service_levels": may_set_service_levels(user),
    })


@staff_page
@require_POST
def step(request, record_id: int, step: str):
    if step not in STEPS:
        raise NotFound()
    record = service_record_get_visible(user=request.user, record_id=record_id)

    def act() -> str:
        if step == "dispatch":
            form = DispatchForm(request.POST, engineers=service_engineers())
            if not form.is_valid():
                raise InvalidInput(" ".join(form.errors["engineer"]))
            service_services.service_record_dispatch(actor=request.user, record=record,
                                                     engineer=form.cleaned_data["engineer"])
            text = _("Dispatched to %(name)s; waiting for the engineer to confirm.") % {
                "name": form.cleaned_data["engineer"]}
        elif step == "confirm":
            service_services.service_record_confirm(actor=request.user, record=record)
            text = _("Confirmed. The job is yours.")
        elif step == "resolve":
            form = ResolveForm(request.POST)
            if not form.is_valid():
                raise InvalidInput(" ".join(form.errors["resolution"]))
            resolved = service_services.service_record_resolve(actor=request.user, record=record,
                                                               resolution=form.cleaned_data["resolution"])
            text = _("Resolved.")
            follow_up_due = service_services.service_follow_up_due(resolved)
            if follow_up_due is not None:
                text = _("Resolved. A follow-up visit is due on %(date)s, a reminder for %(owner)s.") % {
                    "date": date_format(timezone.localtime(follow_up_due), "SHORT_DATE_FORMAT"),
                    "owner": record.customer.owner}
        else:
            service_services.service_record_close(actor=request.user, record=record)
            text = _("Closed.")
        return f"{record.title}: {text}"

    report_outcome(request, act)
    back = request.POST.get("next", "")
    return redirect(back if back.startswith("/") and not back.startswith("//") else "web:service_desk")


# --- one record: its thread of notes and files ----------------------------------------------------


@staff_page
@require_GET
def record_detail(request, record_id: int):
    user = request.user
    record = service_record_get_visible(user=user, record_id=record_id)
    thread = service_record_thread(user=user, record=record)
    changeable = service_record_ids_changeable(user=user, ids=[record.pk])
    engineers = list(service_engineers())
    candidates = []
    if record.pk in changeable and record.dispatch_state == DispatchState.NOT_DISPATCHED:
        candidates = _dispatch_candidates(user=user, record=record, engineers=engineers)
    return render(request, "web/service_record.html", {
        "section": "service",
        "record": record,
        "clock": clock_display(service_clock(record)),
        "contact": record.contact if record.contact_id else None,
        "complaint_about": record.complaint_about if record.complaint_about_id else None,
        "notes": thread["notes"],
        "attachments": thread["attachments"],
        "changeable": changeable,
        "engineers": engineers,
        "candidates": candidates,
        "note_form": ServiceNoteForm(),
    })


def _dispatch_candidates(*, user, record, engineers) -> list[dict]:
    """The engineers to choose from when dispatching, best first, with their open workload and product
    experience (backend/crm/selectors/service.py), the products named in the page's language."""
    language = get_language()
    return [{
        "engineer": candidate.engineer,
        "open_records": candidate.open_records,
        "resolved_of_product": candidate.resolved_of_product,
        "resolved": candidate.resolved,
        "top_products": [{"code": product.code, "name": product.name_in(language), "count": count}
                         for product, count in candidate.top_products],
    } for candidate in service_dispatch_candidates(user=user, record=record, engineers=engineers)]


@staff_page
@require_POST
def note_add(request, record_id: int):
    record = service_record_get_visible(user=request.user, record_id=record_id)
    form = ServiceNoteForm(request.POST)

    def act() -> str:
        if not form.is_valid():
            raise InvalidInput(" ".join(str(m) for errors in form.errors.values() for m in errors))
        note = service_requests.service_note_add(
            actor=request.user, record=record, body=form.cleaned_data["body"],
            visible_to_customer=form.cleaned_data["visible_to_customer"])
        return _("Note added; the customer can read it.") if note.visible_to_customer else _("Internal note added.")

    report_outcome(request, act)
    return redirect(reverse("web:service_record", args=[record.pk]) + "#notes")


@staff_page
@require_GET
def attachment_download(request, attachment_id: int):
    """A file attached to a service record, for whoever may see the record (audited by the service)."""
    with Refusal() as refusal:
        download = service_requests.service_attachment_download(actor=request.user, attachment_id=attachment_id)
        chunks = iter(download.chunks)
        first = next(chunks, b"")
    if refusal:
        messages.error(request, refusal.message)
        return redirect("web:service_desk")
    attachment = download.attachment

    def _all():
        if first:
            yield first
        yield from chunks

    return file_response(_all(), content_type=attachment.mime_type, filename=attachment.filename,
                         length=attachment.size)
