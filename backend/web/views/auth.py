"""Signing in and out of the staff interface, and choosing the interface language (backend/ui/signin.py)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from backend.ui.signin import Entrance
from backend.web import services
from backend.web.forms import SignInForm

entrance = Entrance(
    namespace="web", form_class=SignInForm, template="web/signin.html",
    sign_in=lambda request, data: services.session_sign_in(request=request, username=data["username"],
                                                           password=data["password"]),
    sign_out=lambda request: services.session_sign_out(request=request),
    signed_in=lambda user: user.is_authenticated,
    wrong=gettext_lazy("The user name or password is not right. Check both and try again "
                       "(the password is case-sensitive)."),
)
