from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class UiConfig(AppConfig):
    """What the staff interface and the customer portal share: the page layout, sign-in, and errors shown
    as translated sentences."""

    name = "backend.ui"
    label = "ui"
    verbose_name = _("Interface toolkit")
