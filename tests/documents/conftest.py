import pytest
from rest_framework.test import APIClient



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
