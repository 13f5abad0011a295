"""Indexing tests: documents on the real S3 server (as in tests/documents), a tantivy index per test."""

import pytest
from rest_framework.test import APIClient



@pytest.fixture(autouse=True)
def s3_backed_documents(s3_document_bucket):
    return s3_document_bucket


@pytest.fixture(autouse=True)
def search_index(tantivy_index):
    """A fresh embedded index for every test; returns the backend."""
    return tantivy_index


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
