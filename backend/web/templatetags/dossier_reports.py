"""The reports page's long tables and bar charts, written in Python: an administrator's page has a row per
rep (100 and more) in four tables and a bar per rep in a chart, each cell a filter call and a few nodes in
the template, about a fifth of the page's time. One tag call a table body or chart; the markup is the one
the templates had (web/reports.html, web/reports_bars.html). The shorter tables, the key figures and each
figure's file links followed (another 4 ms of a demo administrator's 10 ms of template), so every row the
page repeats is written here; web/reports.html keeps the page's frame and its fixed text."""

from __future__ import annotations

import html
import re

from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import get_script_prefix, reverse
from django.utils import formats
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from backend.web.templatetags.dossier_ui import money_in, number_in, separators

register = template.Library()


_TO_ESCAPE = re.compile(r"[&<>\"']").search


def escaped(value) -> str:
    """conditional_escape() without its lazy-argument wrapper (thousands of cells a page): a safe value as
    it is, anything else as text with &, <, >, " and ' escaped, exactly as Django escapes them. A plain
    str without any of them (most names) and an int are written as they are, without html.escape's five
    replacements (half the cost of the rep picker's thousand options)."""
    kind = type(value)
    if kind is str:
        return html.escape(value) if _TO_ESCAPE(value) else value
    if kind is int:
        return str(value)
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(str(value))


def _text(value) -> str:
    """A value as the template printed it ({{ value }}: escaped, None as "None")."""
    return escaped(value)


def _rate(value, marks) -> str:
    return "—" if value is None else number_in(value, 1, marks) + "%"


_FIGURE_MONEY = ("sales", "collected", "invoiced", "outstanding", "overdue", "expenses", "margin")


def _figures(rows, marks) -> list[str]:
    out = []
    for row in rows:
        currency = row["currency"]
        cells = "".join(f'<td class="num">{money_in(row[name], currency, marks)}</td>' for name in _FIGURE_MONEY)
        out.append(f'<tr><td>{_text(row["label"])}</td><td>{_text(currency)}</td>'
                   f'<td class="num">{number_in(row["orders"], 0, marks)}</td>{cells}</tr>')
    return out


def _retention(rows, marks) -> list[str]:
    return [f'<tr><td>{_text(row["rep"])}</td><td class="num">{row["new"]}</td><td class="num">{row["active"]}</td>'
            f'<td class="num">{row["retained"]}</td><td class="num">{row["lost"]}</td>'
            f'<td class="num">{_rate(row["retention_rate"], marks)}</td></tr>' for row in rows]


def _visits(rows, marks) -> list[str]:
    return [f'<tr><td>{_text(row["name"])}</td><td class="num">{row["visit"]}</td><td class="num">{row["call"]}</td>'
            f'<td class="num">{row["email"]}</td><td class="num">{row["total"]}</td>'
            f'<td class="num">{row["customers"]}</td></tr>' for row in rows]


def _lost(summary, marks) -> list[str]:
    out = []
    for key, label in (("by_rep", gettext("Rep")), ("by_product", gettext("Product")),
                       ("by_competitor", gettext("Competitor"))):
        prefix = conditional_escape(label)
        out += [f'<tr><td>{prefix}: {_text(row["label"])}</td><td class="num">{row["won"]}</td>'
                f'<td class="num">{row["lost"]}</td><td class="num">{number_in(row["lost_rate"], 1, marks)}%</td></tr>'
                for row in summary[key]]
    return out


def _localized(value) -> str:
    """A value as {{ value }} printed it: dates and numbers in the active language's format, escaped. An
    int under 1,000 (a count) is its digits in either language, written without localize()'s lookups."""
    if type(value) is int and -1000 < value < 1000:
        return str(value)
    return escaped(formats.localize(value))


def _or(value, default) -> str:
    """{{ value|default:default }}: the default (translated text, escaped) for a false value."""
    return _localized(value) if value else escaped(default)


def _targets(rows, marks) -> list[str]:
    return [f'<tr><td>{_text(row["label"])}</td><td>{_text(row["period"])}</td>'
            f'<td class="num">{money_in(row["target"], row["currency"], marks)}</td>'
            f'<td class="num">{money_in(row["achieved"], row["currency"], marks)}</td>'
            f'<td class="num" data-testid="attainment">{_rate(row["attainment"], marks)}</td></tr>' for row in rows]


def _open_deals(rows, marks) -> list[str]:
    """The funnel's open deals by stage (its summary's "open" rows)."""
    return [f'<tr><td>{_text(row["label"])}</td><td class="num">{number_in(row["count"], 0, marks)}</td>'
            f'<td class="num">{money_in(row["amount"], row["currency"], marks)}</td>'
            f'<td class="num">{money_in(row["weighted"], row["currency"], marks)}</td></tr>' for row in rows]


def _quiet(rows, marks) -> list[str]:
    """The customers not contacted for longest, each linked to its page."""
    never = gettext("never")
    return [f'<tr><td><a href="{_customer_path(row["id"])}">{_text(row["name"])}</a></td><td>{_text(row["rep"])}</td>'
            f'<td>{_or(row["last_contact"], never)}</td></tr>' for row in rows]


def _service(rows, marks) -> list[str]:
    no_product = gettext("(no product)")
    return [f'<tr><td>{_or(row["product"], no_product)}</td><td>{_text(row["type_label"])}</td>'
            f'<td class="num">{_localized(row["records"])}</td><td class="num">{_localized(row["complaints"])}</td>'
            f'<td class="num">{_text(row["response_text"])}</td><td class="num">{_text(row["resolution_text"])}</td>'
            f'<td class="num">{_or(row["satisfaction"], "—")}</td></tr>' for row in rows]


def _kpis(summary, marks) -> list[str]:
    """The figures' key numbers, four a currency (the margin only where expenses are known)."""
    labels = [conditional_escape(gettext(text)) for text in ("Sales", "Collected", "Overdue", "Margin after expenses")]
    out = []
    for s in summary:
        currency = _text(s["currency"])
        out.append(
            f'\n    <div class="kpi"><div class="label">{labels[0]} ({currency})</div><div class="value" '
            f'data-testid="kpi-sales-{currency}">{money_in(s["sales"], s["currency"], marks)}</div></div>\n'
            f'    <div class="kpi"><div class="label">{labels[1]} ({currency})</div><div class="value">'
            f'{money_in(s["collected"], s["currency"], marks)}</div></div>\n'
            f'    <div class="kpi bad"><div class="label">{labels[2]} ({currency})</div><div class="value">'
            f'{money_in(s["overdue"], s["currency"], marks)}</div></div>\n    ')
        if s.get("expenses") is not None:
            out.append(f'<div class="kpi"><div class="label">{labels[3]} ({currency})</div><div class="value">'
                       f'{money_in(s["margin"], s["currency"], marks)}</div></div>')
        out.append("\n  ")
    return out


_TABLES = {"figures": _figures, "retention": _retention, "visits": _visits, "lost": _lost, "targets": _targets,
           "open": _open_deals, "quiet": _quiet, "service": _service, "kpis": _kpis}


@register.simple_tag
def report_rows(kind: str, rows) -> SafeString:
    """The body rows of one of the page's tables (`kind`: figures, retention, visits, targets, quiet (not
    contacted), service; lost, given the lost report's summary; open, the funnel's open deals; kpis, the
    figures' summary as key numbers)."""
    return mark_safe("".join(_TABLES[kind](rows, separators())))


# The paths of the patterns these tags link to, reversed once per argument and script prefix.
_PATHS: dict[tuple, str] = {}
_CUSTOMER_SENTINEL = 987654321


@receiver(setting_changed)
def _forget_paths(**kwargs) -> None:
    _PATHS.clear()


def _path(name: str, *args) -> str:
    key = (name, args, get_script_prefix())
    path = _PATHS.get(key)
    if path is None:
        path = _PATHS[key] = reverse(name, args=args)
    return path


def _customer_path(customer_id) -> str:
    prefix, _sentinel, suffix = _path("web:customer", _CUSTOMER_SENTINEL).partition(str(_CUSTOMER_SENTINEL))
    return f"{prefix}{int(customer_id)}{suffix}"


@register.simple_tag
def report_files(name: str, what, query: str) -> SafeString:
    """The CSV and XLSX links of one figure (`name`), with the page's filters (`query`); `what` names the
    figure for screen readers."""
    query, what = escaped(query), escaped(what)
    return mark_safe(
        f'<span class="report-files"><a class="btn btn-sm" href="{escaped(_path("web:report_csv", name))}?{query}" '
        f'data-testid="csv-{escaped(name)}">CSV<span class="visually-hidden"> · {what}</span></a> '
        f'<a class="btn btn-sm" href="{escaped(_path("web:report_xlsx", name))}?{query}" '
        f'data-testid="xlsx-{escaped(name)}">XLSX<span class="visually-hidden"> · {what}</span></a></span>')


@register.simple_tag
def report_bars(chart, title="", marker="", tone="") -> SafeString:
    """A chart of horizontal bars: a label (its full text on hover), the bar on the chart's one scale, the
    value written out, and the scale stated under it."""
    if not chart or not chart.get("bars"):
        return mark_safe("")
    title_text = conditional_escape(title) if title else ""
    mark = format_html('<span class="hbars-mark" style="left:{}%"></span>', marker) if marker else ""
    tone_class = f" {conditional_escape(tone)}" if tone else ""
    rows = []
    for bar in chart["bars"]:
        label = _text(bar["label"])
        rows.append(f'\n    <li class="hbars-row"><span class="hbars-label" title="{label}">{label}</span>'
                    f'<span class="hbars-track">{mark}<span class="hbars-bar{tone_class}" '
                    f'style="width:{_text(bar["width"])}%"></span></span>'
                    f'<span class="hbars-value">{_text(bar["text"])}</span></li>')
    aria = f' aria-label="{title_text}"' if title else ""
    caption = f'<figcaption class="hbars-title">{title_text}</figcaption>' if title else ""
    return mark_safe(f'<figure class="hbars"{aria}>\n  {caption}\n  <ol class="hbars-rows">{"".join(rows)}\n  </ol>\n'
                     f'  <p class="hbars-scale">{conditional_escape(gettext("Scale:"))} {_text(chart["unit"])}</p>\n'
                     f'</figure>')
