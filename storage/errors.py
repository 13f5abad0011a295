"""Typed errors of the object stores.

Callers map these to HTTP statuses in one place (503 for StoreUnavailable,
404 for ObjectNotFound, 413 for ObjectTooLarge, 400 for ChecksumMismatch).
"""

from __future__ import annotations


class StoreError(Exception):
    """Base class of every error an object store raises."""


class StoreUnavailable(StoreError):
    """The store is unreachable or failing: connection refused, timeout, 5xx,
    bad credentials, a local I/O error such as a full disk."""


class ObjectNotFound(StoreError):
    def __init__(self, key: str):
        super().__init__(f"object not found: {key}")
        self.key = key


class ObjectTooLarge(StoreError):
    """The stream had more than `limit` bytes; nothing was kept."""

    def __init__(self, limit: int):
        super().__init__(f"object exceeds the limit of {limit} bytes")
        self.limit = limit


class ChecksumMismatch(StoreError):
    """The sha256 the client declared is not the sha256 of what it sent; nothing was kept."""

    def __init__(self, expected: str, actual: str):
        super().__init__(f"sha256 mismatch: declared {expected}, received {actual}")
        self.expected = expected
        self.actual = actual


class ObjectCorrupt(StoreError):
    """The stored bytes no longer hash to the sha256 they were stored under."""

    def __init__(self, key: str, expected: str, actual: str):
        super().__init__(f"object {key} is corrupt: expected sha256 {expected}, got {actual}")
        self.key = key
        self.expected = expected
        self.actual = actual


class PresignNotSupported(StoreError):
    """This store (or its configuration, e.g. SSE-C) cannot hand out presigned URLs."""


class InvalidKey(StoreError, ValueError):
    """A key that cannot name an object (empty, absolute, with `..` or empty segments)."""

    def __init__(self, key: str, reason: str):
        super().__init__(f"invalid object key {key!r}: {reason}")
        self.key = key
