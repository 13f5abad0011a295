"""The inbox (a user's notifications: read/unread, links, mark all read), the notification preferences page,
and the watch toggles of the document and customer pages.

Everything here is the signed-in user's own: another user's notification answers 404, like a missing one.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from backend.crm.selectors.customers import contact_get_visible, customer_get_visible
from backend.documents import services as document_services
from backend.access.policy import Action
from backend.notifications import services
from backend.notifications.customers import contact_email_consent_set
from backend.notifications.kinds import Delivery, is_registered
from backend.notifications.selectors import delivery_choices, inbox_for, preferences_for
from backend.ui.errors import Refusal
from backend.web.pages import staff_page


@staff_page
@require_GET
def inbox(request):
    unread_only = request.GET.get("show") == "unread"
    rows = inbox_for(user=request.user, unread_only=unread_only)
    return render(request, "web/inbox.html", {
        "section": "inbox",
        "notifications": rows,
        "unread_only": unread_only,
        "any_unread": any(row.read_at is None for row in rows) or unread_only and bool(rows),
    })


@staff_page
@require_GET
def inbox_open(request, notification_id: int):
    """Follow a notification's link, marking it read on the way."""
    row = services.notification_mark_read(actor=request.user, notification_id=notification_id)
    return redirect(row.link or "web:inbox")


@staff_page
@require_POST
def inbox_mark_read(request, notification_id: int):
    services.notification_mark_read(actor=request.user, notification_id=notification_id)
    return redirect("web:inbox")


@staff_page
@require_POST
def inbox_mark_all_read(request):
    count = services.notifications_mark_all_read(actor=request.user)
    if count:
        messages.success(request, _("All notifications are marked read."))
    return redirect("web:inbox")


@staff_page
@require_http_methods(["GET", "POST"])
def notification_preferences(request):
    user = request.user
    if request.method == "POST":
        choices = {}
        for key, value in request.POST.items():
            if key.startswith("kind:") and is_registered(key[5:]) and value in Delivery.ALL:
                choices[key[5:]] = value
        with Refusal() as refusal:
            changed = services.preferences_set(actor=user, choices=choices)
        if refusal:
            messages.error(request, refusal.message)
        elif changed:
            messages.success(request, _("Your notification preferences are saved."))
        else:
            messages.info(request, _("Nothing changed."))
        return redirect("web:notification_preferences")
    return render(request, "web/notification_preferences.html", {
        "section": "inbox",
        "groups": preferences_for(user=user),
        "choices": delivery_choices(),
        "has_email": bool(user.email),
    })


def _back(request, fallback: str):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                 require_https=request.is_secure()):
        return redirect(target)
    return redirect(fallback)


@staff_page
@require_POST
def document_watch(request, document_id: int):
    document = document_services.document_get_for_action(actor=request.user, document_id=document_id,
                                                         action=Action.VIEW)
    watching = request.POST.get("watch") == "1"
    services.watch_set(actor=request.user, document=document, watching=watching)
    messages.success(request, _("You are watching this document: new versions and approvals reach your inbox.")
                     if watching else _("You no longer watch this document."))
    return _back(request, document_url(document.pk))


@staff_page
@require_POST
def customer_watch(request, customer_id: int):
    customer = customer_get_visible(user=request.user, customer_id=customer_id)
    watching = request.POST.get("watch") == "1"
    services.watch_set(actor=request.user, customer=customer, watching=watching)
    messages.success(request, _("You are watching this customer: new versions and approvals of its documents reach your inbox.")
                     if watching else _("You no longer watch this customer."))
    return _back(request, reverse("web:customer", args=[customer.pk]))


@staff_page
@require_POST
def contact_email_consent(request, customer_id: int, contact_id: int):
    """Record that a contact agreed to (or withdrew from) our e-mails about their orders, service and shares."""
    contact = contact_get_visible(user=request.user, customer_id=customer_id, contact_id=contact_id)
    consented = request.POST.get("consented") == "1"
    with Refusal() as refusal:
        contact_email_consent_set(actor=request.user, contact=contact, consented=consented)
    if refusal:
        messages.error(request, refusal.message)
    elif consented:
        messages.success(request, _("%(name)s now receives e-mails about their orders, service requests and documents.")
                         % {"name": contact.name})
    else:
        messages.success(request, _("%(name)s no longer receives e-mails from us.") % {"name": contact.name})
    return redirect("web:customer", customer_id=customer_id)


def document_url(document_id: int) -> str:
    return reverse("web:document", args=[document_id])
