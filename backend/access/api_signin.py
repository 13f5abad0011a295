"""The API's own sign-in endpoints, for staff only.

DRF's token view and browsable-API login would accept a portal user's username and password and
hand out a token or a session outside the portal, where no lockout counts failures and nothing
is audited. Here a portal user's right password is answered exactly like a wrong one.

(Kept apart from backend.access.boundary: importing DRF's views loads the API settings, which
import boundary.StaffOnly.)
"""

from __future__ import annotations

from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.response import Response

from backend.accounts import services as accounts
from backend.accounts.models import Role
from backend.common.errors import SignInUnavailable, TooManyAttempts


class StaffAuthenticationForm(AuthenticationForm):
    """The browsable API's session sign-in form (counted against the staff sign-in limits)."""

    def clean(self):
        username = (self.data.get("username") or "").strip()
        try:
            accounts.staff_sign_in_check(request=self.request, username=username, via="api")
        except (TooManyAttempts, SignInUnavailable) as exc:
            raise ValidationError(exc.message, code=exc.code) from exc
        try:
            cleaned = super().clean()
        except ValidationError:
            accounts.staff_sign_in_failed(request=self.request, username=username, via="api")
            raise
        accounts.staff_sign_in_succeeded(request=self.request, username=username)
        return cleaned

    def confirm_login_allowed(self, user) -> None:
        super().confirm_login_allowed(user)
        if getattr(user, "role", None) == Role.PORTAL:
            raise self.get_invalid_login_error()


class StaffAuthTokenSerializer(AuthTokenSerializer):
    """`/api/auth/token/`'s credentials: staff only, counted against the staff sign-in limits
    (TooManyAttempts is answered 429 with Retry-After by the API's exception handler)."""

    def validate(self, attrs):
        request = self.context["request"]
        username = (attrs.get("username") or "").strip()
        accounts.staff_sign_in_check(request=request, username=username, via="api")
        try:
            attrs = super().validate(attrs)
            if getattr(attrs["user"], "role", None) == Role.PORTAL:
                raise serializers.ValidationError(_("Unable to log in with provided credentials."),
                                                  code="authorization")
        except serializers.ValidationError:
            accounts.staff_sign_in_failed(request=request, username=username, via="api")
            raise
        accounts.staff_sign_in_succeeded(request=request, username=username)
        return attrs


class StaffObtainAuthToken(ObtainAuthToken):
    """`/api/auth/token/`: DRF's view issues a token to any active user; this one to staff only.

    Each sign-in issues a new token (`{"token": key}`, the key shown this once: only its SHA-256
    is stored), valid for API_TOKEN_TTL_SECONDS, and records the "API token sign-in" audit event.
    """

    serializer_class = StaffAuthTokenSerializer

    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response({"token": accounts.api_token_issue(user=serializer.validated_data["user"])})
