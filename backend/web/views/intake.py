"""The mail intake's pages (backend/intake: services write, selectors read).

    GET       /intake/               the messages waiting for a customer, and what the latest mail became
    GET/POST  /intake/<id>/          one message: its sender, subject and parts (rejected ones with their reason);
                                     a queued one is assigned to a customer (and optionally a quote or order)

For the roles that work the queue (policy/intake.py); everyone else gets a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from backend.access.policy import Action, visible
from backend.access.policy.intake import may_work_intake_queue
from backend.common.errors import InvalidInput
from backend.common.resolver import resolve
from backend.crm.models import Customer, Order, Quote
from backend.documents.filetypes import describe_mime
from backend.intake import selectors, services
from backend.intake.models import MessageStatus, RejectReason
from backend.ui.errors import Refusal
from backend.web.pages import int_or_none, staff_page

QUEUE_REASONS = {
    "no_match": gettext_lazy("No customer has a contact at this address or domain."),
    "ambiguous": gettext_lazy("Contacts of more than one customer use this address or domain."),
    "conflict": gettext_lazy("The number in the subject belongs to another customer than the sender’s."),
    "no_owner": gettext_lazy("Nobody active owns the matching customer."),
    "too_large": gettext_lazy("The message is larger than the intake’s limit; only its headers were read."),
}


def _queue_page(view):
    def wrapper(request, *args, **kwargs):
        if not may_work_intake_queue(request.user):
            raise Http404()
        return view(request, *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return staff_page(wrapper)


def rejection_text(part) -> str:
    if part.rejected == RejectReason.TYPE:
        return _("Not taken: files of type %(type)s are not allowed.") % {"type": describe_mime(part.mime_type)}
    if part.rejected == RejectReason.SIZE:
        return _("Not taken: %(size)s is over the limit.") % {"size": filesizeformat(part.size)}
    if part.rejected == RejectReason.EMPTY:
        return _("Not taken: the file is empty.")
    return ""


def _shown(message):
    message.reason_text = QUEUE_REASONS.get(message.queue_reason, "")
    message.shown_parts = [(part, rejection_text(part)) for part in message.parts.all()]
    return message


@_queue_page
@require_GET
def intake_queue(request):
    queue = [_shown(message) for message in selectors.intake_queue(user=request.user)]
    recent = [_shown(message) for message in selectors.intake_recent(user=request.user)]
    return render(request, "web/intake.html", {"section": "intake", "queue": queue, "recent": recent})


def _posted_id(request, *names: str) -> int | None:
    for name in names:
        value = int_or_none(str(request.POST.get(name) or "").strip().lstrip("#"))
        if value:
            return value
    return None


@_queue_page
@require_http_methods(["GET", "POST"])
def intake_message(request, message_id: int):
    user = request.user
    message = selectors.intake_message_get(user=user, message_id=message_id)
    refusal = Refusal()
    if request.method == "POST" and message.status == MessageStatus.QUEUED:
        with refusal:
            customer = resolve(visible(user, Customer.objects.all()), _posted_id(request, "customer"),
                               field="customer", label="customer")
            if customer is None:
                raise InvalidInput("Choose a customer.", fields={"customer": ["Choose a customer."]})
            quote = resolve(visible(user, Quote.objects.all(), Action.VIEW), _posted_id(request, "quote"),
                            field="quote", label="quote")
            order = resolve(visible(user, Order.objects.all(), Action.VIEW), _posted_id(request, "order"),
                            field="order", label="order")
            services.message_assign(actor=user, message=message, customer=customer, quote=quote, order=order)
        if not refusal:
            messages.success(request, _("The message is filed with %(customer)s.") % {"customer": customer.name})
            return redirect("web:intake")
    return render(request, "web/intake_message.html", {
        "section": "intake", "message": _shown(message), "refusal": refusal,
        "queued": message.status == MessageStatus.QUEUED,
    }, status=refusal.status if refusal else 200)
