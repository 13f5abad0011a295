from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "backend.documents"
    label = "documents"

    def ready(self) -> None:
        # Versions point at stored objects: the sweep keeps them, the integrity check verifies them.
        from backend.documents.integrity import register_object_references
        from backend.documents.models import DocumentVersion

        register_object_references(DocumentVersion)
