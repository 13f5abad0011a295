from django.apps import AppConfig


class IndexingConfig(AppConfig):
    name = "indexing"
    label = "indexing"
    verbose_name = "Search and indexing"
    default_auto_field = "django.db.models.BigAutoField"
