"""CRM API routes: one module per area, each exporting `urlpatterns`."""

from django.urls import include, path

urlpatterns = [
    path("", include("backend.crm.api.customers")),
    path("", include("backend.crm.api.opportunities")),
    path("", include("backend.crm.api.quotes")),
    path("", include("backend.crm.api.links")),
    path("", include("backend.crm.api.orders")),
    path("", include("backend.crm.api.service")),
    path("", include("backend.crm.api.knowledge")),
    path("", include("backend.crm.api.activities")),
    path("", include("backend.crm.api.portal")),
    path("reports/", include("backend.crm.api.reports")),
]
