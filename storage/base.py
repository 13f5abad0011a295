"""The object-store contract: value types, content keys and the ObjectStore protocol.

Objects are content-addressed: the bytes of a file are stored once, under
`content_key(sha256)`. Uploads whose hash is not known up front go to
`staging/<uuid>` first; a periodic job sweeps staging objects older than a
grace period, so a crash never leaves garbage behind for long.
"""

from __future__ import annotations

import hashlib
import queue
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from types import GeneratorType
from typing import BinaryIO, Protocol, runtime_checkable

from .errors import InvalidKey, ObjectCorrupt

CONTENT_PREFIX = "sha256/"
STAGING_PREFIX = "staging/"

#: Chunk size of readers and of local-store writes.
CHUNK_SIZE = 1 << 20
#: The first chunk of a verified read: small, so the first bytes go out early.
FIRST_CHUNK_SIZE = 64 << 10

_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
_CONTENT_KEY = re.compile(r"sha256/([0-9a-f]{2})/([0-9a-f]{2})/([0-9a-f]{64})")
_MAX_KEY_BYTES = 1024


@dataclass(frozen=True)
class StoredObject:
    key: str
    sha256: str  # lowercase hex
    size: int
    created: bool  # False when identical content was already stored (dedup)


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    last_modified: datetime  # tz-aware UTC


def normalize_sha256(value: str) -> str:
    """Lowercase a hex sha256; ValueError unless it is 64 hex digits."""
    if not isinstance(value, str):
        raise ValueError(f"sha256 must be a hex string, not {type(value).__name__}")
    lowered = value.strip().lower()
    if not _SHA256_HEX.fullmatch(lowered):
        raise ValueError(f"not a sha256 hex digest: {value!r}")
    return lowered


def content_key(sha256_hex: str) -> str:
    """`sha256/ab/cd/abcd…` — two fan-out levels keep directories and listings small."""
    digest = normalize_sha256(sha256_hex)
    return f"{CONTENT_PREFIX}{digest[:2]}/{digest[2:4]}/{digest}"


def sha256_from_key(key: str) -> str | None:
    """The sha256 a content key names, or None for any other key."""
    match = _CONTENT_KEY.fullmatch(key) if isinstance(key, str) else None
    if match is None:
        return None
    first, second, digest = match.groups()
    if digest[:2] != first or digest[2:4] != second:
        return None
    return digest


def check_key(key: str) -> str:
    """Reject keys that could escape a directory or that S3 and a filesystem
    would treat differently; return the key unchanged when it is fine."""
    if not isinstance(key, str) or not key:
        raise InvalidKey(str(key), "empty")
    if len(key.encode("utf-8", "surrogatepass")) > _MAX_KEY_BYTES:
        raise InvalidKey(key, f"longer than {_MAX_KEY_BYTES} bytes")
    if key.startswith("/"):
        raise InvalidKey(key, "absolute")
    if "\\" in key or any(ord(ch) < 32 or ord(ch) == 127 for ch in key):
        raise InvalidKey(key, "backslash or control character")
    for segment in key.split("/"):
        if segment in ("", ".", ".."):
            raise InvalidKey(key, "empty, '.' or '..' segment")
    return key


def check_range(offset: int, length: int | None) -> None:
    if offset < 0:
        raise ValueError("offset must be >= 0")
    if length is not None and length < 0:
        raise ValueError("length must be >= 0 or None")


class ObjectReader:
    """Bytes of one object (or a range of it).

    Iterate for chunks of about `chunk_size` bytes, or call `read(n)` like a
    file. `size` is the number of bytes this reader will yield in total.
    Always close it (or use it as a context manager).
    """

    size: int
    chunk_size: int = CHUNK_SIZE

    def __iter__(self) -> Iterator[bytes]:
        while True:
            chunk = self.read(self.chunk_size)
            if not chunk:
                return
            yield chunk

    def read(self, n: int = -1) -> bytes:  # pragma: no cover - abstract
        raise NotImplementedError

    def readable(self) -> bool:
        return True

    def close(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def __enter__(self) -> ObjectReader:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


class SourceReader(ObjectReader):
    """An ObjectReader over one open source (a file, an HTTP response) that holds exactly `size` bytes.

    It counts down what is left and asks `_read_from(source, n)` for at most that; `close()` hands the
    source to `_release` once. The stores' readers say only how to read and release their source.
    """

    def __init__(self, source, size: int, chunk_size: int = CHUNK_SIZE):
        self._source = source
        self.size = size
        self._remaining = size
        self.chunk_size = chunk_size

    def read(self, n: int = -1) -> bytes:
        if self._remaining <= 0 or self._source is None:
            return b""
        want = self._remaining if n is None or n < 0 else min(n, self._remaining)
        data = self._read_from(self._source, want)
        self._remaining = self._remaining - len(data) if data else 0
        return data

    def close(self) -> None:
        source, self._source = self._source, None
        if source is not None:
            self._release(source)

    def _read_from(self, source, n: int) -> bytes:  # pragma: no cover - abstract
        """Up to `n` bytes; b"" only at the source's end."""
        raise NotImplementedError

    def _release(self, source) -> None:  # pragma: no cover - abstract
        raise NotImplementedError


class ReadAhead:
    """Iterates `chunks` in a thread, up to `depth` items ahead of the consumer.

    Whatever `chunks` does per item (socket reads, hashing: both release the
    GIL) then overlaps with what the consumer does with the previous items
    (sending them to a client). An exception raised by `chunks` reaches the
    consumer in order, after the items before it. The thread closes `chunks`
    (if it is a generator) and calls `on_stop` when it ends, however it ends.
    """

    _END = object()

    def __init__(
        self,
        chunks: Iterable[bytes],
        *,
        depth: int = 4,
        on_stop: Callable[[], None] | None = None,
    ):
        self._source = chunks
        self._on_stop = on_stop
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._done = False
        self._thread = threading.Thread(target=self._fetch, name="object-read-ahead", daemon=True)
        self._thread.start()

    def _fetch(self) -> None:
        source = self._source
        try:
            for chunk in source:
                if not self._put(chunk):
                    return
            self._put(self._END)
        except BaseException as exc:  # handed to the consumer
            self._put(exc)
        finally:
            try:
                if isinstance(source, GeneratorType):
                    source.close()  # runs its cleanup in this thread, where it ran
            finally:
                if self._on_stop is not None:
                    self._on_stop()

    def _put(self, item) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def __iter__(self) -> ReadAhead:
        return self

    def __next__(self) -> bytes:
        if self._done:
            raise StopIteration
        item = self._queue.get()
        if item is self._END:
            self._done = True
            raise StopIteration
        if isinstance(item, BaseException):
            self._done = True
            raise item
        return item

    def close(self) -> None:
        self._done = True
        self._stop.set()


def verified_chunks(
    reader: ObjectReader,
    *,
    key: str,
    sha256: str,
    size: int | None = None,
    first_chunk: int = FIRST_CHUNK_SIZE,
) -> Iterator[bytes]:
    """A reader's chunks, hashed on the way; the chunk that completes the object
    is only yielded once the whole object matched `sha256`.

    The reader knows how many bytes it will yield, so only the final chunk is
    held back; on a mismatch ObjectCorrupt is raised in its place and the
    consumer never has all the bytes. With `size` (the size the object was
    stored with), an object of another length is corrupt before a single
    byte is yielded (it is still read to the end, so the error can name the
    digest it actually has). The first chunk is `first_chunk` bytes at most,
    so a consumer can start sending early; the rest are `reader.chunk_size`.
    Does not close the reader.
    """
    sha256 = normalize_sha256(sha256)
    hasher = hashlib.sha256()
    total = reader.size
    if size is not None and size != total:
        for chunk in reader:
            hasher.update(chunk)
        raise ObjectCorrupt(key, sha256, hasher.hexdigest())
    seen = 0
    want = min(first_chunk, reader.chunk_size) if first_chunk > 0 else reader.chunk_size
    final = b""
    while True:
        chunk = reader.read(want)
        if not chunk:
            break
        want = reader.chunk_size
        hasher.update(chunk)
        seen += len(chunk)
        if seen >= total:
            final = chunk
            break
        yield chunk
    # The end (or what the reader says is the end): check before the last bytes go out.
    actual = hasher.hexdigest()
    if actual != sha256:
        raise ObjectCorrupt(key, sha256, actual)
    if final:
        yield final


class VerifiedChunks:
    """Iterator over an object's chunks that checks its sha256 before the last one.

    The final chunk is only handed out after the digest matched, so on
    corruption ObjectCorrupt is raised while the consumer still lacks the
    final bytes (an HTTP response can be aborted instead of completing).
    For large objects, everything after the first chunk is read, hashed and
    checked up to `read_ahead` chunks ahead in a thread, so the consumer's
    thread only passes the chunks on (hashing and socket I/O release the GIL:
    both overlap). `close()` releases the underlying reader; Django's
    streaming responses call it, and so does exhausting the iterator or
    hitting an error.
    """

    def __init__(
        self,
        reader: ObjectReader,
        *,
        key: str,
        sha256: str,
        size: int | None = None,
        read_ahead: int = 4,
        first_chunk: int = FIRST_CHUNK_SIZE,
    ):
        self._reader = reader
        self._chunks: Iterator[bytes] | ReadAhead = iter(())
        try:
            self.expected = normalize_sha256(sha256)
        except ValueError:
            reader.close()
            raise
        self.key = key
        self.size = reader.size
        self._finished = False
        self._chunks = verified_chunks(reader, key=key, sha256=self.expected, size=size, first_chunk=first_chunk)
        # Large objects: the first chunk is read here, in the consumer's thread, so it goes out
        # without waiting for a thread to start (on a busy machine that alone takes milliseconds);
        # from the second chunk on, the rest is read and hashed in a thread while the previous
        # chunks are sent.
        self._read_ahead = read_ahead if read_ahead > 0 and reader.size >= 4 * reader.chunk_size else 0
        self._handed_out = 0

    def __iter__(self) -> VerifiedChunks:
        return self

    def __next__(self) -> bytes:
        if self._finished:
            raise StopIteration
        try:
            if self._read_ahead and self._handed_out:
                self._chunks = ReadAhead(self._chunks, depth=self._read_ahead, on_stop=self._reader.close)
                self._read_ahead = 0
            chunk = next(self._chunks)
        except BaseException:  # StopIteration included: the end
            self._finished = True
            self.close()
            raise
        self._handed_out += 1
        return chunk

    def close(self) -> None:
        chunks = self._chunks
        if isinstance(chunks, ReadAhead):
            chunks.close()  # the read-ahead thread closes the reader when it stops
        else:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
            self._reader.close()

    def __del__(self) -> None:
        # An abandoned iterator must not leave its read-ahead thread waiting.
        try:
            self.close()
        except Exception:  # noqa: BLE001
            pass

    def __enter__(self) -> VerifiedChunks:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


@runtime_checkable
class ObjectStore(Protocol):
    """What every store offers. Implementations: S3ObjectStore, LocalObjectStore.

    Errors are the typed ones of storage.errors; a store that cannot be
    reached raises StoreUnavailable, never a library's own exception.

    The implementations subclass it and share what is the same for every store: `put_stream`
    (checks the declared sha256, then the store's `_put_stream`) and `iter_verified`.
    """

    kind: str  # "s3" or "file"

    def put_stream(
        self,
        stream: BinaryIO,
        *,
        content_type: str = "application/octet-stream",
        max_size: int | None = None,
        expected_sha256: str | None = None,
    ) -> StoredObject:
        """Store everything `stream.read()` yields under `content_key(sha256)`.

        Streams in chunks (bounded memory), hashing on the way. ObjectTooLarge
        past `max_size`; ChecksumMismatch when `expected_sha256` is wrong. On any
        failure, including the stream's own exceptions (re-raised unchanged),
        nothing is kept. Identical content already stored: created=False.
        """
        expected = normalize_sha256(expected_sha256) if expected_sha256 is not None else None
        return self._put_stream(stream, content_type=content_type, max_size=max_size, expected=expected)

    def _put_stream(
        self, stream: BinaryIO, *, content_type: str, max_size: int | None, expected: str | None
    ) -> StoredObject:
        """`put_stream` with the declared sha256 already normalized (or None)."""
        raise NotImplementedError

    def open(self, key: str, *, offset: int = 0, length: int | None = None) -> ObjectReader:
        """Bytes [offset, offset+length) of an object, clipped to its end
        (past the end: an empty reader). ObjectNotFound if it is missing."""
        ...

    def iter_verified(
        self, key: str, *, sha256: str, size: int | None = None, chunk_size: int = CHUNK_SIZE
    ) -> Iterator[bytes]:
        """The whole object, checked against `sha256` (and `size`, when given);
        ObjectCorrupt is raised before the last chunk is handed out (before the
        first one when the size is wrong). Close it if you stop early."""
        reader = self.open(key)
        reader.chunk_size = chunk_size
        return VerifiedChunks(reader, key=key, sha256=sha256, size=size)

    def stat(self, key: str) -> ObjectInfo:
        """Size and modification time; ObjectNotFound if missing."""
        ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None:
        """Remove an object; deleting a missing one is fine."""
        ...

    def iter_objects(self, prefix: str = "") -> Iterator[ObjectInfo]:
        """Every object whose key starts with `prefix` (staging/ included)."""
        ...

    def presigned_get_url(self, key: str, *, expires_seconds: int, filename: str, content_type: str) -> str:
        """A time-limited URL that downloads the object as `filename` with
        `content_type`; PresignNotSupported where the store cannot."""
        ...

    # Legal holds: a held object cannot be deleted (delete raises ObjectHeld) until the hold is cleared.
    # S3: an Object Lock legal hold on every version of the key (the bucket must be made with Object
    # Lock, which also makes it versioned); local: the store records the hold and refuses the delete.

    def set_legal_hold(self, key: str) -> None:
        """Hold an object (idempotent); ObjectNotFound if missing, LegalHoldUnsupported if the store cannot."""
        ...

    def clear_legal_hold(self, key: str) -> None:
        """Release an object's hold (idempotent; a missing object is fine)."""
        ...

    def is_legally_held(self, key: str) -> bool:
        """Is the object held? (False for a missing object, and on a store without holds.)"""
        ...

    def ping(self) -> None:
        """Raise StoreUnavailable unless the store answers (and takes writes)."""
        ...
