"""The announcements page's cards, written in Python: up to 100 announcements, each naming its customers
and offering its publish or withdraw form, were the page's largest template loop. One tag call for the
list; the markup is the one `web/announcements.html` had.
"""

from __future__ import annotations

from django import template
from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import linebreaksbr, truncatechars
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime
from django.utils.translation import gettext

from backend.web.templatetags.dossier_ui import id_url

register = template.Library()

_CARD = (
    '<article class="card" data-testid="announcement-{pk}">'
    '<div class="title">{title} {state}</div>'
    '<div class="meta">{audience}</div>'
    '<div class="meta">{author} · {created}{published}</div>'
    '<div class="small">{body}</div>'
    '{form}'
    '</article>'
)
_FORM = ('<form method="post" action="{}">{}<button class="btn btn-sm{}" type="submit" data-testid="{}-{}">{}'
         '</button></form>')


@register.simple_tag(takes_context=True)
def announcement_cards(context, announcements) -> SafeString:
    """Each announcement: its title and state, whom it is for, who wrote it and when (and when it was
    published), its text, and publish or withdraw for those who may change it."""
    changeable = context["changeable"]
    csrf = format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', str(context["csrf_token"]))
    published_badge = format_html('<span class="badge badge-ok">{}</span>', gettext("published"))
    draft_badge = format_html('<span class="badge">{}</span>', gettext("draft"))
    t_all, t_for = gettext("For all customers"), gettext("For")
    t_withdraw, t_publish = gettext("Withdraw"), gettext("Publish")
    parts = []
    for a in announcements:
        if a.all_customers:
            audience = t_all
        else:
            audience = format_html("{}: {}", t_for, format_html_join(", ", "{}", ((c.name,) for c in a.customers.all())))
        published = ""
        if a.published_at:
            published = format_html(" · {}", gettext("published %(when)s") % {
                "when": date_filter(template_localtime(a.published_at), "SHORT_DATETIME_FORMAT")})
        form = ""
        if a.pk in changeable:
            if a.published_at:
                form = format_html(_FORM, id_url(a.pk, "web:announcement_step,withdraw"), csrf, "", "withdraw",
                                   a.pk, t_withdraw)
            else:
                form = format_html(_FORM, id_url(a.pk, "web:announcement_step,publish"), csrf, " btn-primary",
                                   "publish", a.pk, t_publish)
        parts.append(format_html(
            _CARD, pk=a.pk, title=a.title, state=published_badge if a.published_at else draft_badge,
            audience=audience, author=str(a.created_by),
            created=date_filter(template_localtime(a.created_at), "SHORT_DATETIME_FORMAT"), published=published,
            body=linebreaksbr(truncatechars(a.body, 400), autoescape=True), form=form))
    return mark_safe("".join(parts))
