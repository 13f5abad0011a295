from django.contrib import admin
from django.contrib.auth.views import LoginView
from django.urls import include, path
from csp.decorators import csp_update
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from backend.access.api_signin import StaffAuthenticationForm, StaffObtainAuthToken

# The API docs run Swagger UI and Redoc from drf-spectacular-sidecar's static files, with no inline
# script (Swagger's start-up script is a second request to the same view, Redoc starts from a
# <redoc> element); they draw icons from data: URLs and Redoc searches in a blob: worker.
api_docs_policy = csp_update({"img-src": ["'self'", "data:"], "worker-src": ["'self'", "blob:"]})

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", api_docs_policy(SpectacularSwaggerSplitView.as_view(url_name="api-schema")), name="api-docs"),
    path("api/redoc/", api_docs_policy(SpectacularRedocView.as_view(url_name="api-schema",
                                                                    template_name="web/api_redoc.html")),
         name="api-redoc"),
    path("api/auth/token/", StaffObtainAuthToken.as_view(), name="api-token"),
    # Before DRF's own login view, which would sign a portal user in here (see backend/access/api_signin.py).
    path("api/auth/login/", LoginView.as_view(template_name="rest_framework/login.html",
                                              authentication_form=StaffAuthenticationForm)),
    path("api/auth/", include("rest_framework.urls")),
    path("api/", include("backend.documents.api.urls")),
    path("api/", include("backend.sharing.api")),
    path("api/", include("indexing.api.urls")),
    path("api/crm/", include("backend.crm.api.urls")),
    path("portal/", include("portal.urls")),
    path("", include("backend.web.urls")),
]

# Not-found pages in the look of whoever asked: the portal's for portal paths and portal users.
handler404 = "portal.errors.not_found"
# A request Django cannot read (too many fields, ...) is JSON in the API's error shape under /api/.
handler400 = "backend.common.exceptions.bad_request"
# A database outage is a 503 with a clear message, never a 500 (backend/ops/errors.py).
handler500 = "backend.ops.errors.server_error"
