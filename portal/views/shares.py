"""Shared documents: the list, a share's page, its download and its rendered pages (view-only shares)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.utils.translation import gettext as _

from backend.common.errors import Gone, NotFound
from backend.crm.services.quote_pdf import quote_awaiting_customer, quote_decide_by_customer
from backend.common.file_response import sandboxed
from backend.documents.download_response import (
    UNSATISFIABLE,
    parse_range,
    range_not_satisfiable,
    streamed_download,
)
from backend.documents.stamping import stamp_required
from backend.documents.previews import marked_page
from backend.common.client_address import client_address
from backend.sharing import shares as sharing
from backend.sharing.audit_events import PORTAL_SHARE_PAGE_SHOWN
from backend.ui.errors import Refusal
from portal.pages import page_number, portal_action, portal_reading

SHARES_PER_PAGE = 25


@portal_reading
def share_list(request):
    shares = sharing.share_list_for_portal(user=request.user)
    page = Paginator(shares, SHARES_PER_PAGE).get_page(page_number(request))
    page.object_list = list(page.object_list)  # read once: recorded, then rendered
    sharing.portal_shares_listed(actor=request.user, shares=page.object_list, page=page.number)
    return render(request, "portal/shares.html", {"section": "shares", "page": page, "now": timezone.now()})


@portal_reading
def share_detail(request, share_id: int):
    share = sharing.share_get_for_portal(user=request.user, share_id=share_id)
    view = sharing.share_open(actor=request.user, share=share)
    return render(request, "portal/share.html", {"section": "shares", "view": view, "share": share,
                                                 "pages": range(1, view.page_count + 1),
                                                 "quote_to_answer": quote_awaiting_customer(share=share)})


@portal_action
def share_quote_answer(request, share_id: int):
    """The customer accepts or declines the sent quote a share carries (with an optional comment)."""
    share = sharing.share_get_for_portal(user=request.user, share_id=share_id)
    decision = request.POST.get("decision", "")
    if decision not in ("accept", "decline"):
        return render(request, "portal/error.html", {"message": _("Choose accept or decline.")}, status=400)
    quote = quote_decide_by_customer(actor=request.user, share=share, accept=decision == "accept",
                                     comment=request.POST.get("comment", ""))
    if quote.status == "accepted":
        text = _("Thank you: you accepted quote %(number)s. %(owner)s will be in touch.")
    else:
        text = _("You declined quote %(number)s. %(owner)s will be in touch.")
    messages.success(request, text % {"number": quote.number, "owner": quote.owner})
    return redirect("portal:share", share.pk)


@portal_reading
def share_download(request, share_id: int):
    """The shared file (downloadable shares only: a view-only share answers 404 here)."""
    share = sharing.share_get_for_portal(user=request.user, share_id=share_id)
    number = request.GET.get("version")
    version_number = int(number) if number and number.isdigit() else None
    shown = share.version or share.document.valid_version
    # A stamped download (backend.documents.stamping) is a new PDF each time: sent whole, Range not read.
    byte_range = parse_range(request.headers.get("Range", ""), shown.size) \
        if shown is not None and version_number is None and not stamp_required(shown) else None
    if byte_range == UNSATISFIABLE:
        return range_not_satisfiable(shown.size)
    with Refusal(passing=(NotFound, Gone)) as refusal:
        download = sharing.share_download(actor=request.user, share=share, version_number=version_number,
                                          byte_range=byte_range)
    if refusal:
        return render(request, "portal/error.html", {"message": refusal.message}, status=refusal.status)
    return streamed_download(download)


@portal_reading
@xframe_options_sameorigin
def share_page(request, share_id: int, page: int):
    """One rendered page of a share (view-only, or a downloadable one's preview), as a PNG with the reader's
    mark across it (their name, e-mail and customer, the time, address, classification and a code), each
    page sent recorded as `portal.share.page_shown` with its mark. Never stored by the browser (no-store)."""
    share = sharing.share_get_for_portal(user=request.user, share_id=share_id)
    with Refusal(passing=(NotFound, Gone)) as refusal:
        png = sharing.share_page_png(actor=request.user, share=share, page=page)
        shown = share.version or share.document.valid_version
        png = marked_page(actor=request.user, version=shown, png=png, request_meta={"address": client_address(request)},
                          purpose="share-page", event_type=PORTAL_SHARE_PAGE_SHOWN, target=share.document,
                          customer_id=share.customer_id,
                          detail={"share": share.pk, "version": shown.number, "page": page})
    if refusal:
        return HttpResponse(refusal.message, status=refusal.status, content_type="text/plain")
    return sandboxed(HttpResponse(png, content_type="image/png"))
