import uuid

import pytest
from rest_framework.test import APIClient

from tests.fixtures.s3server import *  # noqa: F401,F403  (the real S3 server fixtures)


@pytest.fixture(autouse=True)
def s3_backed_documents(settings, s3_server):
    """Document tests store bytes in a fresh bucket on the real S3 server."""
    settings.STORAGE_URL = s3_server.url_for_bucket(f"docs-{uuid.uuid4().hex[:12]}")
    return settings.STORAGE_URL


@pytest.fixture
def api():
    return APIClient()


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client
