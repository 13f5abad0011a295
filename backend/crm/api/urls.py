"""CRM API routes: one module per area, each exporting `urlpatterns`."""

from django.urls import include, path

# Mounted at /api/crm/ in this order; reports under reports/.
AREAS = ("customers", "opportunities", "products", "quotes", "links", "orders", "service", "knowledge", "activities",
         "portal", "handover")

urlpatterns = [path("", include(f"backend.crm.api.{area}")) for area in AREAS]
urlpatterns.append(path("reports/", include("backend.crm.api.reports")))
