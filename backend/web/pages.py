"""What every staff page shares: sign-in required, and "not visible" answered exactly like "missing"."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404

from backend.access.policy import may_open_compliance_console
from backend.common.errors import NotFound
from backend.ui.errors import SHOWN_ERRORS, refused_page


def staff_page(view):
    """Require a signed-in, active user; turn the services' NotFound into a 404 page, and any other refusal
    that the view did not show itself (Gone, a conflict, a store that is down) into a page saying so with
    its own status, never a 500."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_active:
            raise Http404()
        try:
            return view(request, *args, **kwargs)
        except NotFound:
            raise Http404() from None
        except SHOWN_ERRORS as error:
            return refused_page(request, error)

    return login_required(wrapper)


def compliance_page(view):
    """Pages of the compliance console: for whom the policy lets in (the compliance role); everyone else
    gets a 404."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not may_open_compliance_console(request.user):
            raise Http404()
        return view(request, *args, **kwargs)

    return staff_page(wrapper)


def int_or_none(value) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None
