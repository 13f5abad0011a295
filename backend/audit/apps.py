from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class AuditConfig(AppConfig):
    name = "backend.audit"
    label = "audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        # Our own event types, then every app's ``audit_events`` module.
        from backend.audit import checks, events  # noqa: F401

        autodiscover_modules("audit_events")
