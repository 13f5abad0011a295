"""Forgot password: ask for a link by e-mail, then choose a new password from it.

The first page answers every e-mail address alike (the service decides, in the audit trail only,
whether a link went out); only too many requests from one client address are refused (429). The
link's page works like the invitation's: once, until it expires, then a page that says why not.
"""

from __future__ import annotations

import math

from django import forms
from django.conf import settings
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods

from backend.common.errors import Gone, InvalidInput, NotFound, SignInUnavailable, TooManyAttempts
from backend.sharing import portal_accounts
from backend.ui.errors import message_for
from portal.forms import SetPasswordForm
from portal.views.account import entrance


class PasswordForgotForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("E-mail address"), max_length=254,
                             widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True}))


@never_cache
@csrf_protect
@require_http_methods(["GET", "POST"])
def password_forgot(request):
    """Ask for a reset link; the same answer whether or not an account has the address."""
    form = PasswordForgotForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            # the link is built on SITE_URL, never on the request's Host header (which the asker chooses)
            portal_accounts.portal_password_reset_request(request=request, email=form.cleaned_data["email"])
        except TooManyAttempts as exc:
            minutes = max(1, math.ceil(int(exc.extra.get("retry_after", 60)) / 60))
            form.add_error(None, _("Too many requests from your network. Try again in %(minutes)s minutes.")
                           % {"minutes": minutes})
            response = render(request, "portal/password_forgot.html", {"form": form}, status=429)
            response["Retry-After"] = str(exc.extra.get("retry_after", 60))
            return response
        except SignInUnavailable as exc:
            form.add_error(None, message_for(exc))
            response = render(request, "portal/password_forgot.html", {"form": form}, status=503)
            response["Retry-After"] = "30"
            return response
        minutes = max(1, int(settings.PORTAL_PASSWORD_RESET_SECONDS) // 60)
        return render(request, "portal/password_reset_sent.html", {"minutes": minutes})
    return render(request, "portal/password_forgot.html", {"form": form},
                  status=400 if request.method == "POST" else 200)


@never_cache
@csrf_protect
@require_http_methods(["GET", "POST"])
def password_reset(request, token: str):
    """Choose a new password from the e-mailed link (once, until it expires); signed in afterwards."""
    try:
        link = portal_accounts.portal_password_reset_check(token=token)
    except NotFound:
        return render(request, "portal/password_reset_invalid.html", {"reason": "unknown"}, status=404)
    except Gone as exc:
        return render(request, "portal/password_reset_invalid.html", {"reason": exc.extra.get("reason")}, status=410)
    form = SetPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = portal_accounts.portal_password_reset_complete(
                request=request, token=token, password=form.cleaned_data["password"],
                password_again=form.cleaned_data["password_again"])
        except Gone as exc:
            return render(request, "portal/password_reset_invalid.html", {"reason": exc.extra.get("reason")},
                          status=410)
        except InvalidInput as exc:
            for field, problems in (exc.extra.get("fields") or {}).items():
                for problem in problems:
                    form.add_error(field if field in form.fields else None, _(problem))
        else:
            return entrance.welcome(request, user, reverse("portal:home"))
    return render(request, "portal/password_reset.html", {"form": form, "email": link.account.user.email},
                  status=400 if request.method == "POST" else 200)
