"""Service levels in the staff UI: the administrators' targets page, and the clocks the service desk and a
service record show (backend/crm/selectors/service_levels.py computes them; this module words them)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django import forms
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from backend.access.policy.crm import may_set_service_levels
from backend.crm.models import Priority, ServiceType
from backend.crm.selectors.service_levels import Clock, Hand, service_level_grid
from backend.crm.services.service_levels import MAX_MINUTES, TargetInput, service_levels_set
from backend.ui.errors import report_outcome
from backend.web.pages import staff_page

# --- the clocks, in words ---------------------------------------------------------------------------------

TONES = {"none": "muted", "running": "muted", "due_soon": "warn", "overdue": "bad", "met": "ok", "missed": "bad"}


def span_text(span: dt.timedelta) -> str:
    """A duration as people read it on the desk: "2 d 3 h", "1 h 05 min", "12 min"."""
    minutes = max(0, int(abs(span).total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return _("%(days)s d %(hours)s h") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)s h %(minutes)02d min") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)s min") % {"minutes": minutes}


def hand_text(hand: Hand) -> str:
    response = hand.kind == "response"
    if hand.state == "none":
        return _("No target")
    if hand.state in ("running", "due_soon"):
        text = _("Dispatch within %(span)s") if response else _("Resolve within %(span)s")
        return text % {"span": span_text(hand.left)}
    if hand.state == "overdue":
        text = _("Dispatch overdue by %(span)s") if response else _("Resolution overdue by %(span)s")
        return text % {"span": span_text(hand.left)}
    if hand.state == "met":
        return _("Dispatched in time") if response else _("Resolved in time")
    text = _("Dispatched %(span)s late") if response else _("Resolved %(span)s late")
    return text % {"span": span_text(hand.late)}


def hand_display(hand: Hand) -> dict:
    return {"kind": hand.kind, "state": hand.state, "tone": TONES[hand.state], "text": hand_text(hand),
            "due": hand.due, "done": hand.done,
            "label": _("Response time") if hand.kind == "response" else _("Resolution time")}


def clock_shown(clock: Clock) -> dict | None:
    """Only the hand a desk card shows (the running one, or a missed one), worded; None when neither."""
    shown = clock.running or next((h for h in (clock.resolution, clock.response) if h.state == "missed"), None)
    return hand_display(shown) if shown else None


def clock_display(clock: Clock) -> dict:
    """What a card and a record page show: the hand that runs (or a missed one), and both hands."""
    shown = clock.running or next((h for h in (clock.resolution, clock.response) if h.state == "missed"), None)
    return {"breached": clock.breached, "shown": hand_display(shown) if shown else None,
            "hands": [hand_display(clock.response), hand_display(clock.resolution)]}


# --- the administrators' page -----------------------------------------------------------------------------


def _hours_field(label):
    return forms.DecimalField(label=label, required=False, min_value=Decimal("0.25"),
                              max_value=Decimal(MAX_MINUTES) / 60, decimal_places=2, max_digits=7,
                              widget=forms.NumberInput(attrs={"step": "0.25", "inputmode": "decimal"}))


class ServiceLevelsForm(forms.Form):
    """Two fields per (priority, type): response and resolution, in hours; both empty: no target."""

    def __init__(self, *args, initial_targets=None, **kwargs):
        super().__init__(*args, **kwargs)
        for priority, _p in Priority.choices:
            for type_, _t in ServiceType.choices:
                self.fields[f"{priority}-{type_}-response"] = _hours_field(gettext_lazy("Response (hours)"))
                self.fields[f"{priority}-{type_}-resolution"] = _hours_field(gettext_lazy("Resolution (hours)"))
                target = (initial_targets or {}).get((priority, type_))
                if target is not None and not self.is_bound:
                    self.initial[f"{priority}-{type_}-response"] = _hours(target.response_minutes)
                    self.initial[f"{priority}-{type_}-resolution"] = _hours(target.resolution_minutes)

    def clean(self):
        data = super().clean()
        for priority, _p in Priority.choices:
            for type_, _t in ServiceType.choices:
                response = data.get(f"{priority}-{type_}-response")
                resolution = data.get(f"{priority}-{type_}-resolution")
                if (response is None) != (resolution is None) and not self.has_error(f"{priority}-{type_}-response") \
                        and not self.has_error(f"{priority}-{type_}-resolution"):
                    missing = f"{priority}-{type_}-resolution" if resolution is None else f"{priority}-{type_}-response"
                    self.add_error(missing, _("Enter both times, or neither for no target."))
                elif response is not None and resolution is not None and resolution < response:
                    self.add_error(f"{priority}-{type_}-resolution",
                                   _("The resolution time cannot be shorter than the response time."))
        return data

    def targets(self) -> dict[tuple[str, str], TargetInput | None]:
        out = {}
        for priority, _p in Priority.choices:
            for type_, _t in ServiceType.choices:
                response = self.cleaned_data.get(f"{priority}-{type_}-response")
                resolution = self.cleaned_data.get(f"{priority}-{type_}-resolution")
                out[(priority, type_)] = (TargetInput(_minutes(response), _minutes(resolution))
                                          if response is not None and resolution is not None else None)
        return out


def _hours(minutes: int) -> Decimal:
    return (Decimal(minutes) / 60).quantize(Decimal("0.01")).normalize()


def _minutes(hours: Decimal) -> int:
    try:
        return int((hours * 60).to_integral_value())
    except (InvalidOperation, TypeError):
        return 0


@staff_page
@require_http_methods(["GET", "POST"])
def service_levels(request):
    """The targets, every priority × type; administrators only (a 404 for everyone else)."""
    if not may_set_service_levels(request.user):
        raise Http404()
    grid = service_level_grid()
    current = {(cell["target"].priority, cell["target"].type): cell["target"]
               for row in grid for cell in row["cells"] if cell["target"]}
    if request.method == "POST":
        form = ServiceLevelsForm(request.POST)
        if form.is_valid():
            def act() -> str:
                result = service_levels_set(actor=request.user, targets=form.targets())
                if not result["changed"]:
                    return _("Nothing changed.")
                return _("Service levels saved: %(pairs)s changed, %(records)s open records re-timed.") % {
                    "pairs": result["changed"], "records": result["retimed"]}

            refusal = report_outcome(request, act)
            if not refusal:
                return redirect("web:service_levels")
    else:
        form = ServiceLevelsForm(initial_targets=current)
    rows = [{**row, "cells": [{**cell, "response": form[f"{row['priority']}-{cell['type']}-response"],
                               "resolution": form[f"{row['priority']}-{cell['type']}-resolution"]}
                              for cell in row["cells"]]} for row in grid]
    return render(request, "web/service_levels.html", {"section": "service", "form": form, "rows": rows})

