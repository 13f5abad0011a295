from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "backend.intake"
    label = "intake"
    verbose_name = "Mail intake"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # A queued message keeps its raw bytes in the document store until staff assign it: the sweep must
        # keep them and the integrity check verify them (backend.documents.integrity).
        from backend.documents.integrity import register_object_references
        from backend.intake.models import IntakeMessage

        register_object_references(IntakeMessage)
