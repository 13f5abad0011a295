"""Object store on any S3 server, through the `minio` client.

    store.py   S3ObjectStore, the ObjectStore implementation
"""

from .store import (
    CONNECT_TIMEOUT,
    COPY_READ_TIMEOUT,
    PART_BUFFERS,
    PART_SIZE,
    READ_TIMEOUT,
    UPLOAD_WORKERS,
    IncompleteUpload,
    S3ObjectStore,
)

__all__ = [
    "CONNECT_TIMEOUT",
    "COPY_READ_TIMEOUT",
    "PART_BUFFERS",
    "PART_SIZE",
    "READ_TIMEOUT",
    "UPLOAD_WORKERS",
    "IncompleteUpload",
    "S3ObjectStore",
]
