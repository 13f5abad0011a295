"""Portal tests: documents on the real S3 test server, search on a fresh tantivy index."""

from __future__ import annotations

import pytest

from tests.fixtures.documents import s3_backed_documents  # noqa: F401 - autouse in this folder
from tests.portal.world import build_portal_world


@pytest.fixture(autouse=True)
def search_index(tantivy_index, settings):
    """A fresh embedded index for every test (as tests/fixtures/documents.py's), and the articles' collection
    beside it, which the portal's knowledge search opens, closed afterwards."""
    yield tantivy_index
    from indexing.engine import article_search_backend

    article_search_backend().close()


@pytest.fixture
def world(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        built = build_portal_world()
    return built
