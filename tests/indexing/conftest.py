"""Indexing tests: documents on the real S3 server (as in tests/documents), a tantivy index per test."""

import pytest

from tests import factories
from tests.fixtures.documents import s3_backed_documents, search_index  # noqa: F401 - autouse in this folder


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
