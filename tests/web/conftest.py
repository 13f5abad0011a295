"""Web view tests: documents on the real S3 test server, search on a tantivy index in tmp_path."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client

from tests.fixtures.s3server import *  # noqa: F401,F403  (the real S3 server fixtures)
from tests.web.world import build_world


@pytest.fixture(autouse=True)
def s3_backed_documents(settings, s3_server):
    settings.STORAGE_URL = s3_server.url_for_bucket(f"web-{uuid.uuid4().hex[:12]}")
    return settings.STORAGE_URL


@pytest.fixture(autouse=True)
def search_index(settings, tmp_path):
    from backend.common.backends import search_backend

    settings.SEARCH_URL = f"tantivy://{tmp_path / 'search'}"
    backend = search_backend()
    yield backend
    backend.close()


@pytest.fixture
def world(db, django_capture_on_commit_callbacks):
    """The company of tests/web/world.py, indexed for search (on-commit hooks run as on a real commit)."""
    with django_capture_on_commit_callbacks(execute=True):
        built = build_world()
    return built


def client_for(user, language: str = "en") -> Client:
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = language
    return client
