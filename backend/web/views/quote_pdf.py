"""The quote page's two actions of issue 15: make the quote's PDF (a new version of its quote document, in
Chinese or English) and send the quote to the customer (its newest PDF shared with the customer's portal,
the quote marked sent). Both are POSTs back to the quote page with a message; the services decide and
audit. A quote the user may not see, or may not change, is a 404."""

from __future__ import annotations

from django.shortcuts import redirect
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from backend.crm.selectors.quotes import quote_get_visible
from backend.crm.services.quote_pdf import LANGUAGES, quote_pdf_generate, quote_send
from backend.ui.errors import report_outcome
from backend.web.pages import staff_page


def _language(request) -> str:
    chosen = request.POST.get("language", "")
    if chosen in LANGUAGES:
        return chosen
    return "en" if not (get_language() or "").lower().startswith("zh") else "zh-hans"


@staff_page
@require_POST
def quote_pdf_make(request, quote_id: int):
    quote = quote_get_visible(user=request.user, quote_id=quote_id)

    def act() -> str:
        version = quote_pdf_generate(actor=request.user, quote=quote, language=_language(request))
        return _("The PDF of quote %(number)s is version %(version)s of its document.") % {
            "number": quote.number, "version": version.number}

    report_outcome(request, act)
    return redirect("web:quote", quote.pk)


@staff_page
@require_POST
def quote_send_to_customer(request, quote_id: int):
    quote = quote_get_visible(user=request.user, quote_id=quote_id)

    def act() -> str:
        share = quote_send(actor=request.user, quote=quote, language=_language(request))
        return _("Quote %(number)s is sent: %(customer)s's portal users can now open its PDF (version "
                 "%(version)s).") % {"number": quote.number, "customer": quote.customer.name,
                                     "version": share.version.number}

    report_outcome(request, act)
    return redirect("web:quote", quote.pk)
