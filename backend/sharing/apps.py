from django.apps import AppConfig


class SharingConfig(AppConfig):
    """Customer shares, portal accounts and invitations: the customer portal's domain."""

    name = "backend.sharing"
    label = "sharing"
    verbose_name = "Sharing"
