"""Indexing tests: documents on the real S3 server (as in tests/documents), a tantivy index per test."""

import uuid

import pytest
from rest_framework.test import APIClient

from tests.fixtures.s3server import *  # noqa: F401,F403  (the real S3 server fixtures)


@pytest.fixture(autouse=True)
def s3_backed_documents(settings, s3_server):
    """Bytes go to a fresh bucket on the real S3 server."""
    settings.STORAGE_URL = s3_server.url_for_bucket(f"idx-{uuid.uuid4().hex[:12]}")
    return settings.STORAGE_URL


@pytest.fixture(autouse=True)
def search_index(settings, tmp_path):
    """A fresh embedded index for every test; returns the backend."""
    from backend.common.backends import search_backend

    settings.SEARCH_URL = f"tantivy://{tmp_path / 'search'}"
    backend = search_backend()
    yield backend
    backend.close()


@pytest.fixture(autouse=True)
def _closed_breaker():
    """A test that kills the engine must not make the next one skip its writes."""
    from indexing import services

    services._breaker["open_until"] = 0.0
    yield
    services._breaker["open_until"] = 0.0


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """`with committed():` runs the on-commit hooks (indexing) of what happens inside, as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client
