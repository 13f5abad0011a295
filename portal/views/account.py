"""Getting in and out of the portal, the home page and announcements."""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods

from backend.access.policy import portal_customer_id
from backend.common.errors import Gone, InvalidInput, NotFound
from backend.crm.selectors.announcements import announcement_list_visible
from backend.crm.selectors.customers import customer_get_visible
from backend.crm.selectors.orders import order_list_visible
from backend.crm.selectors.service import service_record_list_visible
from backend.crm.models import DispatchState
from backend.sharing import portal_accounts
from backend.sharing.shares import share_list_for_portal
from backend.ui.signin import Entrance
from portal.forms import SetPasswordForm, SignInForm
from portal.pages import portal_reading

HOME_ROWS = 5


entrance = Entrance(
    namespace="portal", form_class=SignInForm, template="portal/signin.html",
    sign_in=lambda request, data: portal_accounts.portal_sign_in(request=request, email=data["email"],
                                                                 password=data["password"]),
    sign_out=lambda request: portal_accounts.portal_sign_out(request=request),
    signed_in=lambda user: portal_customer_id(user) is not None,
    wrong=gettext_lazy("The e-mail address or password is not right. Check both and try again "
                       "(the password is case-sensitive)."),
    next_within=lambda: settings.PORTAL_URL_PREFIX,
)


@never_cache
@csrf_protect
@require_http_methods(["GET", "POST"])
def invitation(request, token: str):
    """Accept an invitation: set a password (the link works once, until it expires)."""
    try:
        invite = portal_accounts.portal_invitation_check(token=token)
    except NotFound:
        return render(request, "portal/invitation_invalid.html", {"reason": "unknown"}, status=404)
    except Gone as exc:
        return render(request, "portal/invitation_invalid.html", {"reason": exc.extra.get("reason")}, status=410)
    form = SetPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = portal_accounts.portal_invitation_accept(request=request, token=token,
                                                            password=form.cleaned_data["password"],
                                                            password_again=form.cleaned_data["password_again"])
        except Gone as exc:
            return render(request, "portal/invitation_invalid.html", {"reason": exc.extra.get("reason")}, status=410)
        except InvalidInput as exc:
            for field, problems in (exc.extra.get("fields") or {}).items():
                for problem in problems:
                    form.add_error(field if field in form.fields else None, _(problem))
        else:
            return entrance.welcome(request, user, reverse("portal:home"))
    account = invite.account
    return render(request, "portal/invitation.html",
                  {"form": form, "contact": account.contact, "customer": account.customer,
                   "email": account.user.email}, status=400 if request.method == "POST" else 200)


@portal_reading
def home(request):
    user = request.user
    customer = customer_get_visible(user=user, customer_id=portal_customer_id(user))
    open_states = [DispatchState.NOT_DISPATCHED, DispatchState.DISPATCHED, DispatchState.CONFIRMED]
    return render(request, "portal/home.html", {
        "section": "home",
        "customer": customer,
        "announcements": list(announcement_list_visible(user=user)[:3]),
        "shares": list(share_list_for_portal(user=user, in_force_only=True)[:HOME_ROWS]),
        "open_requests": list(service_record_list_visible(user=user, filters={"dispatch_state": open_states})[:HOME_ROWS]),
        "orders": list(order_list_visible(user=user)[:HOME_ROWS]),
    })


@portal_reading
def announcements(request):
    return render(request, "portal/announcements.html",
                  {"section": "announcements", "announcements": announcement_list_visible(user=request.user)[:50]})
