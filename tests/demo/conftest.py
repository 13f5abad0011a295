"""The demo's documents keep their bytes in a throw-away local store."""

from tests.fixtures.documents import local_disk_documents  # noqa: F401 - autouse in this folder
