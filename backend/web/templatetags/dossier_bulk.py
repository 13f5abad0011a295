"""`{% bulk_bar %}`: the bulk bar over a list of documents (web/partials/bulk_bar.html), with what it needs
from backend.web.views.document_bulk.bar_context; the way back is the page it is drawn on. The page loads
web/bulk.js and web/bulk.css, and gives each row <input type="checkbox" name="document" value="ID"
form="bulk-form" class="bulk-pick">."""

from django import template

register = template.Library()


@register.inclusion_tag("web/partials/bulk_bar.html", takes_context=True)
def bulk_bar(context):
    from backend.web.views.document_bulk import bar_context

    request = context["request"]
    return {"request": request, "csrf_token": context.get("csrf_token"), **bar_context(request)}
