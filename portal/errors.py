"""The site's 404 page: the portal's own for portal URLs and portal users, the staff page otherwise.

A portal user who strays onto a staff URL sees the portal's "not found", never a hint of the
staff interface.
"""

from __future__ import annotations

from django.conf import settings
from django.views.defaults import page_not_found

from backend.access.policy import is_portal_user


def not_found(request, exception=None):
    if request.path.startswith("/api/"):
        # The API answers in its error shape, also for a URL that matches no endpoint (e.g. /documents/abc/).
        from django.http import JsonResponse

        return JsonResponse({"detail": "Not found.", "code": "not_found"}, status=404)
    portal = request.path.startswith(settings.PORTAL_URL_PREFIX) or is_portal_user(getattr(request, "user", None))
    return page_not_found(request, exception, template_name="portal/404.html" if portal else "404.html")
