"""Stream wrappers used while uploading.

HashingReader   passes bytes through while computing sha256 and size, and
                enforces a size limit as the bytes flow.
PrefixedReader  replays bytes a caller already consumed (to sniff a file
                type) in front of the rest of the stream.
fill            reads into a buffer until it is full or the stream ends.
drain           reads a stream to its end.
"""

from __future__ import annotations

import hashlib

from .errors import ObjectTooLarge


def _read_into(stream, view: memoryview) -> int:
    """One read from `stream` into `view`; 0 means end of stream."""
    readinto = getattr(stream, "readinto", None)
    if readinto is not None:
        count = readinto(view)
        return count or 0
    data = stream.read(len(view))
    if not data:
        return 0
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"stream.read() must return bytes, not {type(data).__name__}")
    count = len(data)
    if count > len(view):
        raise ValueError(f"stream.read({len(view)}) returned {count} bytes")
    view[:count] = data
    return count


def fill(stream, buffer: bytearray | memoryview) -> int:
    """Read from `stream` until `buffer` is full or the stream ends; return the byte count."""
    view = memoryview(buffer).cast("B")
    total = 0
    wanted = len(view)
    while total < wanted:
        count = _read_into(stream, view[total:])
        if count == 0:
            break
        total += count
    return total


class HashingReader:
    """Wraps anything with `.read(n)`; hashes (sha256) and counts what passes through.

    Raises ObjectTooLarge(max_size) as soon as more than `max_size` bytes
    have been read. `readinto` avoids a copy when the source supports it.
    """

    def __init__(self, stream, *, max_size: int | None = None):
        if max_size is not None and max_size < 0:
            raise ValueError("max_size must be >= 0")
        self._stream = stream
        self._hasher = hashlib.sha256()
        self._size = 0
        self.max_size = max_size

    @property
    def size(self) -> int:
        return self._size

    def sha256_hex(self) -> str:
        return self._hasher.hexdigest()

    def sha256_digest(self) -> bytes:
        return self._hasher.digest()

    def _account(self, data) -> None:
        self._size += len(data)
        if self.max_size is not None and self._size > self.max_size:
            raise ObjectTooLarge(self.max_size)
        self._hasher.update(data)

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            data = self._stream.read()
        else:
            data = self._stream.read(n)
        if not data:
            return b""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"stream.read() must return bytes, not {type(data).__name__}")
        self._account(data)
        return bytes(data) if not isinstance(data, bytes) else data

    def readinto(self, buffer) -> int:
        view = memoryview(buffer).cast("B")
        count = _read_into(self._stream, view)
        if count:
            self._account(view[:count])
        return count

    def readable(self) -> bool:
        return True


class PrefixedReader:
    """`PrefixedReader(head, rest).read(n)` yields `head` first, then `rest`.

    Lets a caller sniff the first bytes of a stream and still stream
    everything, without seeking.
    """

    def __init__(self, head: bytes, rest):
        self._head = memoryview(bytes(head))
        self._pos = 0
        self._rest = rest
        # Where `rest` stood when we got it: logical offset len(head).
        self._rest_start: int | None = None
        try:
            if rest.seekable():
                self._rest_start = rest.tell()
        except (AttributeError, OSError, ValueError):
            self._rest_start = None

    def _head_left(self) -> int:
        return len(self._head) - self._pos

    def read(self, n: int = -1) -> bytes:
        left = self._head_left()
        if left:
            if n is None or n < 0:
                tail = self._rest.read()
                out = bytes(self._head[self._pos :]) + (tail or b"")
                self._pos = len(self._head)
                return out
            take = min(n, left)
            out = bytes(self._head[self._pos : self._pos + take])
            self._pos += take
            return out
        if n is None or n < 0:
            return self._rest.read() or b""
        return self._rest.read(n) or b""

    def readinto(self, buffer) -> int:
        view = memoryview(buffer).cast("B")
        left = self._head_left()
        if left:
            take = min(len(view), left)
            view[:take] = self._head[self._pos : self._pos + take]
            self._pos += take
            return take
        return _read_into(self._rest, view)

    def readable(self) -> bool:
        return True

    # Seeking (only when `rest` can seek), in the combined stream's offsets:
    # the store then reads a file-backed upload twice instead of staging it.
    def seekable(self) -> bool:
        return self._rest_start is not None

    def tell(self) -> int:
        if self._rest_start is None:
            raise OSError("PrefixedReader over a stream that cannot seek")
        if self._head_left():
            return self._pos
        return len(self._head) + self._rest.tell() - self._rest_start

    def seek(self, offset: int, whence: int = 0) -> int:
        if self._rest_start is None:
            raise OSError("PrefixedReader over a stream that cannot seek")
        if whence != 0 or offset < 0:
            raise OSError("PrefixedReader seeks to absolute, non-negative offsets only")
        if offset < len(self._head):
            self._pos = offset
            self._rest.seek(self._rest_start)
        else:
            self._pos = len(self._head)
            self._rest.seek(self._rest_start + offset - len(self._head))
        return offset


def drain(stream, buffer_size: int = 1 << 20) -> int:
    """Read `stream` to its end (hashing readers hash on the way); return the byte count."""
    buffer = bytearray(buffer_size)
    total = 0
    while True:
        count = _read_into(stream, memoryview(buffer))
        if not count:
            return total
        total += count
