"""The service desk: records by dispatch state; dispatch, confirm, resolve and close through the services."""

from __future__ import annotations

from collections import OrderedDict

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from backend.common.errors import InvalidInput, NotFound
from backend.crm.models import DispatchState
from backend.crm.selectors.service import service_record_get_visible, service_record_list_visible
from backend.crm.services import service as service_services
from backend.web.errors import SHOWN_ERRORS, message_for
from backend.web.forms import DispatchForm, ResolveForm
from backend.web.pages import staff_page
from backend.web.selectors import service_engineers, service_record_ids_changeable

RECORDS_PER_STATE = 60
STEPS = ("dispatch", "confirm", "resolve", "close")


@staff_page
@require_GET
def desk(request):
    user = request.user
    mine = request.GET.get("mine") == "1"
    filters = {"engineer": user.pk} if mine else {}
    columns = OrderedDict((state, {"state": state, "label": label, "records": []})
                          for state, label in DispatchState.choices)
    for state in columns:
        columns[state]["records"] = list(
            service_record_list_visible(user=user, filters={**filters, "dispatch_state": [state]})[:RECORDS_PER_STATE])
    ids = [record.pk for column in columns.values() for record in column["records"]]
    return render(request, "web/service_desk.html", {
        "section": "service",
        "columns": list(columns.values()),
        "changeable": service_record_ids_changeable(user=user, ids=ids),
        "engineers": list(service_engineers()),
        "mine": mine,
    })


@staff_page
@require_POST
def step(request, record_id: int, step: str):
    if step not in STEPS:
        raise NotFound()
    record = service_record_get_visible(user=request.user, record_id=record_id)
    try:
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
            service_services.service_record_resolve(actor=request.user, record=record,
                                                    resolution=form.cleaned_data["resolution"])
            text = _("Resolved.")
        else:
            service_services.service_record_close(actor=request.user, record=record)
            text = _("Closed.")
    except SHOWN_ERRORS as exc:
        if isinstance(exc, NotFound):
            raise
        messages.error(request, message_for(exc))
    else:
        messages.success(request, f"{record.title}: {text}")
    back = request.POST.get("next", "")
    return redirect(back if back.startswith("/") and not back.startswith("//") else "web:service_desk")
