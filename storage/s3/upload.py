"""The upload engine of the S3 store: how a stream becomes a content-addressed object.

Uploads
-------
* Every PUT body (a single-request upload and every multipart part) carries
  `x-amz-checksum-sha256`, so the server rejects bytes damaged in transit.
  The same per-request digest signs the payload (`x-amz-content-sha256`),
  so each part is hashed once, as plain minio does (see client.py).
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

The engine decides what to send and when; each request goes through the
store (`_put_single`, `_create_multipart`, `_upload_part`,
`_complete_multipart`, `_abort_multipart`, `_promote`, `_delete_quietly`),
which adds the encryption headers, maps errors and remembers failed cleanup.
"""

from __future__ import annotations

import hashlib
import mmap
import uuid
from collections import deque
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO, Protocol

from ..base import STAGING_PREFIX, StoredObject, content_key
from ..errors import ChecksumMismatch, StoreError
from ..streams import HashingReader, drain, fill

if TYPE_CHECKING:
    from .client import UploadedPart


class UploadTarget(Protocol):
    """What the engine needs from a store: the S3 requests of one upload (S3ObjectStore has them)."""

    def _exists(self, key: str) -> bool: ...
    def _put_single(self, key: str, body, digest: bytes, content_type: str) -> None: ...
    def _promote(self, staging_key: str, key: str, size: int, content_type: str) -> None: ...
    def _delete_quietly(self, key: str) -> None: ...
    def _create_multipart(self, key: str, content_type: str) -> str: ...
    def _upload_part(self, key: str, upload_id: str, number: int, body, digest: bytes | None = None) -> "UploadedPart": ...
    def _complete_multipart(self, key: str, upload_id: str, parts: list["UploadedPart"]) -> None: ...
    def _abort_multipart(self, key: str, upload_id: str) -> None: ...


PART_SIZE = 8 << 20
UPLOAD_WORKERS = 4
PART_BUFFERS = 5  # one being filled while four are in flight: 40 MiB at most


def upload_stream(
    store: UploadTarget,
    stream: BinaryIO,
    *,
    content_type: str,
    max_size: int | None,
    expected: str | None,
) -> StoredObject:
    """Store `stream` in `store` under its content key (`expected`: the sha256
    the caller declared, already normalized). The bucket is ready."""
    prehashed: _Prehashed | None = None
    if expected is None:
        start = _seekable_position(stream)
        if start is not None:
            # A file we can read twice: hash it first, then write it
            # straight to its content key (no staging copy).
            prehashed = _prehash(stream, part_size=store.part_size, max_size=max_size)
            stream.seek(start)
            expected = prehashed.sha256
    if expected is not None:
        key = content_key(expected)
        if store._exists(key):
            if prehashed is not None:
                return StoredObject(key=key, sha256=expected, size=prehashed.size, created=False)
            # Verify the declared hash without uploading anything.
            reader = HashingReader(stream, max_size=max_size)
            drain(reader, store.part_size)
            if reader.sha256_hex() != expected:
                raise ChecksumMismatch(expected, reader.sha256_hex())
            return StoredObject(key=key, sha256=expected, size=reader.size, created=False)
    upload = _Upload(store, stream, content_type, max_size=max_size, expected=expected, prehashed=prehashed)
    return upload.run()


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
        store: UploadTarget,
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
