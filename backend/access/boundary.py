"""The portal boundary: portal users (customer contacts) stay inside the portal.

Two gates, both built on backend.access.policy:

* `PortalBoundaryMiddleware`, after authentication: a signed-in portal user asking for any URL
  outside the portal (staff pages, the admin, the API through a session) gets a 404, exactly like
  a missing page.
* `StaffOnly`, DRF's default permission: API calls authenticated any other way (a token) by a
  portal user get the same 404. Staff keep the usual rule: signed in, or 401.

The API's own sign-in endpoints refuse portal credentials too: see backend/access/api_signin.py.
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated

from backend.access.policy import is_portal_user


def portal_may_request(path: str) -> bool:
    """The only paths a portal user's session may reach: the portal itself and static files."""
    return path.startswith(settings.PORTAL_URL_PREFIX) or path.startswith(settings.STATIC_URL)


class PortalBoundaryMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and is_portal_user(user) and not portal_may_request(request.path):
            raise Http404()
        return self.get_response(request)


class StaffOnly(IsAuthenticated):
    """Signed-in staff only; a portal user is answered 404, never told the endpoint exists."""

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        if is_portal_user(request.user):
            raise NotFound()
        return True
