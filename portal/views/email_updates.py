"""A contact's own choice to receive our e-mails (orders, service requests, shared documents), in the portal.

Staff record consent on the customer page; the unsubscribe link in every e-mail stops them without signing
in; here the signed-in contact turns them on or off themselves. Each change is audited as the contact's.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from backend.notifications.customers import contact_email_consent_own, contact_email_consent_set_own
from portal.pages import portal_page


@portal_page
@require_http_methods(["GET", "POST"])
def email_updates(request):
    if request.method == "POST":
        wanted = request.POST.get("consented") == "1"
        if contact_email_consent_set_own(actor=request.user, consented=wanted):
            messages.success(request, _("We will e-mail you about your orders, service requests and documents.")
                             if wanted else _("We will not e-mail you about them any more."))
        return redirect("portal:email_updates")
    consent = contact_email_consent_own(actor=request.user)
    contact = request.user.portal_account.contact
    return render(request, "portal/email_updates.html", {
        "section": "email_updates",
        "consented": bool(consent and consent.consented),
        "address": contact.email,
    })
