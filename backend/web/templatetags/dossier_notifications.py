"""The header's inbox link with its unread count, and the watch toggle of the document and customer pages."""

from __future__ import annotations

from django import template

from backend.notifications.selectors import contact_email_consents, is_watching, unread_count

register = template.Library()


@register.inclusion_tag("web/partials/inbox_link.html", takes_context=True)
def inbox_link(context):
    request = context.get("request")
    user = getattr(request, "user", None)
    return {"unread": unread_count(user=user) if user is not None else 0,
            "current": context.get("section") == "inbox"}


@register.inclusion_tag("web/partials/watch_toggle.html", takes_context=True)
def watch_toggle(context, document=None, customer=None):
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return {"show": False}
    watching = is_watching(user=user, document=document, customer=customer)
    return {"show": True, "watching": watching, "csrf_token": context.get("csrf_token"),
            "document": document, "customer": customer,
            "next": request.get_full_path()}


@register.inclusion_tag("web/partials/contact_email_consent.html", takes_context=True)
def contact_email_consent(context, contact, can_change=False):
    """A contact's consent to e-mails (and the toggle); the consents of all the customer's contacts are read in
    one query, the first time the page asks."""
    cache = context.render_context.setdefault("contact_email_consents", {})
    if contact.customer_id not in cache:
        cache[contact.customer_id] = contact_email_consents(customer_id=contact.customer_id)
    consent = cache[contact.customer_id].get(contact.pk)
    return {"contact": contact, "consented": bool(consent and consent.consented),
            "withdrawn_at": consent.withdrawn_at if consent else None,
            "can_change": can_change, "csrf_token": context.get("csrf_token")}
