"""The unsubscribe link of every e-mail to a customer's contact: no sign-in, the token is the secret.

GET shows the contact whose e-mails stop and a button (a mail scanner following links must not unsubscribe
anyone); POST stops them. Mail clients' one-click unsubscribe (RFC 8058, List-Unsubscribe-Post) POSTs
without a CSRF token, so the POST is exempt: the token in the URL is what authorises it.
"""

from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from backend.common.errors import NotFound
from backend.notifications.customers import contact_for_unsubscribe, contact_unsubscribe


@never_cache
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    try:
        consent = contact_unsubscribe(token=token) if request.method == "POST" else contact_for_unsubscribe(token=token)
    except NotFound:
        return render(request, "portal/unsubscribe.html", {"unknown": True}, status=404)
    return render(request, "portal/unsubscribe.html", {
        "contact": consent.contact, "customer": consent.contact.customer,
        "done": request.method == "POST" or not consent.consented,
    })
