"""Document tests store bytes in a fresh bucket on the real S3 server."""

from tests.fixtures.documents import s3_backed_documents  # noqa: F401 - autouse in this folder
