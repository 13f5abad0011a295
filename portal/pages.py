"""What every portal page shares: a signed-in portal user, and errors shown as portal pages.

Anyone else (anonymous, staff, a disabled account) is sent to the portal sign-in. A service's
NotFound (missing or another customer's) is the portal's 404 page; Gone (an expired share or
invitation) is a 410 page that says what happened; any other refusal (a store that is down, a conflict)
is a page that says it, with its own status.
"""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlencode

from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from backend.access.policy import portal_customer_id
from backend.common.errors import Gone, NotFound
from backend.ui.errors import SHOWN_ERRORS, refused_page


def signin_redirect(request):
    return redirect(f"{reverse('portal:signin')}?{urlencode({'next': request.get_full_path()})}")


def portal_page(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if portal_customer_id(request.user) is None:
            return signin_redirect(request)
        try:
            return view(request, *args, **kwargs)
        except NotFound:
            raise Http404() from None
        except Gone as exc:
            return render(request, "portal/gone.html", {"reason": exc.extra.get("reason", ""), "error": exc},
                          status=410)
        except SHOWN_ERRORS as error:  # anything else a service refused: said, with its status, never a 500
            return refused_page(request, error)

    return wrapper


def portal_reading(view):
    """A portal page that only shows something (GET, and HEAD)."""
    return portal_page(require_GET(view))


def portal_action(view):
    """What a portal form posts to."""
    return portal_page(require_POST(view))


def page_number(request) -> int:
    try:
        return max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return 1
