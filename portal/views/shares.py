"""Shared documents: the list, a share's page, its download and its rendered pages (view-only shares)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.clickjacking import xframe_options_sameorigin

from backend.common.errors import Gone, NotFound
from backend.common.file_response import sandboxed
from backend.documents.download_response import (
    UNSATISFIABLE,
    parse_range,
    range_not_satisfiable,
    streamed_download,
)
from backend.sharing import shares as sharing
from backend.ui.errors import Refusal
from portal.pages import page_number, portal_reading

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
                                                 "pages": range(1, view.page_count + 1)})


@portal_reading
def share_download(request, share_id: int):
    """The shared file (downloadable shares only: a view-only share answers 404 here)."""
    share = sharing.share_get_for_portal(user=request.user, share_id=share_id)
    number = request.GET.get("version")
    version_number = int(number) if number and number.isdigit() else None
    shown = share.version or share.document.valid_version
    byte_range = parse_range(request.headers.get("Range", ""), shown.size) \
        if shown is not None and version_number is None else None
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
    """One rendered page of a share (view-only, or a downloadable one's preview), as a PNG."""
    share = sharing.share_get_for_portal(user=request.user, share_id=share_id)
    with Refusal(passing=(NotFound, Gone)) as refusal:
        png = sharing.share_page_png(actor=request.user, share=share, page=page)
    if refusal:
        return HttpResponse(refusal.message, status=refusal.status, content_type="text/plain")
    return sandboxed(HttpResponse(png, content_type="image/png"))
