"""Home: the search box first, then what is waiting for me."""

from __future__ import annotations

from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from backend.crm.models import OPEN_QUOTE_STATUSES, DispatchState
from backend.crm.selectors.activities import reminder_list_open
from backend.crm.selectors.quotes import quote_list_visible
from backend.crm.selectors.service import service_record_list_visible
from backend.documents.selectors import document_list_visible
from backend.web.pages import staff_page

HOME_ROWS = 8


@staff_page
@require_GET
def home(request):
    user = request.user
    now = timezone.now()
    recent = document_list_visible(user=user, filters={"owner": user.pk}).order_by("-updated_at", "-id")[:HOME_ROWS]
    checked_out = document_list_visible(user=user, filters={"checked_out_by": user.pk}).filter(
        checkout_expires_at__gt=now).order_by("checked_out_at")[:HOME_ROWS]
    reminders = reminder_list_open(user=user)[:HOME_ROWS]
    quotes = quote_list_visible(user=user, owner_id=user.pk).filter(status__in=OPEN_QUOTE_STATUSES).order_by(
        "-created_at", "-id")[:HOME_ROWS]
    dispatches = service_record_list_visible(
        user=user, filters={"engineer": user.pk, "dispatch_state": [DispatchState.DISPATCHED]})[:HOME_ROWS]
    return render(request, "web/home.html", {
        "section": "home",
        "recent": recent,
        "checked_out": checked_out,
        "reminders": reminders,
        "quotes": quotes,
        "dispatches": dispatches,
        "now": now,
    })
