"""VerifiedChunks: only the final chunk waits for the digest; reading and hashing run ahead in a thread."""

from __future__ import annotations

import hashlib
import threading

import pytest

from storage.base import FIRST_CHUNK_SIZE, ObjectReader, VerifiedChunks
from storage.errors import ObjectCorrupt, StoreUnavailable

KiB = 1 << 10


class MemoryReader(ObjectReader):
    """An ObjectReader over bytes; can fail after `fail_after` bytes and records who read and closed it."""

    def __init__(self, data: bytes, *, chunk_size: int = 64 * KiB, fail_after: int | None = None):
        self._data = data
        self._pos = 0
        self.size = len(data)
        self.chunk_size = chunk_size
        self.fail_after = fail_after
        self.closed = threading.Event()
        self.reads_by_thread: dict[str, int] = {}

    def read(self, n: int = -1) -> bytes:
        name = threading.current_thread().name
        self.reads_by_thread[name] = self.reads_by_thread.get(name, 0) + 1
        if self.closed.is_set():
            raise ValueError("read after close")
        if self.fail_after is not None and self._pos >= self.fail_after:
            raise StoreUnavailable("connection reset")
        n = len(self._data) - self._pos if n is None or n < 0 else n
        out = self._data[self._pos : self._pos + n]
        self._pos += len(out)
        return out

    def close(self) -> None:
        self.closed.set()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("size", [0, 1, 10 * KiB, 200 * KiB, 1024 * KiB + 7])
def test_intact_objects_come_through_whole_and_the_reader_is_closed(size):
    # given an object small (read inline) or large (read ahead in a thread)
    data = bytes(range(256)) * (size // 256) + b"\x07" * (size % 256)
    reader = MemoryReader(data)

    # when it is read verified
    chunks = list(VerifiedChunks(reader, key="k", sha256=sha(data)))

    # then all bytes arrive, the first chunk is small, and the reader was closed
    assert b"".join(chunks) == data
    if chunks:
        assert len(chunks[0]) <= FIRST_CHUNK_SIZE
    assert reader.closed.wait(2)


@pytest.mark.parametrize("size", [100 * KiB, 1024 * KiB + 7])
def test_corruption_is_raised_instead_of_the_final_chunk_and_nothing_else_is_held_back(size):
    # given an object whose last byte differs from what was stored
    data = b"a" * size
    corrupt = data[:-1] + b"b"
    reader = MemoryReader(corrupt)

    # when it is read verified
    received = []
    with pytest.raises(ObjectCorrupt) as caught:
        for chunk in VerifiedChunks(reader, key="k", sha256=sha(data)):
            received.append(chunk)

    # then every chunk but the final one was handed out, the final one never was
    got = b"".join(received)
    final_chunk = (size - FIRST_CHUNK_SIZE) % reader.chunk_size or reader.chunk_size
    assert len(got) == size - final_chunk
    assert corrupt.startswith(got)
    assert (caught.value.expected, caught.value.actual) == (sha(data), sha(corrupt))
    assert reader.closed.wait(2)


def test_large_objects_are_read_and_hashed_in_the_read_ahead_thread_after_the_first_chunk():
    # given a large object
    data = b"z" * (1024 * KiB)
    reader = MemoryReader(data)

    # when it is read verified
    chunks = list(VerifiedChunks(reader, key="k", sha256=sha(data)))

    # then the consumer's thread read only the first chunk; the read-ahead thread read the rest
    assert b"".join(chunks) == data
    consumer = threading.current_thread().name
    assert reader.reads_by_thread[consumer] == 1
    assert set(reader.reads_by_thread) == {consumer, "object-read-ahead"}


def test_a_store_failure_mid_stream_reaches_the_consumer_after_the_chunks_before_it():
    # given a large object whose connection breaks after 512 KiB
    data = b"q" * (1024 * KiB)
    reader = MemoryReader(data, fail_after=512 * KiB)

    # when it is read verified
    received = []
    with pytest.raises(StoreUnavailable):
        for chunk in VerifiedChunks(reader, key="k", sha256=sha(data)):
            received.append(chunk)

    # then the bytes before the failure came through, in order, and the reader was closed
    assert b"".join(received) == data[: 512 * KiB]
    assert reader.closed.wait(2)


def test_closing_early_stops_the_read_ahead_thread_and_closes_the_reader():
    # given a large object read verified, of which the consumer takes two chunks
    data = b"r" * (2048 * KiB)
    reader = MemoryReader(data)
    chunks = VerifiedChunks(reader, key="k", sha256=sha(data))
    next(chunks)
    next(chunks)  # the read-ahead thread starts with the second chunk
    thread = chunks._chunks._thread

    # when the consumer goes away (a client disconnects)
    chunks.close()

    # then the thread stops and the reader is closed
    thread.join(2)
    assert not thread.is_alive()
    assert reader.closed.is_set()
    with pytest.raises(StopIteration):
        next(chunks)


@pytest.mark.parametrize("stored_size", [300 * KiB - 1, 300 * KiB + 1])
def test_an_object_of_the_wrong_size_yields_no_byte(stored_size):
    # given an object whose length differs from the size it was stored with
    data = b"s" * (300 * KiB)
    reader = MemoryReader(data)

    # when it is read verified against that size
    with pytest.raises(ObjectCorrupt) as caught:
        next(VerifiedChunks(reader, key="k", sha256="0" * 64, size=stored_size))

    # then the very first request fails, naming the digest the object has
    assert caught.value.actual == sha(data)
    assert reader.closed.wait(2)
