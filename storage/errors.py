"""Typed errors of the object stores.

An error a request can run into says what it means for the caller: `status_code` (the HTTP
status), `code` (a stable machine-readable code) and `message` (the sentence shown for it), stated
in its class line. The API's one exception handler (backend.common.exceptions) answers with them;
this package stays free of Django and HTTP libraries. Errors without a `status_code` (a bad key) are
bugs: 500.
"""

from __future__ import annotations


class StoreError(Exception):
    """Base class of every error an object store raises."""

    status_code: int | None = None
    code = "store_error"
    message = "The document store failed."

    def __init_subclass__(cls, **declared) -> None:
        """`class X(StoreError, status=503, code="...", message="...")` sets the three attributes."""
        for keyword, attribute in (("status", "status_code"), ("code", "code"), ("message", "message")):
            if keyword in declared:
                setattr(cls, attribute, declared.pop(keyword))
        super().__init_subclass__(**declared)


class StoreUnavailable(StoreError, status=503, code="store_unavailable",
                       message="The document store is unavailable. Nothing was saved; please retry shortly."):
    """The store is unreachable or failing: connection refused, timeout, 5xx,
    bad credentials, a local I/O error such as a full disk."""


# A version's row names the object: its content is missing, not the version (503, not 404).
class ObjectNotFound(StoreError, status=503, code="content_missing",
                     message="The stored content of this version is missing from the document store."):
    def __init__(self, key: str):
        super().__init__(f"object not found: {key}")
        self.key = key


class ObjectTooLarge(StoreError, status=413, code="too_large", message="The file is larger than the upload limit."):
    """The stream had more than `limit` bytes; nothing was kept."""

    def __init__(self, limit: int):
        super().__init__(f"object exceeds the limit of {limit} bytes")
        self.limit = limit


class ChecksumMismatch(StoreError, status=400, code="checksum_mismatch",
                       message="The uploaded content does not match the Content-Digest sent with it. Nothing was saved."):
    """The sha256 the client declared is not the sha256 of what it sent; nothing was kept."""

    def __init__(self, expected: str, actual: str):
        super().__init__(f"sha256 mismatch: declared {expected}, received {actual}")
        self.expected = expected
        self.actual = actual


class ObjectCorrupt(StoreError, status=503, code="content_corrupt",
                    message="The stored content of this version failed its checksum and was not served."):
    """The stored bytes no longer hash to the sha256 they were stored under."""

    def __init__(self, key: str, expected: str, actual: str):
        super().__init__(f"object {key} is corrupt: expected sha256 {expected}, got {actual}")
        self.key = key
        self.expected = expected
        self.actual = actual


class PresignNotSupported(StoreError, status=400, code="presign_not_supported",
                          message="Presigned download URLs need the S3 document store."):
    """This store (or its configuration, e.g. SSE-C) cannot hand out presigned URLs."""


class ObjectHeld(StoreError, status=409, code="object_held",
                 message="The stored content is under a legal hold and cannot be deleted."):
    """The store itself refused to delete an object under a legal hold (S3 Object Lock, or the local
    store's record of its holds)."""

    def __init__(self, key: str):
        super().__init__(f"object under legal hold: {key}")
        self.key = key


class LegalHoldUnsupported(StoreError, code="legal_hold_unsupported",
                           message="The document store cannot hold objects (it needs S3 Object Lock)."):
    """Holding an object on a store (or bucket) without Object Lock."""


class InvalidKey(StoreError, ValueError):
    """A key that cannot name an object (empty, absolute, with `..` or empty segments)."""

    def __init__(self, key: str, reason: str):
        super().__init__(f"invalid object key {key!r}: {reason}")
        self.key = key
