"""The pipeline board: open deals by stage; moving a card is an audited stage change (via the service)."""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict

from django.contrib import messages
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from backend.crm.models import CLOSED_STAGES, OPEN_STAGES, Stage
from backend.crm.selectors.opportunities import opportunity_get_visible, opportunity_list_visible
from backend.crm.services.opportunities import opportunity_stage_change
from backend.ui.errors import Refusal
from backend.web.forms import StageMoveForm
from backend.web.pages import staff_page
from backend.web.selectors import opportunity_ids_changeable

CLOSED_DAYS = 90
CARDS_PER_STAGE = 100


def _board_context(request) -> dict:
    user = request.user
    mine = request.GET.get("mine") == "1" or request.POST.get("mine") == "1"
    since = timezone.now() - dt.timedelta(days=CLOSED_DAYS)
    opportunities = opportunity_list_visible(user=user, owner_id=user.pk if mine else None).filter(
        Q(stage__in=OPEN_STAGES) | Q(closed_at__gte=since)).order_by("-updated_at", "-id")
    columns = OrderedDict((stage, {"stage": stage, "label": label, "cards": [], "totals": {}})
                          for stage, label in Stage.choices)
    cards = list(opportunities[: CARDS_PER_STAGE * len(columns)])
    for opportunity in cards:
        column = columns[opportunity.stage]
        column["cards"].append(opportunity)
        column["totals"][opportunity.currency] = column["totals"].get(opportunity.currency, 0) + opportunity.amount
    return {
        "section": "pipeline",
        "columns": list(columns.values()),
        "changeable": opportunity_ids_changeable(user=user, ids=[card.pk for card in cards]),
        "stages": Stage.choices,
        "mine": mine,
        "closed_days": CLOSED_DAYS,
    }


@staff_page
@require_GET
def board(request):
    return render(request, "web/pipeline.html", _board_context(request))


@staff_page
@require_POST
def move(request, opportunity_id: int):
    opportunity = opportunity_get_visible(user=request.user, opportunity_id=opportunity_id)
    form = StageMoveForm(request.POST)
    error = ""
    if not form.is_valid():
        error = " ".join(" ".join(errors) for errors in form.errors.values())
    else:
        stage = form.cleaned_data["stage"]
        with Refusal() as refusal:
            opportunity_stage_change(
                actor=request.user, opportunity=opportunity, stage=stage,
                lost_reason=form.cleaned_data.get("lost_reason", ""),
                reopen=opportunity.stage in CLOSED_STAGES and stage in OPEN_STAGES)
        error = refusal.message if refusal else ""
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("“%(title)s” moved to %(stage)s.") % {
            "title": opportunity.title, "stage": Stage(form.cleaned_data["stage"]).label})
    if request.headers.get("HX-Request"):
        return render(request, "web/partials/pipeline_board.html", _board_context(request))
    return redirect(reverse("web:pipeline") + ("?mine=1" if request.POST.get("mine") == "1" else ""))
