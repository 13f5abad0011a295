import pytest
from rest_framework.test import APIClient

from tests.fixtures.backends import *  # noqa: F401,F403  (per-test bucket and index)
from tests.fixtures.s3server import *  # noqa: F401,F403  (the real S3 server fixtures)


@pytest.fixture(autouse=True)
def s3_backed_documents(s3_document_bucket):
    """Document tests store bytes in a fresh bucket on the real S3 server."""
    return s3_document_bucket


@pytest.fixture
def api():
    return APIClient()


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client
