"""The site's URLs plus views that fail on purpose, for the error-page tests (tests/web/test_error_pages.py)."""

from django.urls import path

from backend import urls as site


def broken(request):
    raise RuntimeError("a bug, on purpose")


handler400 = site.handler400
handler404 = site.handler404
handler500 = site.handler500

urlpatterns = [
    path("test-only/broken/", broken),
    path("portal/test-only/broken/", broken),
    path("api/test-only/broken/", broken),
    *site.urlpatterns,
]
