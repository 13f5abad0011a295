"""Operations endpoints: the document store on the real S3 test server, a tantivy index per test
(the fixtures come from tests/fixtures/, loaded as plugins by pytest.ini)."""

import pytest


@pytest.fixture(autouse=True)
def real_backends(s3_document_bucket, tantivy_index):
    """What /readyz probes and /metrics counts: a fresh bucket and a fresh index for every test."""
    return tantivy_index
