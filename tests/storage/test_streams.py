"""HashingReader and PrefixedReader."""

import hashlib
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storage import HashingReader, ObjectTooLarge, PrefixedReader
from storage.streams import drain, fill


class ReadOnly:
    """A stream with read() only (no readinto), returning short reads."""

    def __init__(self, data: bytes, step: int = 7):
        self._stream = io.BytesIO(data)
        self._step = step

    def read(self, n=-1):
        if n is None or n < 0:
            return self._stream.read()
        return self._stream.read(min(n, self._step))


@given(data=st.binary(max_size=5000), step=st.integers(min_value=1, max_value=600))
def test_hashing_reader_passes_bytes_through_and_hashes_them(data, step):
    # given a reader over a stream that returns short reads
    reader = HashingReader(ReadOnly(data, step))

    # when it is read in odd-sized pieces
    out = bytearray()
    while chunk := reader.read(333):
        out += chunk

    # then the bytes, their sha256 and their count are right
    assert bytes(out) == data
    assert reader.sha256_hex() == hashlib.sha256(data).hexdigest()
    assert reader.size == len(data)


def test_hashing_reader_readinto_works_with_and_without_source_readinto():
    # given the same bytes behind a readinto-capable and a read-only stream
    data = bytes(range(256)) * 100
    for source in (io.BytesIO(data), ReadOnly(data, 1000)):
        reader = HashingReader(source)
        buffer = bytearray(4096)

        # when it is filled buffer by buffer
        out = bytearray()
        while count := fill(reader, buffer):
            out += buffer[:count]

        # then everything passed and was hashed
        assert bytes(out) == data
        assert reader.sha256_hex() == hashlib.sha256(data).hexdigest()


def test_hashing_reader_raises_the_moment_the_limit_is_passed():
    # given a limit of 10 bytes over a 25-byte stream
    reader = HashingReader(io.BytesIO(b"x" * 25), max_size=10)

    # when it is read 4 bytes at a time
    assert reader.read(4) == b"xxxx"
    assert reader.read(4) == b"xxxx"
    with pytest.raises(ObjectTooLarge) as caught:
        reader.read(4)  # byte 12 > 10

    # then the limit is on the error
    assert caught.value.limit == 10


def test_hashing_reader_allows_exactly_the_limit():
    # given / when
    reader = HashingReader(io.BytesIO(b"y" * 10), max_size=10)
    drain(reader)

    # then
    assert reader.size == 10


@given(head_size=st.integers(min_value=0, max_value=50), data=st.binary(min_size=0, max_size=300), n=st.integers(1, 64))
def test_prefixed_reader_replays_the_sniffed_head(head_size, data, n):
    # given a caller that consumed the first bytes of a stream
    stream = io.BytesIO(data)
    head = stream.read(head_size)

    # when the head and the rest are read through a PrefixedReader
    reader = PrefixedReader(head, stream)
    out = bytearray()
    while chunk := reader.read(n):
        out += chunk

    # then the whole stream comes out in order
    assert bytes(out) == data


def test_prefixed_reader_supports_readinto_and_read_all():
    # given
    data = b"%PDF-" + b"z" * 100
    stream = io.BytesIO(data)
    head = stream.read(5)

    # when / then readinto crosses from head to rest
    reader = PrefixedReader(head, stream)
    buffer = bytearray(64)
    assert fill(reader, buffer) == 64
    assert bytes(buffer) == data[:64]
    assert reader.read() == data[64:]

    # and read() with no size returns head plus rest at once
    stream2 = io.BytesIO(data)
    assert PrefixedReader(stream2.read(3), stream2).read() == data


def test_prefixed_reader_over_a_seekable_stream_can_rewind():
    # given a head sniffed from a seekable stream
    data = bytes(range(200))
    stream = io.BytesIO(data)
    head = stream.read(10)
    reader = PrefixedReader(head, stream)

    # when it is read, rewound to the start and into the rest, and read again
    first = reader.read()
    assert reader.tell() == len(data)
    reader.seek(0)
    second = reader.read()
    reader.seek(4)
    from_head = bytearray(8)
    fill(reader, from_head)
    reader.seek(150)
    from_rest = reader.read()

    # then every pass sees the same bytes at the same offsets
    assert reader.seekable() is True
    assert first == second == data
    assert from_head == data[4:12]
    assert from_rest == data[150:]


def test_prefixed_reader_over_a_forward_only_stream_cannot_seek():
    # given / when
    reader = PrefixedReader(b"head", ReadOnly(b"rest"))

    # then
    assert reader.seekable() is False
    with pytest.raises(OSError):
        reader.seek(0)
