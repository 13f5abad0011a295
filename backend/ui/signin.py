"""Signing in, and choosing the language, the same way in the staff interface and the customer portal.

Each interface describes its `Entrance`: its form, its template, where a safe `next` may lead and the
service that signs in (`backend.web.services.session_sign_in`, `backend.sharing.portal_accounts.portal_sign_in`).
The service applies the sign-in limits (backend.accounts.signin_limits) and audits the attempt; this
flow shows its answer: a 302 to `next` in the person's language, the form again (400) with one
sentence that does not say which of the two was wrong, or a lock (429, or 503 when the limiter's
store is down) with its Retry-After.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods, require_POST

from backend.accounts.services import user_language_set
from backend.common.errors import InvalidInput, SignInUnavailable, TooManyAttempts
from backend.common.language_cookie import language_after_sign_in, with_language
from backend.ui.errors import message_for


@dataclass(frozen=True)
class Entrance:
    """One interface's way in and out: its sign-in form and page, the service that signs in (and out),
    who counts as signed in there, and where a `next` may lead (under `next_within()`, on this host)."""

    namespace: str
    form_class: type
    template: str
    sign_in: Callable  # (request, cleaned_data) -> the user; None or InvalidInput for wrong credentials
    sign_out: Callable  # (request) -> None
    signed_in: Callable  # (user) -> bool
    wrong: str  # what a wrong name or password is told (never which of the two)
    next_within: Callable[[], str] = lambda: "/"

    def safe_next(self, request, candidate: str | None) -> str:
        if (candidate and candidate.startswith(self.next_within())
                and url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()},
                                                    require_https=request.is_secure())):
            return candidate
        return reverse(f"{self.namespace}:home")

    def welcome(self, request, user, next_url: str | None):
        """Signed in: on to `next` (when safe), in the person's language."""
        return with_language(redirect(self.safe_next(request, next_url)), language_after_sign_in(user))

    def sign_in_page(self, request):
        """GET shows the form (or goes on to `next` when already signed in); POST signs in."""
        next_url = request.POST.get("next") or request.GET.get("next") or ""
        if request.method == "GET" and self.signed_in(request.user):
            return redirect(self.safe_next(request, next_url))
        form = self.form_class(request.POST or None)
        status, retry_after = (400, None) if request.method == "POST" else (200, None)
        if request.method == "POST" and form.is_valid():
            try:
                user = self.sign_in(request, form.cleaned_data)
            except (TooManyAttempts, SignInUnavailable) as exc:
                form.add_error(None, message_for(exc))
                status, retry_after = exc.status_code, exc.extra.get("retry_after", 30)
            except InvalidInput:
                form.add_error(None, str(self.wrong))
            else:
                if user is not None:
                    return self.welcome(request, user, next_url)
                form.add_error(None, str(self.wrong))
        response = render(request, self.template, {"form": form, "next": next_url}, status=status)
        if retry_after is not None:
            response["Retry-After"] = str(retry_after)
        return response

    def sign_out_page(self, request):
        self.sign_out(request)
        return redirect(f"{self.namespace}:signin")

    def language_page(self, request):
        """Switch the interface language (remembered in a cookie and, when signed in, on the person)."""
        chosen = user_language_set(user=request.user, language=request.POST.get("language", ""))
        return with_language(redirect(self.safe_next(request, request.POST.get("next"))), chosen)

    def urls(self) -> list:
        """signin/, signout/ and language/."""
        sign_in = never_cache(csrf_protect(require_http_methods(["GET", "POST"])(self.sign_in_page)))
        return [
            path("signin/", sign_in, name="signin"),
            path("signout/", require_POST(csrf_protect(self.sign_out_page)), name="signout"),
            path("language/", require_POST(csrf_protect(self.language_page)), name="language"),
        ]
