from django.apps import AppConfig


class OpsConfig(AppConfig):
    """What a deployer watches: /healthz, /readyz, /metrics, JSON logs, 503 pages for outages."""

    name = "backend.ops"
    label = "ops"
