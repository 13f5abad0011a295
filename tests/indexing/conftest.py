"""Indexing tests: documents on the real S3 server (as in tests/documents), a tantivy index per test."""

import pytest

from backend.access.policy import user_principals
from indexing import query
from indexing.backends import SearchFilters, SearchRequest
from indexing.models import VersionIndexState
from tests import factories


@pytest.fixture(autouse=True)
def s3_backed_documents(s3_document_bucket):
    return s3_document_bucket


@pytest.fixture(autouse=True)
def search_index(tantivy_index):
    """A fresh embedded index for every test; returns the backend."""
    return tantivy_index


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """`with committed():` runs the on-commit hooks (indexing) of what happens inside, as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def people():
    """(owner, colleague) in sales and an outsider in service."""
    sales = factories.DepartmentFactory(code="sales")
    service = factories.DepartmentFactory(code="service")
    owner = factories.UserFactory(username="owner", department=sales)
    colleague = factories.UserFactory(username="colleague", department=sales)
    outsider = factories.UserFactory(username="outsider", department=service)
    return owner, colleague, outsider


def engine_hits(backend, user, q=None, **filters) -> set[int]:
    """Document ids the *engine* returns for `user` (no database re-check): the index ACL itself."""
    request = SearchRequest(query=query.parse(q) if q else None, principals=tuple(user_principals(user)),
                            filters=SearchFilters(**filters), limit=100)
    return {hit.document_id for hit in backend.search(request).hits}


def state_of(document) -> VersionIndexState:
    return VersionIndexState.objects.get(version_id=document.valid_version_id)


def break_engine(settings, tmp_path) -> str:
    """Point SEARCH_URL at an index that cannot be opened; returns the good URL."""
    blocker = tmp_path / "engine-down"
    blocker.write_text("not a directory")
    good = settings.SEARCH_URL
    settings.SEARCH_URL = f"tantivy://{blocker}/index"
    return good
