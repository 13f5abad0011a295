"""The pipeline board: open deals by stage, every stage a column. A card opens its opportunity; moving a
card is an audited stage change, and its probability and expected close are edited in place (an audited
opportunity change); both through the services."""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict

from django import forms
from django.contrib import messages
from django.db.models import Count, Q, Sum
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from backend.crm.models import CLOSED_STAGES, OPEN_STAGES, Stage
from backend.crm.selectors.opportunities import (
    opportunity_board_cards, opportunity_get_visible, opportunity_list_visible,
)
from backend.crm.services.opportunities import opportunity_update
from backend.ui.errors import Refusal
from backend.web.pages import staff_page
from backend.web.selectors import opportunity_ids_changeable
from backend.web.views.opportunities import stage_move

CLOSED_DAYS = 90
# The newest cards of each column; the column's count and totals are of all its deals. A board of
# thousands of deals would otherwise draw (and the server render) every card's forms.
CARDS_PER_STAGE = 30


def _board_context(request) -> dict:
    user = request.user
    mine = request.GET.get("mine") == "1" or request.POST.get("mine") == "1"
    since = timezone.now() - dt.timedelta(days=CLOSED_DAYS)
    opportunities = opportunity_list_visible(user=user, owner_id=user.pk if mine else None).filter(
        Q(stage__in=OPEN_STAGES) | Q(closed_at__gte=since))
    columns = OrderedDict((stage, {"stage": stage, "label": label, "cards": [], "totals": {}, "count": 0})
                          for stage, label in Stage.choices)
    for row in (opportunities.order_by().values("stage", "currency")
                .annotate(total=Sum("amount"), deals=Count("id")).order_by("stage", "currency")):
        column = columns[row["stage"]]
        column["totals"][row["currency"]] = row["total"]
        column["count"] += row["deals"]
    cards = opportunity_board_cards(opportunities=opportunities, per_stage=CARDS_PER_STAGE)
    for opportunity in cards:
        columns[opportunity.stage]["cards"].append(opportunity)
    for column in columns.values():
        column["more"] = column["count"] - len(column["cards"])
    return {
        "section": "pipeline",
        "columns": list(columns.values()),
        "changeable": opportunity_ids_changeable(user=user, ids=[card.pk for card in cards]),
        # each card's "move to stage" options, made once per stage (the template's loop over the stages for
        # every card was a third of the board's template work)
        "stage_options": {stage: format_html_join("", '<option value="{}"{}>{}</option>', (
            (value, mark_safe(" selected") if value == stage else "", label) for value, label in Stage.choices))
            for stage in Stage.values},
        "closed_stages": [stage.value for stage in CLOSED_STAGES],
        "mine": mine,
        "closed_days": CLOSED_DAYS,
        "cards_per_stage": CARDS_PER_STAGE,
    }


@staff_page
@require_GET
def board(request):
    return render(request, "web/pipeline.html", _board_context(request))


def _answer(request):
    """The board again: its partial for htmx, else a redirect keeping "mine"."""
    if request.headers.get("HX-Request"):
        return render(request, "web/partials/pipeline_board.html", _board_context(request))
    return redirect(reverse("web:pipeline") + ("?mine=1" if request.POST.get("mine") == "1" else ""))


@staff_page
@require_POST
def move(request, opportunity_id: int):
    opportunity = opportunity_get_visible(user=request.user, opportunity_id=opportunity_id)
    error = stage_move(request, opportunity)
    if error:
        messages.error(request, error)
    return _answer(request)


class CardDetailsForm(forms.Form):
    """What the board edits in place: the probability and the expected close date."""

    probability = forms.IntegerField(
        label=gettext_lazy("Probability (%)"), min_value=0, max_value=100,
        error_messages={"required": gettext_lazy("Enter a whole number from 0 to 100."),
                        "invalid": gettext_lazy("Enter a whole number from 0 to 100."),
                        "min_value": gettext_lazy("Enter a whole number from 0 to 100."),
                        "max_value": gettext_lazy("Enter a whole number from 0 to 100.")})
    expected_close = forms.DateField(label=gettext_lazy("Expected close"), required=False,
                                     error_messages={"invalid": gettext_lazy("Enter a date.")})


@staff_page
@require_POST
def card_details(request, opportunity_id: int):
    """Save a card's probability and expected close (an audited opportunity change, via the service)."""
    opportunity = opportunity_get_visible(user=request.user, opportunity_id=opportunity_id)
    form = CardDetailsForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(" ".join(errors) for errors in form.errors.values()))
        return _answer(request)
    changes = {"expected_close": form.cleaned_data["expected_close"]}
    if opportunity.stage not in CLOSED_STAGES:
        changes["probability"] = form.cleaned_data["probability"]
    with Refusal() as refusal:
        opportunity_update(actor=request.user, opportunity=opportunity, **changes)
    if refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, _("“%(title)s” is saved.") % {"title": opportunity.title})
    return _answer(request)
