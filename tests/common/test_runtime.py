"""A serving process freezes what it loaded at start-up, so collections skip it."""

from __future__ import annotations

import gc
import importlib
import sys

import pytest

from backend.common.runtime import warm_and_freeze


@pytest.fixture
def unfrozen():
    gc.unfreeze()
    yield
    gc.unfreeze()  # the rest of the suite runs as it did


def test_start_up_objects_are_frozen_and_the_views_loaded(unfrozen):
    # when a process warms up and freezes
    frozen = warm_and_freeze()
    # then the views are loaded, and what is alive now is out of the collector's way
    assert "portal.views.knowledge" in sys.modules
    # (a frozen object can still be freed by its reference count, here or in another thread, so the
    # count may only have fallen a little since)
    assert frozen > 10_000
    assert 0 <= frozen - gc.get_freeze_count() < 100
    assert len(gc.get_objects()) < frozen


def test_the_wsgi_module_freezes_when_a_server_loads_it(unfrozen):
    # when a server imports the WSGI application
    sys.modules.pop("backend.wsgi", None)
    module = importlib.import_module("backend.wsgi")
    # then it is a Django application and start-up objects are frozen
    assert callable(module.application)
    assert gc.get_freeze_count() > 10_000


def test_the_sign_in_counts_are_shared_by_every_process_of_the_machine_by_default():
    # given the settings as a server reads them
    import backend.settings as configured

    default = configured.CACHES["default"]
    if configured.CACHE_URL:  # then with CACHE_URL: Redis, shared by every machine
        assert default["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
        assert default["LOCATION"] == configured.CACHE_URL
    else:  # and without: on disk under the data directory (all of gunicorn's workers see it)
        assert default == {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                           "LOCATION": str(configured.DATA_DIR / "cache")}
