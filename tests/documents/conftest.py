import pytest


@pytest.fixture(autouse=True)
def s3_backed_documents(s3_document_bucket):
    """Document tests store bytes in a fresh bucket on the real S3 server."""
    return s3_document_bucket
