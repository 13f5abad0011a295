"""The pickers: `GET /pick/<kind>/?q=` answers JSON rows the signed-in staff user may see.

`{"results": [{"id": 12, "label": "王芳 (wangfang)", "detail": "Sales · 华东"}]}`, at most 20. An unknown
kind is a 404; an empty query an empty list. Anonymous callers are sent to sign in (`staff_page`); portal
users never get here (the portal boundary answers 404). `web/static/web/picker.js` is the widget.
"""

from __future__ import annotations

from django.http import Http404, JsonResponse
from django.views.decorators.http import require_GET

from backend.web.pages import staff_page
from backend.web.picker_selectors import PICKERS


@staff_page
@require_GET
def pick(request, kind: str):
    picker = PICKERS.get(kind)
    if picker is None:
        raise Http404()
    choices = picker(request.user, request.GET.get("q", ""))
    response = JsonResponse({"results": [choice.as_json() for choice in choices]},
                            json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "private, no-store"
    return response
