import pytest


@pytest.fixture(autouse=True)
def s3_backed_documents(s3_document_bucket):
    """Shared documents keep their bytes in a fresh bucket on the real S3 server, as in tests/documents."""
    return s3_document_bucket
