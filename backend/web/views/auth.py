"""Signing in and out, and choosing the interface language."""

from __future__ import annotations

from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_POST

from backend.accounts.services import user_language_set
from backend.common.errors import SignInUnavailable, TooManyAttempts
from backend.common.language_cookie import language_after_sign_in, with_language
from backend.web import services
from backend.ui.errors import message_for
from backend.web.forms import SignInForm


def _safe_next(request, candidate: str | None) -> str:
    if candidate and url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()},
                                                     require_https=request.is_secure()):
        return candidate
    return reverse("web:home")


@never_cache
@csrf_protect
def sign_in(request):
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if request.user.is_authenticated and request.method == "GET":
        return redirect(_safe_next(request, next_url))
    form = SignInForm(request.POST or None)
    locked = None
    if request.method == "POST" and form.is_valid():
        try:
            user = services.session_sign_in(request=request, username=form.cleaned_data["username"],
                                            password=form.cleaned_data["password"])
        except (TooManyAttempts, SignInUnavailable) as exc:
            locked, user = exc, None
            form.add_error(None, message_for(exc))
        if user is not None:
            return with_language(redirect(_safe_next(request, next_url)), language_after_sign_in(user))
        if locked is None:
            form.add_error(None, _("The user name or password is not right. Check both and try again "
                                   "(the password is case-sensitive)."))
    status = locked.status_code if locked is not None else 400 if request.method == "POST" else 200
    response = render(request, "web/signin.html", {"form": form, "next": next_url}, status=status)
    if locked is not None:
        response["Retry-After"] = str(locked.extra.get("retry_after", 30))
    return response


@require_POST
@csrf_protect
def sign_out(request):
    services.session_sign_out(request=request)
    return redirect("web:signin")


@require_POST
@csrf_protect
def language(request):
    """Switch the interface language (remembered in a cookie and, when signed in, on the person)."""
    chosen = user_language_set(user=request.user, language=request.POST.get("language", ""))
    return with_language(redirect(_safe_next(request, request.POST.get("next"))), chosen)
