from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.authtoken.views import obtain_auth_token

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("api/auth/token/", obtain_auth_token, name="api-token"),
    path("api/auth/", include("rest_framework.urls")),
    path("api/", include("backend.documents.api.urls")),
    path("api/crm/", include("backend.crm.api.urls")),
    path("portal/", include("portal.urls")),
    path("", include("backend.web.urls")),
]

# Not-found pages in the look of whoever asked: the portal's for portal paths and portal users.
handler404 = "portal.errors.not_found"
