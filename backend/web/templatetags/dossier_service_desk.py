"""The service desk's cards, written in Python: up to 30 cards a state with their step forms were ~17,000
template nodes a request, half of the desk's time on bench/pages.py's large world. One tag call a column;
the markup is the one `web/service_desk.html` had.
"""

from __future__ import annotations

from django import template
from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import truncatechars
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime
from django.utils.translation import gettext

from backend.web.templatetags.dossier_ui import badge, choice, id_url

register = template.Library()

_HEAD = (
    '<article class="card">'
    '<div class="title"><a href="{url}">{title}</a></div>'
    '<div class="meta"><a href="{customer_url}">{customer}</a></div>'
    '{portal}'
    '<div class="meta">{type} · {priority} · {created}</div>'
    '{clock}{engineer}{resolution}{form}'
    '</article>'
)


@register.simple_tag(takes_context=True)
def service_desk_cards(context, records) -> SafeString:
    """Every card of one dispatch state: the record, its clocks, and the next step's form for those who may
    take it (dispatch with the engineer list, confirm for the engineer dispatched, resolve, close)."""
    if not records:
        return mark_safe("")
    changeable, clocks, user = context["changeable"], context["clocks"], context["user"]
    engineer_options = context["engineer_options"]
    csrf = format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', str(context["csrf_token"]))
    t_engineer = gettext("Engineer")
    t_from_portal, t_complaint = gettext("from the portal"), gettext("complaint")
    t = {"Engineer…": gettext("Engineer…"), "Dispatch": gettext("Dispatch"), "Confirm": gettext("Confirm"),
         "How was it resolved?": gettext("How was it resolved?"), "Resolution": gettext("Resolution"),
         "Resolve": gettext("Resolve"), "Close": gettext("Close")}
    parts = []
    for r in records:
        portal = ""
        if r.from_portal:
            complaint = (format_html(' · <a href="{}">{}</a>', id_url(r.complaint_about_id, "web:service_record"),
                                     t_complaint) if r.complaint_about_id else "")
            portal = format_html(
                '<div class="meta"><span class="badge badge-info" data-testid="from-portal-{}">{}</span> {}{}</div>',
                r.pk, t_from_portal, gettext("raised by %(name)s") % {"name": r.created_by}, complaint)
        form = ""
        if r.pk in changeable:
            state = r.dispatch_state
            if state == "not_dispatched":
                form = format_html(
                    '<form method="post" action="{}">{}<select name="engineer" aria-label="{}" required>'
                    '<option value="">{}</option>{}</select> <button class="btn btn-sm btn-primary" type="submit">{}'
                    '</button></form>', id_url(r.pk, "web:service_step,dispatch"), csrf, t_engineer,
                    t["Engineer…"], engineer_options, t["Dispatch"])
            elif state == "dispatched" and r.engineer_id == user.pk:
                form = format_html('<form method="post" action="{}">{}<button class="btn btn-sm btn-primary" '
                                   'type="submit">{}</button></form>', id_url(r.pk, "web:service_step,confirm"),
                                   csrf, t["Confirm"])
            elif state == "confirmed":
                form = format_html(
                    '<form method="post" action="{}">{}<input type="text" name="resolution" required '
                    'placeholder="{}" aria-label="{}"> <button class="btn btn-sm btn-primary" type="submit">{}'
                    '</button></form>', id_url(r.pk, "web:service_step,resolve"), csrf,
                    t["How was it resolved?"], t["Resolution"], t["Resolve"])
            elif state == "resolved":
                form = format_html('<form method="post" action="{}">{}<button class="btn btn-sm" type="submit">{}'
                                   '</button></form>', id_url(r.pk, "web:service_step,close"), csrf,
                                   t["Close"])
        parts.append(format_html(
            _HEAD, url=id_url(r.pk, "web:service_record"), title=r.title,
            customer_url=id_url(r.customer_id, "web:customer"), customer=str(r.customer), portal=portal,
            type=choice(r, "type"), priority=badge(r.priority, choice(r, "priority")),
            created=date_filter(template_localtime(r.created_at), "SHORT_DATE_FORMAT"), clock=clocks.get(r.pk) or "",
            engineer=format_html('<div class="meta">{}: {}</div>', t_engineer, r.engineer) if r.engineer else "",
            resolution=(format_html('<div class="meta">{}</div>', truncatechars(r.resolution, 120))
                        if r.resolution else ""),
            form=form))
    return mark_safe("".join(parts))
