from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo world (`manage.py seed_demo`), built only through the public services of every app. No models."""

    name = "demo"
    label = "demo"
    verbose_name = "Demo world"
