"""The compliance console's "find a watermark code": a code read off a marked page (or a stamped file) ->
who viewed what, when, from where, and the audit event of that view (backend/documents/marks.py).

Compliance only (the console's rule; everyone else 404). Each lookup is itself recorded, found or not.
"""

from __future__ import annotations

from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from backend.common.errors import NotFound
from backend.documents import marks
from backend.web.pages import compliance_page

CODE_MAX = 32


@compliance_page
@require_GET
def watermark_lookup(request):
    code = request.GET.get("code", "").strip()[:CODE_MAX]
    found, message = None, ""
    if code:
        try:
            found = marks.resolve_mark(actor=request.user, code=code)
        except NotFound:
            message = _("No watermark has this code. Check the characters: the code has 8 letters and digits "
                        "(0 and O, 1 and I or L read the same).")
    return render(request, "web/compliance/watermark.html", {
        "section": "compliance", "tab": "watermark", "code": code, "found": found, "message": message,
        "classification": marks.classification_label(found.mark.classification) if found else "",
    }, status=404 if message else 200)
