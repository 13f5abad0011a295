"""Fixtures for the demo tests."""

import pytest


@pytest.fixture(autouse=True)
def _demo_local_document_store(settings, tmp_path):
    """The demo's documents keep their bytes in a throw-away local store."""
    settings.STORAGE_URL = f"file://{tmp_path}/objects"
