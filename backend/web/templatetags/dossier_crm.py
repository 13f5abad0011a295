"""Rows of the customer page's quote history, made in Python.

A customer with a long history shows up to five lines per product (100 rows at bench/pages.py's 10,000
customers): as template markup each row was ~15 node renders (about 1,300 of the page's 2,100). One tag
call per row gives the same HTML.
"""

from __future__ import annotations

from html import escape

from django import template
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.timezone import template_localtime
from django.utils.translation import gettext

from backend.web.templatetags.dossier_ui import badge, choice, id_url, money_in, number_in, separators

register = template.Library()


def _quote_cells(quote, line, texts: dict) -> tuple:
    """The cells of a row that depend only on its quote (date, link, rep, status, document), made once per
    quote: a quote's lines sit in several products' groups, so each quote shows on up to five rows."""
    if quote.document_id and line.document_downloadable:
        version = quote.document.valid_version
        document = format_html(
            '<a class="btn btn-sm" href="{}" data-testid="quote-doc-{}">{}{}</a> <a class="small" href="{}">{}</a>',
            id_url(quote.document_id, "web:document_download"), quote.number, texts["valid"],
            f" (v{version.number})" if version else "", id_url(quote.document_id, "web:document"), texts["open"])
    elif quote.document_id:
        document = format_html('<span class="muted small">{}</span>', texts["not_shared"])
    else:
        document = mark_safe('<span class="muted small">—</span>')
    head = format_html(
        '<td class="small">{}</td><td><a href="{}" data-testid="quote-link-{}"><strong>{}</strong></a></td><td>{}</td>',
        date_format(template_localtime(quote.created_at), "SHORT_DATE_FORMAT"),
        id_url(quote.pk, "web:quote"), quote.number, quote.number, quote.owner)
    tail = format_html("<td>{}</td><td>{}</td>", badge(quote.status, choice(quote, "status")), document)
    return head, tail


def _row_state(context) -> dict:
    """What every row of one page's quote history shares: the texts (translated once), the separators of the
    active language (asked once) and each quote's cells (made once)."""
    state = context.render_context.get("quote_history")
    if state is None:
        state = context.render_context["quote_history"] = {
            "texts": {"valid": gettext("Valid version"), "open": gettext("open"),
                      "not_shared": gettext("not shared with you")},
            "marks": separators(),
            "cells": {},
        }
    return state


@register.simple_tag(takes_context=True)
def quote_history_row(context, line, last):
    """One <tr> of the quote history: `line` (a QuoteLine with its quote, owner and document, and
    `document_downloadable`), `last` the product's last accepted price (or None) to mark its row.

    Made with an f-string: the quote's cells are already safe HTML, and the three figures are escaped
    as format_html would escape them (for 100 rows, format_html's argument handling was most of the cost)."""
    state = _row_state(context)
    quote = line.quote
    # keyed by the quote and what its document cell depends on (the same for every line of one quote)
    key = (quote.pk, bool(line.document_downloadable))
    cells = state["cells"].get(key)
    if cells is None:
        cells = state["cells"][key] = _quote_cells(quote, line, state["texts"])
    head, tail = cells
    marks = state["marks"]
    current = ' class="current"' if last and quote.number == last["quote_number"] else ""
    return mark_safe(
        f'<tr{current}>{head}<td class="num">{escape(number_in(line.quantity, 0, marks))}</td>'
        f'<td class="num">{escape(money_in(line.unit_price, quote.currency, marks))}</td>'
        f'<td class="num">{escape(number_in(line.discount_percent, 1, marks))}%</td>{tail}</tr>'
    )
