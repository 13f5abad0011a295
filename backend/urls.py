from django.contrib import admin
from django.contrib.auth.views import LoginView
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from backend.access.api_signin import StaffAuthenticationForm, StaffObtainAuthToken

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("api/auth/token/", StaffObtainAuthToken.as_view(), name="api-token"),
    # Before DRF's own login view, which would sign a portal user in here (see backend/access/api_signin.py).
    path("api/auth/login/", LoginView.as_view(template_name="rest_framework/login.html",
                                              authentication_form=StaffAuthenticationForm)),
    path("api/auth/", include("rest_framework.urls")),
    path("api/", include("backend.documents.api.urls")),
    path("api/crm/", include("backend.crm.api.urls")),
    path("portal/", include("portal.urls")),
    path("", include("backend.web.urls")),
]

# Not-found pages in the look of whoever asked: the portal's for portal paths and portal users.
handler404 = "portal.errors.not_found"
# A database outage is a 503 with a clear message, never a 500 (backend/ops/errors.py).
handler500 = "backend.ops.errors.server_error"
