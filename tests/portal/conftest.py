"""Portal tests: documents on the real S3 test server, search on a fresh tantivy index."""

from __future__ import annotations

import pytest

from tests.portal.world import build_portal_world


@pytest.fixture(autouse=True)
def s3_backed_documents(s3_document_bucket):
    return s3_document_bucket


@pytest.fixture(autouse=True)
def search_index(tantivy_index, settings):
    yield tantivy_index
    from indexing.engine import article_search_backend

    article_search_backend().close()


@pytest.fixture
def world(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        built = build_portal_world()
    return built
