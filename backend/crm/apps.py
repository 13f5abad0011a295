from django.apps import AppConfig


class CrmConfig(AppConfig):
    name = "backend.crm"
    label = "crm"
    verbose_name = "CRM"

    def ready(self) -> None:
        # Service attachments keep their files in the document store: the sweep must keep them and the
        # integrity check verify them (backend.documents.integrity).
        from backend.crm.models import ServiceAttachment
        from backend.documents.integrity import register_object_references

        register_object_references(ServiceAttachment)
