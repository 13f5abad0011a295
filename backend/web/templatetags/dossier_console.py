"""The compliance console's event rows, written in Python: the audit log, "what did a user access" and "who
opened a document" each show up to 50 events, and the table's template (a dozen lookups, filters, a
{% url %} and a tag per row) was most of what those pages cost beyond their SQL. One tag call a table;
the markup is the one `web/compliance/_events.html` had.
"""

from __future__ import annotations

from django import template
from django.template.defaultfilters import truncatechars
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from backend.common.display_time import display_instant
from backend.web.templatetags.dossier_ui import id_url, outcome_badge

register = template.Library()

_ROW = (
    '<tr><td class="mono small"><a href="{event_url}">{id}</a></td>'
    '<td class="small nowrap" data-testid="event-time">{when}</td>'
    '<td>{actor}</td>'
    '<td class="small">{label}</td>'
    '<td class="small">{target}</td>'
    '<td class="small">{customer}</td>'
    '<td>{outcome}</td>'
    '<td class="mono small">{ip}</td></tr>'
)


@register.simple_tag
def audit_event_rows(events) -> SafeString:
    """A <tr> per event (linked by backend.web.views.compliance.linked_events): its number, time in the display
    zone, who (linked to their access page), the action's label, the target (linked, with its document's
    access log), the customer and the outcome."""
    trail_title, trail_text = gettext("Who opened this document"), gettext("access log")
    rows, badges = [], {}
    for e in events:
        if e.outcome not in badges:
            badges[e.outcome] = outcome_badge(e.outcome)
        actor_name = e.actor_name or "—"
        actor = (format_html('<a href="{}" data-testid="event-actor">{}</a>', e.actor_url, actor_name)
                 if e.actor_url else actor_name)
        if e.target_type:
            shown = truncatechars(e.target_label_shown, 60)
            target = format_html(
                '<span class="muted">{}{}</span> {} {}',
                e.target_type_label, f" #{e.target_id}" if e.target_id else "",
                format_html('<a href="{}" data-testid="event-target">{}</a>', e.target_url, shown)
                if e.target_url else shown,
                format_html('<a class="muted" href="{}" title="{}">{}</a>', e.trail_url, trail_title, trail_text)
                if e.trail_url else "")
        else:
            target = "—"
        customer = (format_html('<a href="{}">{}</a>', e.customer_url, e.customer_name) if e.customer_url
                    else e.customer_name or "—")
        rows.append(format_html(
            _ROW, event_url=id_url(e.id, "web:audit_event"), id=e.id,
            when=display_instant(e.occurred_at) if e.occurred_at else "—", actor=actor, label=e.event_label,
            target=target, customer=customer, outcome=badges[e.outcome], ip=e.ip or "—"))
    return mark_safe("".join(rows))
