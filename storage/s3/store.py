"""Object store on any S3 server, through the `minio` client.

Uploads
-------
* Every PUT body (a single-request upload and every multipart part) carries
  `x-amz-checksum-sha256`, so the server rejects bytes damaged in transit.
  The same per-request digest signs the payload (`x-amz-content-sha256`),
  so each part is hashed once, as plain minio does.
* Large streams go up as multipart uploads of PART_SIZE parts, several in
  flight in a thread pool while the next part is read. Memory is bounded by
  the part buffers (PART_BUFFERS x PART_SIZE = 40 MiB), whatever the size.
* Where the object ends up:
    - the sha256 is known before writing (declared by the caller, computed in
      a first pass over a seekable file, or the whole stream fit in the part
      buffers): straight to the content key;
    - otherwise: to `staging/<uuid>`, then a server-side copy to the content
      key and the staging object is deleted.
  If the content key already exists nothing new is kept (created=False).
* On any failure the multipart upload is aborted and staging objects are
  deleted (best effort while the store is down; the gc sweeps `staging/`).
"""

from __future__ import annotations

import hashlib
import mmap
import threading
import uuid
from collections import deque
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import timedelta
from typing import BinaryIO

from ..base import (
    CHUNK_SIZE,
    STAGING_PREFIX,
    ObjectInfo,
    ObjectReader,
    StoredObject,
    VerifiedChunks,
    check_key,
    check_range,
    content_key,
    normalize_sha256,
)
from ..disposition import content_disposition
from ..errors import (
    ChecksumMismatch,
    ObjectNotFound,
    PresignNotSupported,
    StoreError,
    StoreUnavailable,
)
from ..streams import HashingReader, drain, fill
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

PART_SIZE = 8 << 20
UPLOAD_WORKERS = 4
PART_BUFFERS = 5  # one being filled while four are in flight: 40 MiB at most
CONNECT_TIMEOUT = 3.0
READ_TIMEOUT = 60.0
COPY_READ_TIMEOUT = 900.0  # a server-side copy of gigabytes answers only when done


class _S3Reader(ObjectReader):
    def __init__(self, response, size: int, chunk_size: int = CHUNK_SIZE):
        self._response = response
        self.size = size
        self._remaining = size
        self.chunk_size = chunk_size

    def read(self, n: int = -1) -> bytes:
        response = self._response
        if self._remaining <= 0 or response is None:
            return b""
        want = self._remaining if n is None or n < 0 else min(n, self._remaining)
        with translate_errors(what="download"):
            data = response.read(want, decode_content=False)
        if not data:
            raise StoreUnavailable(f"S3 download ended {self._remaining} bytes early")
        self._remaining -= len(data)
        return data

    def close(self) -> None:
        response, self._response = self._response, None
        if response is not None:
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


class S3ObjectStore:
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
        return f"S3ObjectStore({scheme}://{self.endpoint}/{self.bucket}, sse={self.sse or 'none'})"

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
                self._client.make_bucket_if_missing(self.bucket, location=self.region)
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
    def put_stream(
        self,
        stream: BinaryIO,
        *,
        content_type: str = "application/octet-stream",
        max_size: int | None = None,
        expected_sha256: str | None = None,
    ) -> StoredObject:
        expected = normalize_sha256(expected_sha256) if expected_sha256 is not None else None
        self._ensure_bucket()
        if self._cleanup_backlog:
            self.retry_failed_cleanup()
        prehashed: _Prehashed | None = None
        if expected is None:
            start = _seekable_position(stream)
            if start is not None:
                # A file we can read twice: hash it first, then write it
                # straight to its content key (no staging copy).
                prehashed = _prehash(stream, part_size=self.part_size, max_size=max_size)
                stream.seek(start)
                expected = prehashed.sha256
        if expected is not None:
            key = content_key(expected)
            if self._exists(key):
                if prehashed is not None:
                    return StoredObject(key=key, sha256=expected, size=prehashed.size, created=False)
                # Verify the declared hash without uploading anything.
                reader = HashingReader(stream, max_size=max_size)
                drain(reader, self.part_size)
                if reader.sha256_hex() != expected:
                    raise ChecksumMismatch(expected, reader.sha256_hex())
                return StoredObject(key=key, sha256=expected, size=reader.size, created=False)
        upload = _Upload(self, stream, content_type, max_size=max_size, expected=expected, prehashed=prehashed)
        return upload.run()

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
            self._client.remove_object(self.bucket, key)
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
                    with translate_errors(key, "delete"):
                        self._client.remove_object(self.bucket, key)
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

    def iter_verified(
        self, key: str, *, sha256: str, size: int | None = None, chunk_size: int = CHUNK_SIZE
    ) -> Iterator[bytes]:
        reader = self.open(key)
        reader.chunk_size = chunk_size
        return VerifiedChunks(reader, key=key, sha256=sha256, size=size)

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
        with translate_errors(key, "delete"):
            self._client.remove_object(self.bucket, key)

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


@dataclass(frozen=True)
class _Prehashed:
    """What a first pass over a seekable source found: the object's sha256,
    its size and the sha256 of every PART_SIZE part. The second pass sends
    each part with its first-pass digest, so the server refuses bytes that
    changed in between, and no byte is hashed twice."""

    sha256: str
    size: int
    part_digests: tuple[bytes, ...]


def _prehash(stream, *, part_size: int, max_size: int | None) -> _Prehashed:
    reader = HashingReader(stream, max_size=max_size)
    digests: list[bytes] = []
    pending: deque[Future] = deque()
    buffers = [_part_buffer(part_size), _part_buffer(part_size)]
    try:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="s3-prehash") as pool:
            number = 0
            while True:
                if len(pending) == 2:
                    digests.append(pending.popleft().result())  # frees the buffer we reuse now
                buffer = buffers[number % 2]
                count = fill(reader, buffer)  # hashes the whole object as it reads
                if count or number == 0:
                    # The part digest runs in the worker while we read the next part.
                    pending.append(pool.submit(_sha256_digest, memoryview(buffer)[:count]))
                    number += 1
                if count < part_size:
                    break
            while pending:
                digests.append(pending.popleft().result())
    finally:
        for buffer in buffers:
            _unmap(buffer)
    return _Prehashed(reader.sha256_hex(), reader.size, tuple(digests))


def _part_buffer(size: int) -> mmap.mmap:
    """A part buffer straight from the kernel.

    Anonymous mmaps are handed back to the OS as soon as the last reference
    goes, so a process's RSS falls back after every upload. (Large bytearrays
    come from malloc, whose adaptive thresholds keep freed parts in its
    arenas, so RSS ratchets up across uploads and downloads.) Pages are only
    touched as they are filled, so the short last part costs only its size.
    """
    return mmap.mmap(-1, size)


def _unmap(buffer: mmap.mmap) -> None:
    try:
        buffer.close()
    except BufferError:
        pass  # a view of it is still alive somewhere; it goes with the last reference


def _sha256_digest(data) -> bytes:
    return hashlib.sha256(data).digest()


class _Upload:
    """One put_stream: reads parts into a small pool of buffers and sends them.

    With `expected` the content key is known and the object goes there
    directly. Without it, up to `part_buffers` parts are read ahead: if the
    stream ends within them the hash is known and the object still goes
    straight to its content key; otherwise it goes to staging/<uuid> and is
    copied to its content key afterwards.
    """

    def __init__(
        self,
        store: S3ObjectStore,
        stream,
        content_type: str,
        *,
        max_size: int | None,
        expected: str | None,
        prehashed: _Prehashed | None = None,
    ):
        self.store = store
        # A prehashed source was already hashed and size-checked; just count it.
        self.reader = stream if prehashed is not None else HashingReader(stream, max_size=max_size)
        self.content_type = content_type
        self.expected = expected
        self.prehashed = prehashed
        self.part_size = store.part_size
        self.size = 0
        self._free: list[mmap.mmap] = []
        self._buffers: list[mmap.mmap] = []
        self._inflight: dict[Future, mmap.mmap] = {}
        self._parts: list[UploadedPart] = []
        self._pool: ThreadPoolExecutor | None = None

    # -- buffers -----------------------------------------------------------
    def _new_buffer(self) -> mmap.mmap:
        buffer = _part_buffer(self.part_size)
        self._buffers.append(buffer)
        return buffer

    def _release_buffers(self) -> None:
        """Unmap the part buffers now rather than whenever the last reference
        goes (an exception's traceback can keep this frame alive for a while)."""
        buffers, self._buffers = self._buffers, []
        self._free.clear()
        for buffer in buffers:
            _unmap(buffer)

    def _reap(self, block: bool) -> None:
        """Collect finished part uploads; re-raise the first failure."""
        if not self._inflight:
            return
        done, _ = wait(list(self._inflight), return_when=FIRST_COMPLETED, timeout=None if block else 0)
        for future in done:
            buffer = self._inflight.pop(future)
            self._parts.append(future.result())
            self._free.append(buffer)

    def _buffer(self) -> mmap.mmap:
        self._reap(block=False)
        if self._free:
            return self._free.pop()
        if len(self._buffers) < self.store.part_buffers:
            return self._new_buffer()
        self._reap(block=True)
        return self._free.pop()

    def _read_part(self, buffer: mmap.mmap) -> int:
        count = fill(self.reader, buffer)
        self.size += count
        if self.prehashed is not None and self.size > self.prehashed.size:
            raise StoreError("the source stream grew between the hashing pass and the upload")
        return count

    # -- digests ---------------------------------------------------------------
    def _digest_hex(self) -> str:
        return self.prehashed.sha256 if self.prehashed is not None else self.reader.sha256_hex()

    def _part_digest(self, number: int) -> bytes | None:
        """The first-pass digest of part `number` (None: hash it while sending)."""
        if self.prehashed is None:
            return None
        if number > len(self.prehashed.part_digests):
            raise StoreError("the source stream changed between the hashing pass and the upload")
        return self.prehashed.part_digests[number - 1]

    def _check_complete(self, parts_sent: int) -> None:
        """Before anything becomes visible: the bytes are the ones promised."""
        if self.prehashed is not None:
            if self.size != self.prehashed.size or parts_sent != len(self.prehashed.part_digests):
                raise StoreError("the source stream changed between the hashing pass and the upload")
            return
        digest = self.reader.sha256_hex()
        if self.expected is not None and digest != self.expected:
            raise ChecksumMismatch(self.expected, digest)

    # -- flow ----------------------------------------------------------------
    def run(self) -> StoredObject:
        try:
            return self._run()
        finally:
            self._release_buffers()

    def _run(self) -> StoredObject:
        store = self.store
        limit = 1 if self.expected is not None else store.part_buffers
        buffered: list[tuple[mmap.mmap, int]] = []
        ended = False
        while len(buffered) < limit:
            buffer = self._new_buffer()
            count = self._read_part(buffer)
            if count or not buffered:
                buffered.append((buffer, count))
            if count < self.part_size:
                ended = True
                break

        if ended:
            self._check_complete(len(buffered))
            digest = self._digest_hex()
            key = content_key(digest)
            if self.expected is None and store._exists(key):
                return StoredObject(key=key, sha256=digest, size=self.size, created=False)
            if len(buffered) == 1:
                buffer, count = buffered[0]
                part_digest = self._part_digest(1) or self.reader.sha256_digest()
                store._put_single(key, memoryview(buffer)[:count], part_digest, self.content_type)
            else:
                self._multipart(key, buffered, more=False)
            return StoredObject(key=key, sha256=digest, size=self.size, created=True)

        if self.expected is not None:
            key = content_key(self.expected)
            self._multipart(key, buffered, more=True)
            return StoredObject(key=key, sha256=self.expected, size=self.size, created=True)

        staging_key = f"{STAGING_PREFIX}{uuid.uuid4().hex}"
        self._multipart(staging_key, buffered, more=True)
        digest = self._digest_hex()
        key = content_key(digest)
        try:
            if store._exists(key):
                created = False
            else:
                store._promote(staging_key, key, self.size, self.content_type)
                created = True
        finally:
            store._delete_quietly(staging_key)
        return StoredObject(key=key, sha256=digest, size=self.size, created=created)

    def _multipart(self, key: str, buffered: list[tuple[mmap.mmap, int]], *, more: bool) -> None:
        """Multipart upload of the buffered parts and, if `more`, the rest of the stream."""
        store = self.store
        upload_id = store._create_multipart(key, self.content_type)
        self._pool = ThreadPoolExecutor(max_workers=store.upload_workers, thread_name_prefix="s3-part")
        try:
            number = 0
            for buffer, count in buffered:
                number += 1
                self._submit(key, upload_id, number, buffer, count)
            buffered.clear()
            while more:
                buffer = self._buffer()
                count = self._read_part(buffer)
                if count:
                    number += 1
                    self._submit(key, upload_id, number, buffer, count)
                else:
                    self._free.append(buffer)
                more = count == self.part_size
            while self._inflight:
                self._reap(block=True)
            self._check_complete(number)
            self._parts.sort(key=lambda part: part.number)
            store._complete_multipart(key, upload_id, self._parts)
        except BaseException:
            self._shutdown()
            store._abort_multipart(key, upload_id)
            raise
        finally:
            self._shutdown()

    def _submit(self, key: str, upload_id: str, number: int, buffer: mmap.mmap, count: int) -> None:
        body = memoryview(buffer)[:count]
        digest = self._part_digest(number)
        future = self._pool.submit(self.store._upload_part, key, upload_id, number, body, digest)
        self._inflight[future] = buffer

    def _shutdown(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            # Parts not yet started are dropped; running ones end (or fail) on their own.
            pool.shutdown(wait=True, cancel_futures=True)
        self._inflight.clear()


def _seekable_position(stream) -> int | None:
    """The current position of a stream we may rewind to, else None."""
    try:
        if not stream.seekable():
            return None
        return stream.tell()
    except (AttributeError, OSError, ValueError):
        return None
