"""The reports page's long tables and bar charts, written in Python: an administrator's page has a row per
rep (100 and more) in four tables and a bar per rep in a chart, each cell a filter call and a few nodes in
the template, about a fifth of the page's time. One tag call a table body or chart; the markup is the one
the templates had (web/reports.html, web/reports_bars.html)."""

from __future__ import annotations

import html

from django import template
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from backend.web.templatetags.dossier_ui import money_in, number_in, separators

register = template.Library()


def escaped(value) -> str:
    """conditional_escape() without its lazy-argument wrapper (thousands of cells a page): a safe value as
    it is, anything else as text with &, <, >, " and ' escaped, exactly as Django escapes them."""
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


_TABLES = {"figures": _figures, "retention": _retention, "visits": _visits, "lost": _lost}


@register.simple_tag
def report_rows(kind: str, rows) -> SafeString:
    """The body rows of one of the page's tables (`kind`: figures, retention, visits, or lost, given the
    lost report's summary)."""
    return mark_safe("".join(_TABLES[kind](rows, separators())))


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
