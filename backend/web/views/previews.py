"""Previews on the document page and thumbnails in lists: page images drawn on the server.

The preview panel loads its body from `version_preview_panel` (the first page is drawn then, so the
page's own request stays fast); the body lists the page images (`version_page`, each one audited as a
preview and marked with its viewer's name, account, time, address, classification and a code) or shows a
text file's text, or says why the file cannot be shown. `version_thumbnail` is the small first page shown
beside titles in lists and search results. Everything here needs the right to read the document (the
"read" level: view alone shows the metadata), not to download it: no byte of the file itself is sent.
A marked page is made for its one viewer: never stored by the browser or a proxy (private, no-store).
"""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET

from backend.access.policy import Action, can
from backend.common.client_address import client_address
from backend.common.errors import NotFound
from backend.common.file_response import FILE_CONTENT_SECURITY_POLICY, sandboxed
from backend.documents import previews, services
from backend.documents.rendering import RenderRefused
from backend.ui.errors import Refusal, message_for
from backend.web.pages import staff_page

# Thumbnails are not audited and do not change (keyed by content): the browser may keep them a while.
THUMBNAIL_MAX_AGE = 3600


def _version(request, document_id: int, number: int):
    document = services.document_get_for_action(actor=request.user, document_id=document_id)
    return services.version_get(document=document, number=number)


@staff_page
@require_GET
def version_preview_panel(request, document_id: int, number: int):
    """The preview panel's body (loaded by htmx, or opened as a page without JavaScript)."""
    version = _version(request, document_id, number)
    context = {"document": version.document, "version": version, "preview": None, "message": ""}
    if not can(request.user, Action.READ, version.document):
        context["message"] = _('You may see the details of this document but not read its pages: that needs '
                               'the "read on screen" level, which its owner or a manager can grant.')
        return render(request, "web/partials/document_preview_body.html", context)
    with Refusal() as refusal:
        preview = previews.version_preview_open(actor=request.user, version=version)
    if refusal:
        context["message"] = refusal.message
    elif preview.kind == "refused":
        context["message"] = message_for(RenderRefused(preview.refusal))
    else:
        context["preview"] = preview
        context["pages"] = range(1, preview.pages + 1)
    return render(request, "web/partials/document_preview_body.html", context)


@staff_page
@require_GET
@xframe_options_sameorigin
def version_page(request, document_id: int, number: int, page: int):
    """One page of a version as a PNG, recorded as a preview of that page; 422 with the reason when it
    cannot be shown."""
    version = _version(request, document_id, number)
    with Refusal() as refusal:
        png = previews.version_preview_page(actor=request.user, version=version, page=page,
                                            request_meta={"address": client_address(request)})
    if refusal:
        return sandboxed(HttpResponse(refusal.message, status=refusal.status, content_type="text/plain; charset=utf-8"))
    return sandboxed(HttpResponse(png, content_type="image/png"))


@staff_page
@require_GET
def version_thumbnail(request, document_id: int, number: int):
    """The first page, small. A file that cannot be drawn, or that the user may see the details of but not
    read, shows a neutral placeholder instead."""
    version = _version(request, document_id, number)
    if not can(request.user, Action.READ, version.document):
        return redirect(static("web/thumbnail-unavailable.svg"))
    try:
        png = previews.version_thumbnail(actor=request.user, version=version)
    except NotFound:
        raise
    except RenderRefused:
        return redirect(static("web/thumbnail-unavailable.svg"))
    response = HttpResponse(png, content_type="image/png")
    response["Content-Security-Policy"] = FILE_CONTENT_SECURITY_POLICY
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = f"private, max-age={THUMBNAIL_MAX_AGE}"
    return response
