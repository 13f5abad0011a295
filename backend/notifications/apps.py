from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class NotificationsConfig(AppConfig):
    """In-app notifications, each user's preferences per kind, watches, e-mail and SMS deliveries."""

    name = "backend.notifications"
    label = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        # Our own kinds, then every app's ``notification_kinds`` module (as the audit app does with
        # ``audit_events``): a kind must be registered before notify() is called with it.
        from backend.notifications import notification_kinds  # noqa: F401

        autodiscover_modules("notification_kinds")
