"""The interface language, remembered in a cookie: shared by the staff UI and the customer portal."""

from __future__ import annotations

from django.conf import settings
from django.utils import translation

ONE_YEAR = 365 * 24 * 3600


def with_language(response, language: str):
    """`response`, setting the language cookie to `language`."""
    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, max_age=ONE_YEAR, samesite="Lax")
    return response


def language_after_sign_in(user) -> str:
    """The person's own language when they chose one Dossier knows, else the one on screen."""
    known = {code for code, _name in settings.LANGUAGES}
    return user.preferred_language if user.preferred_language in known else translation.get_language()
