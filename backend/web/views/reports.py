"""Reports with charts (funnel, lost reasons, receivables, service times) and CSV downloads."""

from __future__ import annotations

from decimal import Decimal

from django.shortcuts import render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from backend.common.csv_export import csv_response
from backend.common.errors import NotFound
from backend.crm import reports
from backend.crm.models import Stage
from backend.crm.services.reports import report_export_record
from backend.web import charts
from backend.web.forms import ReportPeriodForm
from backend.web.pages import staff_page
from backend.web.templatetags.dossier_ui import money

EXPORTABLE = ("funnel", "won-lost", "receivables", "service")
RECEIVABLE_ROWS = 12


def _period(request) -> tuple[ReportPeriodForm, reports.Period]:
    form = ReportPeriodForm(request.GET or None)
    if form.is_bound and form.is_valid():
        return form, reports.Period(form.cleaned_data.get("date_from"), form.cleaned_data.get("date_to"))
    return form, reports.Period()


def _hours(value) -> str:
    return "—" if value is None else _("%(hours)s h") % {"hours": formats.number_format(value, 1, use_l10n=True)}


@staff_page
@require_GET
def overview(request):
    user = request.user
    form, period = _period(request)

    funnel = reports.sales_funnel(user=user, period=period)
    stage_counts = {stage: 0 for stage in Stage.values}
    for row in funnel.summary:
        row["stage_label"] = Stage(row["stage"]).label
        stage_counts[row["stage"]] += row["count"]
    funnel_chart = charts.funnel(
        [charts.Bar(Stage(stage).label, count, formats.number_format(count, 0, use_l10n=True))
         for stage, count in stage_counts.items() if stage != Stage.LOST],
        title=_("Sales funnel"))

    won_lost = reports.won_lost(user=user, period=period)
    reasons = won_lost.summary.get("reasons", [])
    reasons_chart = charts.horizontal_bars(
        [charts.Bar(_(row["reason"]) if row["reason"] == "(none given)" else row["reason"], row["count"],
                    formats.number_format(row["count"], 0, use_l10n=True), charts.PALETTE[5]) for row in reasons[:10]],
        title=_("Why deals were lost"))

    receivables = reports.receivables(user=user, by="customer")
    ranked = sorted(receivables.rows, key=lambda row: row["outstanding"], reverse=True)[:RECEIVABLE_ROWS]
    receivable_rows = []
    for row in ranked:
        currency = row["currency"]
        overdue = row["overdue"]
        due_later = max(Decimal(0), row["invoiced_unpaid"] - overdue)
        not_invoiced = max(Decimal(0), row["outstanding"] - row["invoiced_unpaid"])
        receivable_rows.append((f"{row['customer__name']} ({currency})", [
            (float(row["paid"]), "#17794a", _("paid %(amount)s") % {"amount": money(row["paid"], currency)}),
            (float(due_later), "#3b82f6", _("invoiced, not yet due %(amount)s") % {"amount": money(due_later, currency)}),
            (float(overdue), "#b42318", _("overdue %(amount)s") % {"amount": money(overdue, currency)}),
            (float(not_invoiced), "#cbd5e1", _("not invoiced yet %(amount)s") % {"amount": money(not_invoiced, currency)}),
        ]))
    receivables_chart = charts.stacked_bars(
        receivable_rows, title=_("Receivables by customer"),
        legend=[("#17794a", _("Paid")), ("#3b82f6", _("Not yet due")), ("#b42318", _("Overdue")),
                ("#cbd5e1", _("Not invoiced"))])

    service = reports.service_statistics(user=user, period=period)
    named = [row for row in service.rows if row.get("engineer_id")]
    confirm_chart = charts.horizontal_bars(
        [charts.Bar(row["engineer_name"], row["mean_hours_to_confirm"] or 0, _hours(row["mean_hours_to_confirm"]))
         for row in named], title=_("Mean hours from dispatch to confirmation"))
    resolve_chart = charts.horizontal_bars(
        [charts.Bar(row["engineer_name"], row["mean_hours_to_resolve"] or 0, _hours(row["mean_hours_to_resolve"]),
                    charts.PALETTE[4]) for row in named], title=_("Mean hours from opening to resolution"))

    return render(request, "web/reports.html", {
        "section": "reports",
        "form": form,
        "query": request.GET.urlencode(),
        "funnel": funnel, "funnel_chart": funnel_chart,
        "won_lost": won_lost, "reasons": reasons, "reasons_chart": reasons_chart,
        "receivables": receivables, "receivables_chart": receivables_chart, "receivable_summary": receivables.summary,
        "service": service, "confirm_chart": confirm_chart, "resolve_chart": resolve_chart,
        "service_hours": {"confirm": _hours(service.summary.get("mean_hours_to_confirm")),
                          "resolve": _hours(service.summary.get("mean_hours_to_resolve"))},
    })


@staff_page
@require_GET
def export_csv(request, name: str):
    if name not in EXPORTABLE:
        raise NotFound()
    _form, period = _period(request)
    if name == "receivables":
        report = reports.receivables(user=request.user, by=request.GET.get("by", "customer") if request.GET.get(
            "by") in reports.RECEIVABLE_GROUPS else "customer")
    else:
        report = reports.REPORTS[name](user=request.user, period=period)
    report_export_record(actor=request.user, report=report)
    return csv_response(reports.rows_for_csv(report),
                        filename=f"dossier-{report.name}-{timezone.localdate():%Y%m%d}.csv")
