"""The reports page: the figures for a chosen period (by rep, team, region, customer or product), targets
and attainment, the funnel, lost deals, retention, visits, service, receivables; each figure as CSV and
XLSX (audited); and the targets page where administrators and team managers set targets.

Charts are HTML bars drawn from the same rounded numbers the tables and files show, the scale and unit
stated under each; labels wrap, never clip. Money charts are in the reporting currency
(settings.REPORTING_CURRENCY): other currencies are converted at the rates staff keep on the rates page
(the rate in force on the day the figures are as of, stated under the chart); a currency with no rate
keeps a chart of its own, on its own scale, and says so. Tables and files keep every currency apart.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from decimal import Decimal
from operator import itemgetter
from xml.sax.saxutils import escape as xml_escape

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.forms.utils import flatatt
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from backend.access.policy.reports import may_set_currency_rates, may_set_targets
from backend.accounts.models import Department, User
from backend.common.csv_export import csv_response, plain_cell, safe_cell
from backend.common.errors import NotFound
from backend.common.file_response import file_response
from backend.crm import reports as crm_reports
from backend.crm.models import Currency, CurrencyRate, SalesTarget, TargetPeriod
from backend.crm.selectors import reports as figures
from backend.crm.selectors.reports_rates import Rates, currency_rates_list, rates_on
from backend.crm.services.currency_rates import currency_rate_remove, currency_rate_set
from backend.crm.services.reports import report_export_record, sales_target_remove, sales_target_set
from backend.ui.errors import Refusal, report_outcome, show_on_form
from backend.web.pages import staff_page
from backend.web.templatetags.dossier_reports import escaped
from backend.web.templatetags.dossier_ui import money

RECEIVABLE_ROWS = 12
TABLE_ROWS = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
GROUP_LABELS = {"rep": gettext_lazy("Rep"), "team": gettext_lazy("Team"), "region": gettext_lazy("Region"),
                "customer": gettext_lazy("Customer"), "product": gettext_lazy("Product")}


class QuickSelect(forms.Select):
    """A select of many options (a rep for every member of staff: a thousand in a large firm) written
    directly: Django's widget templates cost about 0.3 ms an option, most of the reports page's time there.
    The markup is the Select's: the first option whose value is the field's value selected (None: the
    empty one), values and labels escaped."""

    def render(self, name, value, attrs=None, renderer=None):
        chosen = set(self.format_value(value))
        parts = [format_html("<select name=\"{}\"{}>", name, flatatt(self.build_attrs(self.attrs, attrs)))]
        found = False
        for option_value, label in self.choices:
            text = "" if option_value is None else str(option_value)
            selected = not found and text in chosen
            found = found or selected
            parts.append(f'  <option value="{escaped(text)}"{" selected" if selected else ""}>{escaped(label)}</option>')
        parts.append("</select>")
        return mark_safe("\n".join(parts))


def _input_tag(widget: forms.Input, name, value, attrs) -> str:
    """An <input> as Django's input.html and attrs.html write it (the widget's type, name, value when there
    is one, then its attributes in order: True bare, False left out), without the template engine."""
    context = widget.get_context(name, value, attrs)["widget"]
    shown = "" if context["value"] is None else f' value="{escaped(context["value"])}"'
    extra = "".join("" if given is False else f" {escaped(key)}" if given is True
                    else f' {escaped(key)}="{escaped(given)}"' for key, given in context["attrs"].items())
    return mark_safe(f'<input type="{escaped(context["type"])}" name="{escaped(context["name"])}"{shown}{extra}>')


class QuickDateInput(forms.DateInput):
    """A DateInput written directly (see QuickSelect): the same markup."""

    def render(self, name, value, attrs=None, renderer=None):
        return _input_tag(self, name, value, attrs)


class QuickNumberInput(forms.NumberInput):
    """A NumberInput written directly (see QuickSelect): the same markup."""

    def render(self, name, value, attrs=None, renderer=None):
        return _input_tag(self, name, value, attrs)


class ReportFilterForm(forms.Form):
    # The page's filters are six fields on every request: their widgets are written directly, not through
    # Django's widget templates (about a millisecond a request).
    date_from = forms.DateField(label=gettext_lazy("From"), required=False,
                                widget=QuickDateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=gettext_lazy("To"), required=False, widget=QuickDateInput(attrs={"type": "date"}))
    by = forms.ChoiceField(label=gettext_lazy("Group by"), required=False, choices=list(GROUP_LABELS.items()),
                           widget=QuickSelect)
    rep = forms.TypedChoiceField(label=gettext_lazy("Rep"), required=False, coerce=int, empty_value=None,
                                 widget=QuickSelect)
    team = forms.TypedChoiceField(label=gettext_lazy("Team"), required=False, coerce=int, empty_value=None,
                                  widget=QuickSelect)
    days = forms.IntegerField(label=gettext_lazy("Not contacted for (days)"), required=False, min_value=1,
                              max_value=3650, widget=QuickNumberInput)

    def __init__(self, *args, reps, teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rep"].choices = [("", _("Everyone I may see"))] + [(pk, name) for pk, name in reps]
        self.fields["team"].choices = [("", _("Every team I may see"))] + [(pk, name) for pk, name in teams]
        if len(teams) == 0:
            self.fields.pop("team")

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end date is before the start date."))
        return data


class Filters:
    """What the page and the exports were asked for, with the defaults filled in."""

    def __init__(self, request):
        reps, teams = figures.report_people(user=request.user)
        quarter = figures.current_quarter()
        self.form = ReportFilterForm(request.GET, reps=reps, teams=teams) if request.GET else None
        data = self.form.cleaned_data if self.form is not None and self.form.is_valid() else {}
        if data.get("date_from") or data.get("date_to"):
            self.period = crm_reports.Period(data.get("date_from"), data.get("date_to"))
        else:
            self.period = quarter
        self.by = data.get("by") or "rep"
        self.rep_id = data.get("rep")
        self.department_id = data.get("team")
        self.days = data.get("days") or figures.not_contacted_days()
        if self.form is None:  # nothing asked: the form shows the defaults
            self.form = ReportFilterForm(initial={"date_from": quarter.date_from, "date_to": quarter.date_to,
                                                  "by": "rep", "days": self.days}, reps=reps, teams=teams)

    def narrowing(self) -> dict:
        return {"rep_id": self.rep_id, "department_id": self.department_id}


def _build(name: str, user, f: Filters) -> crm_reports.Report:
    """The named figure as a Report (for the page and the files)."""
    period = f.period
    builders = {
        "figures": lambda: figures.figures(user=user, period=period, group_by=f.by, **f.narrowing()),
        "targets": lambda: figures.target_attainment(user=user, period=period),
        "funnel": lambda: figures.funnel(user=user, period=period, **f.narrowing()),
        "lost": lambda: figures.lost_analysis(user=user, period=period, **f.narrowing()),
        "retention": lambda: figures.retention(user=user, period=period, **f.narrowing()),
        "visits": lambda: figures.visits(user=user, period=period, **f.narrowing()),
        "not-contacted": lambda: figures.not_contacted(user=user, days=f.days, **f.narrowing()),
        "service": lambda: figures.service_by_product(user=user, period=period, **f.narrowing()),
        "won-lost": lambda: crm_reports.won_lost(user=user, period=period),
        "receivables": lambda: crm_reports.receivables(user=user, by="customer"),
    }
    if name not in builders:
        raise NotFound()
    return builders[name]()


# --- charts: rows of HTML bars, one scale per chart --------------------------------------------------


def _bars(items, *, unit: str, peak=None) -> dict:
    """items: (label, value, text). Each bar's width is its share of the largest; the unit is stated."""
    items = [(str(label), float(value or 0), text) for label, value, text in items]
    top = peak if peak is not None else max((value for _l, value, _t in items), default=0)
    top = float(top or 0)
    return {
        "unit": unit,
        "bars": [{"label": label, "text": text, "width": (f"{min(100.0, 100 * value / top):.1f}" if top and value > 0
                                                          else "0")} for label, value, text in items],
    }


def _count(value) -> str:
    value = value or 0
    if type(value) is int and -1000 < value < 1000:  # (a bar per rep: no group to separate, in any language)
        return str(value)
    return formats.number_format(value, 0, use_l10n=True, force_grouping=True)


def _pct(value) -> str:
    return "—" if value is None else formats.number_format(value, 1, use_l10n=True) + "%"


def _hours(value) -> str:
    return "—" if value is None else _("%(hours)s h") % {"hours": formats.number_format(value, 1, use_l10n=True)}


def rate_text(rate: Decimal) -> str:
    """A rate as people write it: 7.1, 0.138, 10 (no trailing zeros, no exponent)."""
    text = f"{rate:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _rates_note(rates: Rates, used: set) -> str:
    """The rates a converted chart used, stated: "1 USD = 7.1 CNY (from 2026-10-01)"."""
    return "; ".join(_("1 %(currency)s = %(rate)s %(reporting)s (from %(day)s)") % {
        "currency": entry["currency"], "rate": rate_text(entry["rate"]),
        "reporting": rates.reporting, "day": formats.date_format(entry["valid_from"], "SHORT_DATE_FORMAT")}
        for entry in rates.stated() if entry["currency"] in used)


def _money_charts(rows, measure: str, rates: Rates, *, label, extra: str | None = None, text=None,
                  limit: int = 15) -> list[dict]:
    """One chart in the reporting currency of the `limit` largest groups, every currency with a rate
    converted into it and added up per group; then one chart per currency that has no rate, on its own
    scale. `label(row)` names a row's group (one group's rows in two currencies become one bar);
    `text(value, extra_value, currency)` writes a bar's value (default: the amount), `extra` naming a second
    measure converted and added up alongside (e.g. what of the outstanding is overdue)."""
    text = text or (lambda value, _extra, currency: money(value, currency))
    combined: dict[str, list[Decimal]] = {}
    converted_from, unconverted = set(), []
    for row in rows:
        value = row.get(measure)
        if not value:
            continue
        converted = rates.convert(value, row["currency"])
        if converted is None:
            unconverted.append(row)
            continue
        if row["currency"] != rates.reporting:
            converted_from.add(row["currency"])
        sums = combined.setdefault(str(label(row)), [Decimal(0), Decimal(0)])
        sums[0] += converted
        if extra:
            sums[1] += rates.convert(row.get(extra) or 0, row["currency"])
    charts = []
    if combined:
        top = sorted(combined.items(), key=lambda item: (-item[1][0], item[0]))[:limit]
        unit = _("%(currency)s, from 0 to the largest bar") % {"currency": rates.reporting}
        if converted_from:
            unit = _("%(currency)s, from 0 to the largest bar; converted at %(rates)s") % {
                "currency": rates.reporting, "rates": _rates_note(rates, converted_from)}
        charts.append({"currency": rates.reporting, "converted": bool(converted_from),
                       **_bars([(name, sums[0], text(sums[0], sums[1], rates.reporting)) for name, sums in top],
                               unit=unit)})
    no_rate: dict[str, list] = {}
    for row in sorted(unconverted, key=lambda row: row[measure], reverse=True):
        if len(no_rate.setdefault(row["currency"], [])) < limit:
            no_rate[row["currency"]].append(row)
    for currency, chart_rows in sorted(no_rate.items()):
        charts.append({"currency": currency, "converted": False, **_bars(
            [(label(row), row[measure], text(row[measure], row.get(extra) if extra else None, currency))
             for row in chart_rows],
            unit=_("%(currency)s on its own scale, from 0 to the largest bar: no rate into %(reporting)s on "
                   "%(day)s") % {"currency": currency, "reporting": rates.reporting,
                                 "day": formats.date_format(rates.day, "SHORT_DATE_FORMAT")})})
    return charts


@staff_page
@require_GET
def overview(request):
    user = request.user
    f = Filters(request)
    period = f.period

    table = _build("figures", user, f)
    rates = rates_on(dt.date.fromisoformat(table.params["as_of"]))
    sales_charts = _money_charts(table.rows, "sales", rates, label=lambda row: row["label"])
    # The page lists the largest groups; grouped by customer there may be thousands (the files hold all).
    shown_rows = sorted(table.rows, key=lambda row: (row["sales"] or 0, row["outstanding"] or 0),
                        reverse=True)[:TABLE_ROWS]
    shown_rows.sort(key=lambda row: (str(row["label"]).lower(), row["currency"]))

    targets = _build("targets", user, f)
    target_chart = _bars([(f"{row['label']} · {row['period']} ({row['currency']})", row["attainment"] or 0,
                           _pct(row["attainment"])) for row in targets.rows],
                         unit=_("attainment as a percentage of the target; the mark is at 100 percent"),
                         peak=max([Decimal(100)] + [row["attainment"] or 0 for row in targets.rows]))
    hundred = f"{100 * 100 / float(max([Decimal(100)] + [row['attainment'] or 0 for row in targets.rows])):.1f}"

    funnel = _build("funnel", user, f)
    steps = funnel.summary["steps"]
    funnel_chart = _bars([(step["label"], step["reached"],
                           _count(step["reached"]) + ("" if step["conversion"] is None else
                                                      " · " + _("%(rate)s of the stage before") % {
                                                          "rate": _pct(step["conversion"])}))
                          for step in steps], unit=_("deals created in the period that reached each stage"))

    lost = _build("lost", user, f)
    reasons_chart = _bars([(row["label"], row["count"], _count(row["count"])) for row in lost.summary["reasons"][:10]],
                          unit=_("lost deals"))

    retention = _build("retention", user, f)
    visits = _build("visits", user, f)
    visits_chart = _bars([(row["name"], row["visit"], _count(row["visit"])) for row in visits.rows],
                         unit=_("visits in the period"))
    quiet = _build("not-contacted", user, f)
    service = _build("service", user, f)
    for row in service.rows:
        row["response_text"], row["resolution_text"] = _hours(row["response_hours"]), _hours(row["resolution_hours"])

    receivable_rows = figures.receivables_top(user=user, limit=RECEIVABLE_ROWS)
    today_rates = rates if rates.day == timezone.localdate() else rates_on(timezone.localdate())
    receivable_charts = _money_charts(
        receivable_rows, "outstanding", today_rates, label=lambda row: row["customer__name"], extra="overdue",
        text=lambda outstanding, overdue, currency: _("%(outstanding)s outstanding, %(overdue)s overdue") % {
            "outstanding": money(outstanding, currency), "overdue": money(overdue, currency)})

    return render(request, "web/reports.html", {
        "section": "reports",
        "form": f.form,
        "period": period,
        "query": request.GET.urlencode(),
        "group_label": GROUP_LABELS[f.by],
        "table": table, "sales_charts": sales_charts, "shown_rows": shown_rows,
        "more_rows": len(table.rows) - len(shown_rows),
        "targets": targets, "target_chart": target_chart, "hundred": hundred,
        "may_set_targets": may_set_targets(user),
        "may_set_rates": may_set_currency_rates(user),
        "reporting_currency": rates.reporting,
        "funnel": funnel, "funnel_chart": funnel_chart,
        "lost": lost, "reasons_chart": reasons_chart,
        "retention": retention,
        "visits": visits, "visits_chart": visits_chart, "quiet": quiet, "days": f.days,
        "service": service,
        "service_hours": {"response": _hours(service.summary.get("response_hours")),
                          "resolution": _hours(service.summary.get("resolution_hours"))},
        "receivable_charts": receivable_charts,
    })


# --- exports ------------------------------------------------------------------------------------------


def _cells(report: crm_reports.Report) -> list[list]:
    """The report's header and rows as the files' cells (plain: text, numbers, ISO dates, "" for None).
    Decimals and ints, most of the cells, are plain already and kept without a call."""
    keys = [key for key, _label in report.columns]
    header = [str(label) for _key, label in report.columns]
    return [header] + [[value if (kind := type(value)) is Decimal or kind is int else plain_cell(_plain(value))
                        for value in map(row.get, keys)] for row in report.rows]


def _plain(value):
    if hasattr(value, "__html__") or type(value).__name__ == "__proxy__":
        return str(value)
    return value


_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_XLSX_PARTS = {
    "[Content_Types].xml": (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'),
    "_rels/.rels": (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Target="xl/workbook.xml" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/>'
        '</Relationships>'),
    "xl/_rels/workbook.xml.rels": (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Target="worksheets/sheet1.xml" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"/>'
        '</Relationships>'),
}
_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def _xlsx_cell(value) -> str:
    if isinstance(value, bool):
        return f'<c t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (int, float, Decimal)):
        return f"<c><v>{value}</v></c>" if value == value else "<c/>"  # NaN: an empty cell
    if value is None or value == "":
        return "<c/>"
    text = xml_escape(_XML_ILLEGAL.sub("", str(value)))
    return f'<c t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


def _xlsx_number(value) -> str:
    # {value!s}: str() is what an empty format spec gives a number, without parsing the spec (3 times cheaper)
    return f"<c><v>{value!s}</v></c>" if value == value else "<c/>"  # NaN: an empty cell


def _xlsx_empty(_value) -> str:
    return "<c/>"


def _xlsx_text(value: str) -> str:
    return _xlsx_cell(safe_cell(value))


def _xlsx_other(value) -> str:
    """A value of any other type (a date, a lazy translation, a bool): made plain as the CSV makes it."""
    value = plain_cell(_plain(value))
    if not isinstance(value, str):
        return _xlsx_cell(value)
    return _xlsx_cell(safe_cell(value))


# The cell writer of each type a report's values usually have, looked up by exact type (a bool is not an
# int here: it goes through _xlsx_other to _xlsx_cell, which writes it as a boolean).
_XLSX_WRITERS = {Decimal: _xlsx_number, int: _xlsx_number, float: _xlsx_number, type(None): _xlsx_empty,
                 str: _xlsx_text}


def _xlsx_report_rows(report: crm_reports.Report) -> list[str]:
    """The report's header and rows as the sheet's <row> elements (the same cells as _cells). A file grouped
    by customer has some 200,000 cells, most of them Decimals: those (and ints) are written inline, one
    f-string each, the rest by their type's writer; text cells repeat (a currency on every row) and are
    written once."""
    keys = [key for key, _label in report.columns]
    header = "<row>" + "".join(_xlsx_cell(safe_cell(str(label))) for _key, label in report.columns) + "</row>"
    texts: dict[str, str] = {}

    def text(value: str) -> str:
        cell = texts.get(value)
        if cell is None:
            cell = texts[value] = _xlsx_text(value)
        return cell

    writers = {**_XLSX_WRITERS, str: text}
    other = _xlsx_other
    pick = itemgetter(*keys) if len(keys) > 1 else (lambda row: (row[keys[0]],))
    lines = [header]
    for row in report.rows:
        try:
            values = pick(row)
        except KeyError:  # a row without some column: empty there, as _cells leaves it
            values = [row.get(key) for key in keys]
        lines.append("<row>" + "".join([
            f"<c><v>{value!s}</v></c>" if (kind := type(value)) is Decimal and value == value or kind is int
            else writers.get(kind, other)(value) for value in values]) + "</row>")
    return lines


def _xlsx(rows: list[list], title: str, *, sheet_rows: list[str] | None = None) -> bytes:
    """The rows as a one-sheet XLSX workbook (Office Open XML, what openpyxl reads and writes): numbers as
    numbers, text inline, formula-looking text made inert (safe_cell). Written directly rather than through
    openpyxl's cell objects, which cost about 30 µs a cell: a file of 20,000 groups took seconds.
    `sheet_rows`: the <row> elements already written (_xlsx_report_rows), instead of `rows`."""
    if sheet_rows is None:
        sheet_rows = ["<row>" + "".join(_xlsx_cell(safe_cell(cell)) for cell in row) + "</row>" for row in rows]
    sheet = "".join(sheet_rows)
    name = xml_escape(re.sub(r"[\[\]:*?/\\]", "-", title)[:31] or "report", {'"': "&quot;"})
    parts = {
        **_XLSX_PARTS,
        "xl/workbook.xml": (
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f'<sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets></workbook>'),
        "xl/worksheets/sheet1.xml": (
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f"<sheetData>{sheet}</sheetData></worksheet>"),
    }
    out = io.BytesIO()
    # Deflated at zlib's fastest level: a sheet of 18,000 rows (5.6 MB of XML) takes a third of the time of
    # the default level (6) and comes out about a quarter larger (650 KB rather than 520).
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for part, xml in parts.items():
            archive.writestr(part, _XML_HEAD + xml)
    return out.getvalue()


@staff_page
@require_GET
def export(request, name: str, fmt: str):
    if fmt not in ("csv", "xlsx"):
        raise NotFound()
    f = Filters(request)
    report = _build(name, request.user, f)
    report_export_record(actor=request.user, report=report, format=fmt)
    filename = f"dossier-{report.name}-{timezone.localdate():%Y%m%d}.{fmt}"
    if fmt == "csv":
        return csv_response(_cells(report), filename=filename)
    body = _xlsx([], report.name, sheet_rows=_xlsx_report_rows(report))
    return file_response([body], content_type=XLSX, filename=filename, length=len(body))


@staff_page
@require_GET
def export_csv(request, name: str):
    return export(request, name, "csv")


# --- targets ---------------------------------------------------------------------------------------


class TargetForm(forms.Form):
    rep = forms.TypedChoiceField(label=gettext_lazy("Rep"), required=False, coerce=int, empty_value=None,
                                 widget=QuickSelect)
    team = forms.TypedChoiceField(label=gettext_lazy("or team"), required=False, coerce=int, empty_value=None,
                                  widget=QuickSelect)
    period = forms.ChoiceField(label=gettext_lazy("Period"), choices=TargetPeriod.choices)
    starts_on = forms.DateField(label=gettext_lazy("Month or quarter starting"),
                                widget=forms.DateInput(attrs={"type": "date"}))
    currency = forms.ChoiceField(label=gettext_lazy("Currency"), choices=Currency.choices)
    amount = forms.DecimalField(label=gettext_lazy("Target (orders signed)"), max_digits=16, decimal_places=2,
                                min_value=Decimal("0.01"))

    def __init__(self, *args, reps, teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rep"].choices = [("", "—")] + list(reps)
        self.fields["team"].choices = [("", "—")] + list(teams)

    def clean(self):
        data = super().clean()
        if bool(data.get("rep")) == bool(data.get("team")):
            self.add_error("rep", _("Choose a rep or a team, not both."))
        return data


@staff_page
@require_http_methods(["GET", "POST"])
def targets(request):
    user = request.user
    if not may_set_targets(user):
        raise NotFound()
    reps, teams = figures.report_people(user=user)
    reps = [(pk, name) for pk, name in reps if pk != user.pk]
    form = TargetForm(request.POST or None, reps=reps, teams=teams,
                      initial={"period": TargetPeriod.QUARTER, "starts_on": figures.current_quarter().date_from,
                               "currency": Currency.CNY})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        rep = User.objects.filter(pk=data["rep"]).first() if data.get("rep") else None
        department = Department.objects.filter(pk=data["team"]).first() if data.get("team") else None
        with Refusal() as refusal:
            sales_target_set(actor=user, rep=rep, department=department, period=data["period"],
                             starts_on=data["starts_on"], currency=data["currency"], amount=data["amount"])
        if not refusal:
            messages.success(request, _("Target saved."))
            return HttpResponseRedirect(reverse("web:report_targets"))
        show_on_form(form, refusal.error)
    return render(request, "web/reports_targets.html", _targets_context(user, form))


def _targets_context(user, form) -> dict:
    year_ago = timezone.localdate() - dt.timedelta(days=366)
    listed = figures.target_attainment(user=user, period=crm_reports.Period(year_ago, None))
    return {"section": "reports", "form": form, "targets": listed}


@staff_page
@require_POST
def target_remove(request, target_id: int):
    target = SalesTarget.objects.filter(pk=target_id).select_related("rep", "department").first()
    if target is None:
        raise NotFound()
    report_outcome(request, lambda: sales_target_remove(actor=request.user, target=target) or _("Target removed."))
    return HttpResponseRedirect(reverse("web:report_targets"))


# --- currency rates ----------------------------------------------------------------------------------


class CurrencyRateForm(forms.Form):
    currency = forms.ChoiceField(label=gettext_lazy("Currency"))
    rate = forms.DecimalField(label=gettext_lazy("Rate"), max_digits=18, decimal_places=8,
                              min_value=Decimal("0.00000001"))
    valid_from = forms.DateField(label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, reporting: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["currency"].choices = [(code, label) for code, label in Currency.choices if code != reporting]
        self.fields["rate"].help_text = _("What one unit of the currency is worth in %(reporting)s.") % {
            "reporting": reporting}


@staff_page
@require_http_methods(["GET", "POST"])
def rates(request):
    """The reports' currency rate table: every member of staff reads it (the charts state the rates they
    use); administrators set and remove rates."""
    user = request.user
    may_set = may_set_currency_rates(user)
    reporting = settings.REPORTING_CURRENCY
    form = CurrencyRateForm(request.POST or None, reporting=reporting,
                            initial={"valid_from": figures.current_quarter().date_from}) if may_set else None
    if request.method == "POST":
        if form is None:
            raise NotFound()
        if form.is_valid():
            data = form.cleaned_data
            with Refusal() as refusal:
                currency_rate_set(actor=user, currency=data["currency"], rate=data["rate"],
                                  valid_from=data["valid_from"])
            if not refusal:
                messages.success(request, _("Rate saved."))
                return HttpResponseRedirect(reverse("web:report_rates"))
            show_on_form(form, refusal.error)
    return render(request, "web/reports_rates.html", {
        "section": "reports", "form": form, "may_set_rates": may_set, "reporting_currency": reporting,
        "rates": [(rate, rate_text(rate.rate)) for rate in currency_rates_list()],
        "in_force": [{**entry, "text": rate_text(entry["rate"])} for entry in rates_on(timezone.localdate()).stated()],
    })


@staff_page
@require_POST
def rate_remove(request, rate_id: int):
    rate = CurrencyRate.objects.filter(pk=rate_id).first()
    if rate is None or not may_set_currency_rates(request.user):
        raise NotFound()
    report_outcome(request, lambda: currency_rate_remove(actor=request.user, rate=rate) or _("Rate removed."))
    return HttpResponseRedirect(reverse("web:report_rates"))
