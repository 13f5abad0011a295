"""Shared documents keep their bytes in a fresh bucket on the real S3 server, as in tests/documents."""

from tests.fixtures.documents import s3_backed_documents  # noqa: F401 - autouse in this folder
