"""Object storage: content-addressed blobs on S3 (minio client) or a local directory.

No Django here; settings build a store with `store_from_url(STORAGE_URL)`.
"""

from .base import (
    CONTENT_PREFIX,
    STAGING_PREFIX,
    ObjectInfo,
    ObjectReader,
    ObjectStore,
    StoredObject,
    content_key,
    sha256_from_key,
)
from .disposition import content_disposition
from .errors import (
    ChecksumMismatch,
    InvalidKey,
    ObjectCorrupt,
    ObjectNotFound,
    ObjectTooLarge,
    PresignNotSupported,
    StoreError,
    StoreUnavailable,
)
from .factory import store_from_url
from .streams import HashingReader, PrefixedReader

__all__ = [
    "CONTENT_PREFIX",
    "STAGING_PREFIX",
    "ChecksumMismatch",
    "HashingReader",
    "InvalidKey",
    "ObjectCorrupt",
    "ObjectInfo",
    "ObjectNotFound",
    "ObjectReader",
    "ObjectStore",
    "ObjectTooLarge",
    "PrefixedReader",
    "PresignNotSupported",
    "StoreError",
    "StoreUnavailable",
    "StoredObject",
    "content_disposition",
    "content_key",
    "sha256_from_key",
    "store_from_url",
]
