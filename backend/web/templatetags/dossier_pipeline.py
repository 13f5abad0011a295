"""The pipeline board's cards, written in Python: a board of 180 cards (30 a column) each with a move form
and an in-place edit form was ~35,000 template nodes a request, most of the board's time. One tag call a
column; the markup is the one the template had (the board's script and the tests read its data- attributes).
"""

from __future__ import annotations

from django import template
from django.template.defaultfilters import date as date_filter
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, pgettext

from backend.web.templatetags.dossier_ui import id_url, money

register = template.Library()

_CARD_HEAD = (
    '<article class="card" data-card="{pk}" {draggable}>'
    '<div class="title"><a href="{url}" data-testid="card-link-{pk}">{title}</a></div>'
    '<div class="meta"><a href="{customer_url}">{customer}</a></div>'
    '<div class="meta">{amount} · <span data-testid="card-probability-{pk}">{probability}%</span> · {owner}</div>'
    '<div class="meta">{t_close}: <span data-testid="card-close-{pk}">{close}</span></div>'
    '{lost_reason}'
)
_MOVE_FORM = (
    '<form method="post" action="{url}" data-move hx-post="{url}" hx-target="#board-wrap" hx-swap="outerHTML">'
    '{csrf}{mine}<input type="hidden" name="lost_reason" value="">'
    '<select name="stage" aria-label="{t_move_to}">{options}</select>'
    '<button class="btn btn-sm" type="submit">{t_move}</button></form>'
)
_DETAILS_FORM = (
    '<details data-testid="card-edit-{pk}"><summary>{t_details}</summary>'
    '<form method="post" action="{url}" hx-post="{url}" hx-target="#board-wrap" hx-swap="outerHTML">'
    '{csrf}{mine}'
    '<label for="prob-{pk}">{t_probability}</label>'
    '<input type="number" id="prob-{pk}" name="probability" min="0" max="100" step="1" value="{probability}" required>'
    '<label for="close-{pk}">{t_expected_close}</label>'
    '<input type="date" id="close-{pk}" name="expected_close" value="{close_iso}">'
    '<button class="btn btn-sm" type="submit" data-testid="card-save-{pk}">{t_save}</button>'
    '</form></details>'
)


@register.simple_tag(takes_context=True)
def pipeline_cards(context, cards) -> SafeString:
    """Every card of one column: its deal, and for a deal the user may change, the move form (every stage,
    its own selected) and, while open, the probability and close date form."""
    if not cards:
        return mark_safe("")
    changeable = context["changeable"]
    closed_stages = context["closed_stages"]
    stage_options = context["stage_options"]
    csrf = format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', str(context["csrf_token"]))
    mine = mark_safe('<input type="hidden" name="mine" value="1">') if context.get("mine") else ""
    texts = {
        "t_move_to": gettext("Move to stage"), "t_move": gettext("Move"),
        "t_details": gettext("Probability and close date"), "t_probability": gettext("Probability (%)"),
        "t_expected_close": gettext("Expected close"), "t_save": gettext("Save"),
    }
    t_close = pgettext("expected close date", "Close")
    parts = []
    for o in cards:
        pk = o.pk
        may_change = pk in changeable
        parts.append(format_html(
            _CARD_HEAD, pk=pk, draggable=mark_safe('draggable="true"') if may_change else "",
            url=id_url(pk, "web:opportunity"), title=o.title,
            customer_url=id_url(o.customer_id, "web:customer"), customer=str(o.customer),
            amount=money(o.amount, o.currency), probability=o.probability, owner=str(o.owner), t_close=t_close,
            close=date_filter(o.expected_close, "SHORT_DATE_FORMAT") if o.expected_close else "—",
            lost_reason=format_html('<div class="meta">{}</div>', o.lost_reason) if o.lost_reason else ""))
        if may_change:
            parts.append(format_html(_MOVE_FORM, url=id_url(pk, "web:pipeline_move"), csrf=csrf, mine=mine,
                                     t_move_to=texts["t_move_to"], options=stage_options.get(o.stage, ""),
                                     t_move=texts["t_move"]))
            if o.stage not in closed_stages:
                parts.append(format_html(
                    _DETAILS_FORM, pk=pk, url=id_url(pk, "web:pipeline_card_details"), csrf=csrf, mine=mine,
                    probability=o.probability,
                    close_iso=o.expected_close.isoformat() if o.expected_close else "", **{
                        key: texts[key] for key in ("t_details", "t_probability", "t_expected_close", "t_save")}))
        parts.append(mark_safe("</article>"))
    return mark_safe("".join(parts))
