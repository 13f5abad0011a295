"""Web view tests: documents on the real S3 test server, search on a tantivy index in tmp_path."""

from __future__ import annotations

import pytest

from tests.fixtures.documents import s3_backed_documents, search_index  # noqa: F401 - autouse in this folder
from tests.web.world import build_world


@pytest.fixture
def world(db, django_capture_on_commit_callbacks):
    """The company of tests/web/world.py, indexed for search (on-commit hooks run as on a real commit)."""
    with django_capture_on_commit_callbacks(execute=True):
        built = build_world()
    return built
