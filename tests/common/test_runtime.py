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
    assert frozen == gc.get_freeze_count() > 10_000
    assert len(gc.get_objects()) < frozen


def test_the_wsgi_module_freezes_when_a_server_loads_it(unfrozen):
    # when a server imports the WSGI application
    sys.modules.pop("backend.wsgi", None)
    module = importlib.import_module("backend.wsgi")
    # then it is a Django application and start-up objects are frozen
    assert callable(module.application)
    assert gc.get_freeze_count() > 10_000
