"""The site's URLs plus a staff page and a portal page whose service refuses outright, for
tests/ui/test_refused_pages.py."""

from django.urls import path

from backend import urls as site
from backend.common.errors import Conflict, Gone
from backend.web.pages import staff_page
from portal.pages import portal_reading
from storage.errors import StoreUnavailable

REFUSALS = {"gone": Gone("The link has expired."), "conflict": Conflict("Someone else changed it first."),
            "store": StoreUnavailable()}


def refusing(request, kind):
    raise REFUSALS[kind]


handler404 = site.handler404
handler500 = site.handler500

urlpatterns = [
    path("test-only/refuses/<str:kind>/", staff_page(refusing)),
    path("portal/test-only/refuses/<str:kind>/", portal_reading(refusing)),
    *site.urlpatterns,
]
