"""S3ObjectStore: the ObjectStore on any S3 server.

Reads, listing, deletes, presigned URLs and cleanup are here; how a stream
becomes an object is in `upload.py`, and every minio call that is not public
API is in `client.py`. Uploads and deletes that fail while the store is down
are remembered and retried on the next put_stream or ping.
"""

from __future__ import annotations

import hashlib
import threading
from collections import deque
from collections.abc import Iterator
from datetime import timedelta
from typing import BinaryIO

from ..base import (
    ObjectInfo, ObjectReader, ObjectStore, SourceReader, StoredObject, check_key, check_range,
)
from ..disposition import content_disposition
from ..errors import (
    LegalHoldUnsupported, ObjectHeld, ObjectNotFound, PresignNotSupported, StoreError, StoreUnavailable,
)
from .client import (
    IncompleteUpload,
    S3Client,
    UploadedPart,
    http_pool,
    s3_error_code,
    sse_settings,
    translate_errors,
    utc,
)
from .upload import PART_BUFFERS, PART_SIZE, UPLOAD_WORKERS, upload_stream

CONNECT_TIMEOUT = 3.0
READ_TIMEOUT = 60.0
COPY_READ_TIMEOUT = 900.0  # a server-side copy of gigabytes answers only when done


class _S3Reader(SourceReader):
    def _read_from(self, response, n: int) -> bytes:
        with translate_errors(what="download"):
            data = response.read(n, decode_content=False)
        if not data:
            raise StoreUnavailable(f"S3 download ended {self._remaining} bytes early")
        return data

    def _release(self, response) -> None:
        try:
            response.close()
            response.release_conn()
        except Exception:  # noqa: BLE001 - closing must not fail
            pass


class _EmptyReader(ObjectReader):
    size = 0

    def read(self, n: int = -1) -> bytes:
        return b""

    def close(self) -> None:
        pass


class S3ObjectStore(ObjectStore):
    """ObjectStore on an S3 bucket (created on first use)."""

    kind = "s3"

    def __init__(
        self,
        *,
        endpoint: str,
        bucket: str,
        access_key: str,
        secret_key: str,
        secure: bool = True,
        region: str = "us-east-1",
        sse: str = "",
        sse_c_key: bytes | None = None,
        connect_timeout: float = CONNECT_TIMEOUT,
        read_timeout: float = READ_TIMEOUT,
        part_size: int = PART_SIZE,
        upload_workers: int = UPLOAD_WORKERS,
        part_buffers: int = PART_BUFFERS,
        object_lock: bool = False,
    ):
        if part_size < 5 << 20:
            raise ValueError("S3 parts must be at least 5 MiB")
        if part_buffers < 2 or upload_workers < 1:
            raise ValueError("need at least two part buffers and one upload worker")
        self.endpoint = endpoint
        self.bucket = bucket
        self.secure = secure
        self.region = region
        self.part_size = part_size
        self.upload_workers = upload_workers
        self.part_buffers = part_buffers
        # Object Lock (legal holds): the bucket is made with the lock on, which makes it versioned; a
        # delete then removes every version of the key (none is left behind a delete marker) and the
        # server refuses a held one.
        self.object_lock = object_lock
        self._sse, self._ssec = sse_settings(sse, sse_c_key)
        self.sse = sse
        pool_size = max(16, upload_workers * 2)
        client_args = dict(access_key=access_key, secret_key=secret_key, secure=secure, region=region)
        self._client = S3Client(
            endpoint, http_client=http_pool(connect_timeout, read_timeout, pool_size), **client_args
        )
        self._copy_client = S3Client(
            endpoint, http_client=http_pool(connect_timeout, COPY_READ_TIMEOUT, 4), **client_args
        )
        self._bucket_ready = False
        self._bucket_lock = threading.Lock()
        self._cleanup_backlog: deque[tuple[str, str, str | None]] = deque(maxlen=10_000)
        self._cleanup_lock = threading.Lock()

    def __repr__(self) -> str:
        scheme = "https" if self.secure else "http"
        lock = ", object_lock" if self.object_lock else ""
        return f"S3ObjectStore({scheme}://{self.endpoint}/{self.bucket}, sse={self.sse or 'none'}{lock})"

    @property
    def client(self) -> S3Client:
        """The underlying minio client (for maintenance jobs and tests)."""
        return self._client

    # -- bucket -------------------------------------------------------------
    def _ensure_bucket(self) -> None:
        if self._bucket_ready:
            return
        with self._bucket_lock:
            if self._bucket_ready:
                return
            with translate_errors(what="bucket check"):
                self._client.make_bucket_if_missing(self.bucket, location=self.region, object_lock=self.object_lock)
                if self.object_lock and self._client.get_object_lock_config(self.bucket) is None:
                    raise LegalHoldUnsupported(f"bucket {self.bucket} was made without Object Lock")
            self._bucket_ready = True

    def ping(self) -> None:
        self._ensure_bucket()
        self.retry_failed_cleanup()
        with translate_errors(what="ping"):
            present = self._client.bucket_exists(self.bucket)
        if not present:
            self._bucket_ready = False
            raise StoreUnavailable(f"S3 bucket {self.bucket} is missing")

    # -- headers --------------------------------------------------------------
    def _write_headers(self, content_type: str) -> dict:
        headers = {"Content-Type": content_type or "application/octet-stream"}
        if self._sse is not None:
            headers.update(self._sse.headers())
        return headers

    def _ssec_headers(self) -> dict:
        return dict(self._ssec.headers()) if self._ssec is not None else {}

    # -- uploading ------------------------------------------------------------
    def _put_stream(
        self, stream: BinaryIO, *, content_type: str, max_size: int | None, expected: str | None
    ) -> StoredObject:
        self._ensure_bucket()
        if self._cleanup_backlog:
            self.retry_failed_cleanup()
        return upload_stream(self, stream, content_type=content_type, max_size=max_size, expected=expected)

    def _put_single(self, key: str, body, digest: bytes, content_type: str) -> None:
        """One PUT request; the server checks the body against `digest`."""
        with translate_errors(what="upload"):
            self._client.put_object_sha256(self.bucket, key, body, digest, self._write_headers(content_type))

    def _create_multipart(self, key: str, content_type: str) -> str:
        with translate_errors(what="multipart create"):
            return self._client.create_multipart_sha256(self.bucket, key, self._write_headers(content_type))

    def _upload_part(
        self, key: str, upload_id: str, number: int, body, digest: bytes | None = None
    ) -> UploadedPart:
        """Upload one part; hashes it unless `digest` is given (tests give a wrong one)."""
        if digest is None:
            digest = hashlib.sha256(body).digest()
        with translate_errors(what="part upload"):
            return self._client.upload_part_sha256(
                self.bucket, key, upload_id, number, body, digest, self._ssec_headers()
            )

    def _complete_multipart(self, key: str, upload_id: str, parts: list[UploadedPart]) -> None:
        with translate_errors(what="multipart complete"):
            self._client.complete_multipart_sha256(self.bucket, key, upload_id, parts, self._ssec_headers())

    def _abort_multipart(self, key: str, upload_id: str) -> None:
        """Best effort; if the store is down, remembered and retried later."""
        try:
            self._client.abort_multipart(self.bucket, key, upload_id)
        except Exception:  # noqa: BLE001 - the store may be why we are aborting
            self._remember_cleanup("abort", key, upload_id)

    def _delete_quietly(self, key: str) -> None:
        """Best effort; if the store is down, remembered and retried later."""
        try:
            self._remove(key)
        except Exception:  # noqa: BLE001
            self._remember_cleanup("delete", key, None)

    def _remember_cleanup(self, action: str, key: str, upload_id: str | None) -> None:
        with self._cleanup_lock:
            self._cleanup_backlog.append((action, key, upload_id))

    def retry_failed_cleanup(self) -> int:
        """Redo aborts/deletes that failed while the store was down.

        Called at the start of put_stream and ping; returns how many are
        still pending (the periodic gc catches whatever a crash loses).
        """
        while True:
            with self._cleanup_lock:
                if not self._cleanup_backlog:
                    return 0
                action, key, upload_id = self._cleanup_backlog.popleft()
            try:
                if action == "abort":
                    self.abort_incomplete_upload(key, upload_id or "")
                else:
                    self._remove(key)
            except StoreError:
                with self._cleanup_lock:
                    self._cleanup_backlog.appendleft((action, key, upload_id))
                    return len(self._cleanup_backlog)

    def _promote(self, staging_key: str, key: str, size: int, content_type: str) -> None:
        """Server-side copy of a completed staging object to its content key."""
        with translate_errors(what="copy"):
            self._copy_client.copy_within_bucket(
                self.bucket, staging_key, key, size=size, content_type=content_type, sse=self._sse, ssec=self._ssec
            )

    # -- reading ----------------------------------------------------------------
    def _exists(self, key: str) -> bool:
        try:
            self.stat(key)
        except ObjectNotFound:
            return False
        return True

    def exists(self, key: str) -> bool:
        check_key(key)
        self._ensure_bucket()
        return self._exists(key)

    def stat(self, key: str) -> ObjectInfo:
        check_key(key)
        self._ensure_bucket()
        with translate_errors(key, "stat"):
            result = self._client.stat_object(self.bucket, key, ssec=self._ssec)
        return ObjectInfo(key=key, size=int(result.size or 0), last_modified=utc(result.last_modified))

    def open(self, key: str, *, offset: int = 0, length: int | None = None) -> ObjectReader:
        check_key(key)
        check_range(offset, length)
        self._ensure_bucket()
        if length == 0:
            self.stat(key)  # still tell a missing object apart
            return _EmptyReader()
        try:
            with translate_errors(key, "download"):
                response = self._client.get_object(
                    self.bucket, key, offset=offset, length=length or 0, ssec=self._ssec
                )
        except StoreError as exc:
            if s3_error_code(exc.__cause__) == "InvalidRange":
                return _EmptyReader()  # offset at or past the end
            raise
        try:
            size = int(response.headers.get("content-length", "0"))
        except ValueError:
            response.close()
            response.release_conn()
            raise StoreUnavailable("S3 download without a usable Content-Length") from None
        return _S3Reader(response, size)

    def iter_objects(self, prefix: str = "") -> Iterator[ObjectInfo]:
        self._ensure_bucket()
        with translate_errors(what="listing"):
            for item in self._client.list_objects(self.bucket, prefix=prefix or None, recursive=True):
                if item.is_dir:
                    continue
                yield ObjectInfo(
                    key=item.object_name, size=int(item.size or 0), last_modified=utc(item.last_modified)
                )

    # -- deleting and the rest ----------------------------------------------------
    def delete(self, key: str) -> None:
        check_key(key)
        self._ensure_bucket()
        self._remove(key)

    def _remove(self, key: str) -> None:
        """Remove the object; on an Object Lock bucket every version of it, or ObjectHeld when the server
        refuses one under a legal hold."""
        if not self.object_lock:
            with translate_errors(key, "delete"):
                self._client.remove_object(self.bucket, key)
            return
        for version_id, is_marker in self._versions(key):
            try:
                with translate_errors(key, "delete"):
                    self._client.remove_object(self.bucket, key, version_id=version_id)
            except StoreError as exc:
                if not is_marker and s3_error_code(exc.__cause__) == "AccessDenied" and self._held(key, version_id):
                    raise ObjectHeld(key) from exc
                raise

    def _versions(self, key: str) -> list[tuple[str, bool]]:
        """(version id, is a delete marker) of every version of exactly `key`."""
        with translate_errors(key, "version listing"):
            return [(item.version_id, bool(item.is_delete_marker))
                    for item in self._client.list_objects(self.bucket, prefix=key, include_version=True)
                    if item.object_name == key and item.version_id]

    def _held(self, key: str, version_id: str) -> bool:
        with translate_errors(key, "legal hold check"):
            return bool(self._client.is_object_legal_hold_enabled(self.bucket, key, version_id=version_id))

    # -- legal holds (Object Lock buckets) ---------------------------------------------
    def _object_versions(self, key: str) -> list[str]:
        check_key(key)
        if not self.object_lock:
            raise LegalHoldUnsupported(f"{self!r} has no Object Lock: legal holds need STORAGE_URL ...?object_lock=1")
        self._ensure_bucket()
        return [version_id for version_id, is_marker in self._versions(key) if not is_marker]

    def set_legal_hold(self, key: str) -> None:
        versions = self._object_versions(key)
        if not versions:
            raise ObjectNotFound(key)
        for version_id in versions:
            with translate_errors(key, "legal hold"):
                self._client.enable_object_legal_hold(self.bucket, key, version_id=version_id)

    def clear_legal_hold(self, key: str) -> None:
        for version_id in self._object_versions(key):
            with translate_errors(key, "legal hold release"):
                self._client.disable_object_legal_hold(self.bucket, key, version_id=version_id)

    def is_legally_held(self, key: str) -> bool:
        if not self.object_lock:
            return False
        return any(self._held(key, version_id) for version_id in self._object_versions(key))

    def presigned_get_url(
        self,
        key: str,
        *,
        expires_seconds: int,
        filename: str,
        content_type: str,
        inline: bool = False,
    ) -> str:
        check_key(key)
        if self._ssec is not None:
            raise PresignNotSupported("objects under SSE-C need the key in request headers; serve them directly")
        if not 1 <= expires_seconds <= 7 * 24 * 3600:
            raise ValueError("expires_seconds must be between 1 second and 7 days")
        with translate_errors(key, "presign"):
            return self._client.presigned_get_object(
                self.bucket,
                key,
                expires=timedelta(seconds=expires_seconds),
                response_headers={
                    "response-content-disposition": content_disposition(filename, inline=inline),
                    "response-content-type": content_type,
                },
            )

    # -- maintenance (S3 only) -------------------------------------------------------
    def iter_incomplete_uploads(self, prefix: str = "") -> Iterator[IncompleteUpload]:
        """Multipart uploads that were started and neither completed nor aborted."""
        self._ensure_bucket()
        with translate_errors(what="listing uploads"):
            yield from self._client.list_incomplete_uploads(self.bucket, prefix)

    def abort_incomplete_upload(self, key: str, upload_id: str) -> None:
        with translate_errors(key, "abort"):
            self._client.abort_multipart(self.bucket, key, upload_id)
