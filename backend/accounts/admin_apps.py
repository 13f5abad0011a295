"""The admin app's configuration, naming Dossier's admin site (backend/accounts/admin_site.py).

Kept apart from the site: INSTALLED_APPS imports this module before any model may be imported.
"""

from django.contrib.admin.apps import AdminConfig


class DossierAdminConfig(AdminConfig):
    default_site = "backend.accounts.admin_site.DossierAdminSite"
