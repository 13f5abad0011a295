"""Object store on any S3 server, through the `minio` client.

    store.py   S3ObjectStore, the ObjectStore implementation (reads, deletes, presigned URLs, cleanup)
    upload.py  the upload engine: pipelined multipart parts, each with its sha256, staging when needed
    client.py  S3Client, the minio client: the one module that uses minio's private API
"""

from .client import IncompleteUpload
from .store import CONNECT_TIMEOUT, COPY_READ_TIMEOUT, READ_TIMEOUT, S3ObjectStore
from .upload import PART_BUFFERS, PART_SIZE, UPLOAD_WORKERS

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
