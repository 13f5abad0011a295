"""One behavioural contract, run against every ObjectStore: the local directory
store and the S3 store on a real server (weed mini)."""

from __future__ import annotations

import hashlib
import io
import os
from datetime import timezone

import pytest

from storage import (
    CONTENT_PREFIX,
    STAGING_PREFIX,
    ChecksumMismatch,
    InvalidKey,
    ObjectCorrupt,
    ObjectNotFound,
    ObjectStore,
    ObjectTooLarge,
    PrefixedReader,
    PresignNotSupported,
    content_key,
    sha256_from_key,
)
from tests.fixtures.s3server import BrokenSource, FailingStream, GeneratedStream

MiB = 1 << 20


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def store(request) -> ObjectStore:
    return request.getfixturevalue(f"{request.param}_store")


def overwrite_behind_the_stores_back(store, key: str, data: bytes) -> None:
    """Replace an object's bytes without going through the store's API."""
    if store.kind == "file":
        store.path_for(key).write_bytes(data)
    else:
        store.client.put_object(store.bucket, key, io.BytesIO(data), len(data))


def all_keys(store) -> list[str]:
    return [info.key for info in store.iter_objects("")]


def read_all(store, key: str, **kwargs) -> bytes:
    with store.open(key, **kwargs) as reader:
        return b"".join(reader)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- writing and reading -----------------------------------------------------------


def test_store_declares_its_kind(store):
    # given / when / then
    assert store.kind in ("file", "s3")
    assert isinstance(store, ObjectStore)
    store.ping()


def test_small_object_round_trips(store):
    # given some bytes
    data = os.urandom(300_000)

    # when they are stored
    stored = store.put_stream(io.BytesIO(data), content_type="application/pdf")

    # then they come back unchanged, under their content key, with hash and size
    assert stored.created is True
    assert stored.sha256 == sha256(data)
    assert stored.size == len(data)
    assert stored.key == content_key(stored.sha256)
    assert sha256_from_key(stored.key) == stored.sha256
    assert read_all(store, stored.key) == data
    with store.open(stored.key) as reader:
        assert reader.size == len(data)


def test_empty_object_round_trips(store):
    # given an empty stream
    # when it is stored
    stored = store.put_stream(io.BytesIO(b""))

    # then it is a real, empty object
    assert stored.size == 0
    assert stored.sha256 == sha256(b"")
    assert read_all(store, stored.key) == b""
    assert store.stat(stored.key).size == 0


def test_non_seekable_stream_round_trips(store):
    # given a stream that can only be read forwards
    source = GeneratedStream(3 * MiB + 17, seed=1)

    # when it is stored
    stored = store.put_stream(source)

    # then hash and size are those of the streamed bytes
    assert (stored.sha256, stored.size) == (source.sha256(), source.size)
    assert read_all(store, stored.key) == source.bytes_at(0, source.size)


def test_sniffed_head_is_replayed_before_the_rest(store):
    # given a caller that read the first bytes of a stream to sniff its type
    data = b"%PDF-1.7\n" + os.urandom(100_000)
    stream = io.BytesIO(data)
    head = stream.read(8)

    # when it stores the head and the rest together
    stored = store.put_stream(PrefixedReader(head, stream))

    # then the object is the whole stream
    assert read_all(store, stored.key) == data


def test_identical_content_is_stored_once(store):
    # given content already stored
    data = os.urandom(50_000)
    first = store.put_stream(io.BytesIO(data))

    # when the same bytes are stored again
    second = store.put_stream(io.BytesIO(data))

    # then the second write creates nothing new
    assert first.created is True
    assert second.created is False
    assert second.key == first.key
    assert all_keys(store) == [first.key]


def test_stat_reports_size_and_utc_modification_time(store):
    # given a stored object
    stored = store.put_stream(io.BytesIO(b"x" * 1234))

    # when it is stat'ed
    info = store.stat(stored.key)

    # then size and a tz-aware UTC timestamp come back
    assert info.key == stored.key
    assert info.size == 1234
    assert info.last_modified.tzinfo is not None
    assert info.last_modified.utcoffset() == timezone.utc.utcoffset(None)
    assert store.exists(stored.key) is True


@pytest.mark.parametrize(
    ("offset", "length"),
    [
        (0, 1),
        (0, 10),
        (5, 100),
        (MiB - 1, 2),
        (2 * MiB, None),
        (3 * MiB - 10, 10),
        (3 * MiB - 10, 500),  # runs past the end: clipped
        (3 * MiB, None),  # exactly at the end: nothing
        (3 * MiB + 5, 10),  # past the end: nothing
        (100, 0),  # empty range
    ],
)
def test_range_reads(store, offset, length):
    # given a 3 MiB object
    data = os.urandom(3 * MiB)
    stored = store.put_stream(io.BytesIO(data))

    # when a byte range is opened
    with store.open(stored.key, offset=offset, length=length) as reader:
        got = b"".join(reader)
        size = reader.size

    # then exactly that slice (clipped to the object) comes back, and size says so
    end = len(data) if length is None else offset + length
    assert got == data[offset:end]
    assert size == len(got)


def test_reader_also_reads_like_a_file(store):
    # given a stored object
    data = os.urandom(200_000)
    stored = store.put_stream(io.BytesIO(data))

    # when it is read with read(n) calls
    with store.open(stored.key) as reader:
        parts = [reader.read(70_000), reader.read(70_000), reader.read(), reader.read(10)]

    # then the parts are consecutive and the end reads empty
    assert b"".join(parts) == data
    assert parts[-1] == b""


# -- verification ----------------------------------------------------------------------


def test_iter_verified_yields_the_content(store):
    # given a stored object several chunks long
    data = os.urandom(5 * MiB + 3)
    stored = store.put_stream(io.BytesIO(data))

    # when it is read with verification
    chunks = list(store.iter_verified(stored.key, sha256=stored.sha256))

    # then all bytes come back
    assert b"".join(chunks) == data


@pytest.mark.parametrize("size", [100, 5 * MiB])
def test_iter_verified_raises_before_the_last_chunk_of_corrupt_bytes(store, size):
    # given a stored object whose bytes were changed behind the store's back (same length)
    data = os.urandom(size)
    stored = store.put_stream(io.BytesIO(data))
    corrupt = data[:-1] + bytes([data[-1] ^ 0xFF])
    overwrite_behind_the_stores_back(store, stored.key, corrupt)

    # when it is read with verification
    received = []
    with pytest.raises(ObjectCorrupt) as caught:
        for chunk in store.iter_verified(stored.key, sha256=stored.sha256, chunk_size=256 * 1024):
            received.append(chunk)

    # then the error names key and hashes, and the final chunk was never handed out
    assert caught.value.key == stored.key
    assert caught.value.expected == stored.sha256
    assert caught.value.actual == sha256(corrupt)
    assert sum(map(len, received)) < size
    assert corrupt.startswith(b"".join(received))


@pytest.mark.parametrize("size", [100, 5 * MiB])
def test_iter_verified_starts_with_a_small_chunk_and_yields_everything(store, size):
    # given a stored object
    data = os.urandom(size)
    stored = store.put_stream(io.BytesIO(data))

    # when it is read with verification and the stored size
    chunks = store.iter_verified(stored.key, sha256=stored.sha256, size=size, chunk_size=256 * 1024)
    first = next(chunks)
    rest = list(chunks)

    # then the first chunk is small (an early first byte) unless it is the whole object,
    # and everything arrives
    assert len(first) == size if size <= 64 * 1024 else 0 < len(first) <= 64 * 1024
    assert first + b"".join(rest) == data


@pytest.mark.parametrize("delta", [-1, 1])
def test_iter_verified_with_the_stored_size_refuses_an_object_of_another_length(store, delta):
    # given an object whose stored bytes got one byte shorter or longer behind the store's back
    data = os.urandom(3 * MiB)
    stored = store.put_stream(io.BytesIO(data))
    changed = data[:-1] if delta < 0 else data + b"x"
    overwrite_behind_the_stores_back(store, stored.key, changed)

    # when it is read with verification against the size it was stored with
    received = []
    with pytest.raises(ObjectCorrupt) as caught:
        for chunk in store.iter_verified(stored.key, sha256=stored.sha256, size=len(data)):
            received.append(chunk)

    # then not a single byte was handed out, and the error names the digest the object has now
    assert received == []
    assert caught.value.actual == sha256(changed)


def test_iter_verified_of_a_missing_object_raises_not_found(store):
    # given / when / then
    with pytest.raises(ObjectNotFound):
        store.iter_verified(content_key("0" * 64), sha256="0" * 64)


# -- limits and failed uploads leave nothing behind -----------------------------------------


@pytest.mark.parametrize("size", [3 * MiB, 60 * MiB], ids=["one-part", "multipart"])
def test_too_large_upload_raises_and_keeps_nothing(store, size):
    # given a limit below the stream's size
    limit = size - MiB

    # when the stream is stored
    with pytest.raises(ObjectTooLarge) as caught:
        store.put_stream(GeneratedStream(size, seed=2), max_size=limit)

    # then the limit is reported and no object (staging included) remains
    assert caught.value.limit == limit
    assert all_keys(store) == []


def test_too_large_seekable_upload_keeps_nothing(store, tmp_path):
    # given a 12 MiB file and a 10 MiB limit
    path = GeneratedStream(12 * MiB, seed=3).write_to(tmp_path / "big.bin")

    # when it is stored
    with open(path, "rb") as file, pytest.raises(ObjectTooLarge):
        store.put_stream(file, max_size=10 * MiB)

    # then nothing remains
    assert all_keys(store) == []


def test_upload_of_exactly_max_size_is_accepted(store):
    # given / when a stream exactly at the limit is stored
    stored = store.put_stream(io.BytesIO(b"a" * 4096), max_size=4096)

    # then it is kept
    assert stored.size == 4096


@pytest.mark.parametrize("size", [1000, 20 * MiB], ids=["one-part", "multipart"])
def test_declared_sha256_mismatch_raises_and_keeps_nothing(store, size):
    # given a client that declares the wrong sha256
    source = GeneratedStream(size, seed=4)
    wrong = sha256(b"something else")

    # when its stream is stored
    with pytest.raises(ChecksumMismatch) as caught:
        store.put_stream(source, expected_sha256=wrong)

    # then both hashes are reported and nothing remains
    assert caught.value.expected == wrong
    assert caught.value.actual == GeneratedStream(size, seed=4).sha256()
    assert all_keys(store) == []


@pytest.mark.parametrize("size", [1000, 20 * MiB], ids=["one-part", "multipart"])
def test_declared_sha256_that_matches_is_stored(store, size):
    # given a client that declares the right sha256 (in upper case, even)
    source = GeneratedStream(size, seed=5)
    declared = source.sha256().upper()

    # when its stream is stored
    stored = store.put_stream(source, expected_sha256=declared)

    # then it is stored under its content key
    assert stored.created is True
    assert stored.sha256 == declared.lower()
    assert all_keys(store) == [content_key(declared.lower())]


def test_declared_sha256_of_existing_content_is_still_verified(store):
    # given stored content
    data = os.urandom(10_000)
    stored = store.put_stream(io.BytesIO(data))

    # when a client claims that hash for the same bytes, then for different bytes
    same = store.put_stream(io.BytesIO(data), expected_sha256=stored.sha256)
    with pytest.raises(ChecksumMismatch):
        store.put_stream(io.BytesIO(os.urandom(10_000)), expected_sha256=stored.sha256)

    # then the honest claim dedups and the false one changed nothing
    assert (same.created, same.key, same.size) == (False, stored.key, len(data))
    assert read_all(store, stored.key) == data


@pytest.mark.parametrize("fail_at", [100, 12 * MiB, 45 * MiB], ids=["early", "read-ahead", "multipart"])
def test_source_failing_midway_propagates_and_keeps_nothing(store, fail_at):
    # given a stream that breaks part-way through
    source = FailingStream(60 * MiB, fail_at=fail_at, seed=6)

    # when it is stored
    with pytest.raises(BrokenSource):
        store.put_stream(source)

    # then the source's own error comes through and nothing remains
    assert all_keys(store) == []


def test_source_failing_with_declared_sha256_keeps_nothing(store):
    # given a stream with a declared hash that breaks after two parts
    source = FailingStream(30 * MiB, fail_at=17 * MiB, seed=7)

    # when it is stored
    with pytest.raises(BrokenSource):
        store.put_stream(source, expected_sha256=GeneratedStream(30 * MiB, seed=7).sha256())

    # then nothing remains
    assert all_keys(store) == []


# -- large objects ----------------------------------------------------------------------------


@pytest.mark.parametrize("source_kind", ["stream", "file", "sniffed-file", "declared"])
def test_multipart_sized_upload_round_trips(store, source_kind, tmp_path):
    # given a 41 MiB (and a bit) source, generated rather than held in memory
    generated = GeneratedStream(41 * MiB + 12345, seed=8)
    expected = generated.sha256()

    # when it is stored as a forward-only stream, a seekable file (also behind a sniffed
    # head), or with its hash declared
    if source_kind == "file":
        with open(generated.write_to(tmp_path / "source.bin"), "rb") as file:
            stored = store.put_stream(file)
    elif source_kind == "sniffed-file":
        with open(generated.write_to(tmp_path / "source.bin"), "rb") as file:
            head = file.read(16)
            stored = store.put_stream(PrefixedReader(head, file))
    elif source_kind == "declared":
        stored = store.put_stream(generated, expected_sha256=expected)
    else:
        stored = store.put_stream(generated)

    # then hash and size match, the bytes read back verify, a middle range is right,
    # and only the content object remains
    assert (stored.sha256, stored.size) == (expected, generated.size)
    hasher = hashlib.sha256()
    total = 0
    for chunk in store.iter_verified(stored.key, sha256=expected):
        hasher.update(chunk)
        total += len(chunk)
    assert (hasher.hexdigest(), total) == (expected, generated.size)
    middle = 20 * MiB - 100
    assert read_all(store, stored.key, offset=middle, length=300) == generated.bytes_at(middle, 300)
    assert all_keys(store) == [stored.key]


# -- deleting, listing, missing objects ----------------------------------------------------------


def test_delete_is_idempotent(store):
    # given a stored object
    stored = store.put_stream(io.BytesIO(b"bye"))

    # when it is deleted twice
    store.delete(stored.key)
    store.delete(stored.key)

    # then it is gone and the second delete did not complain
    assert store.exists(stored.key) is False
    assert all_keys(store) == []


def test_missing_objects_raise_object_not_found(store):
    # given a key nothing was stored under
    key = content_key("ab" * 32)

    # when / then stat and open say so, exists says False
    with pytest.raises(ObjectNotFound) as caught:
        store.stat(key)
    assert caught.value.key == key
    with pytest.raises(ObjectNotFound):
        store.open(key)
    with pytest.raises(ObjectNotFound):
        store.open(key, offset=0, length=0)
    assert store.exists(key) is False


def test_iter_objects_filters_by_prefix(store):
    # given three stored objects
    stored = [store.put_stream(io.BytesIO(os.urandom(100 + n))) for n in range(3)]
    first = stored[0]

    # when objects are listed by prefix
    everything = {info.key: info for info in store.iter_objects("")}
    contents = [info.key for info in store.iter_objects(CONTENT_PREFIX)]
    fanout = [info.key for info in store.iter_objects(first.key[: len(CONTENT_PREFIX) + 3])]
    partial = [info.key for info in store.iter_objects(first.key[: len(CONTENT_PREFIX) + 1])]
    exact = [info.key for info in store.iter_objects(first.key)]
    staging = list(store.iter_objects(STAGING_PREFIX))

    # then each listing holds what its prefix selects, with sizes
    assert set(everything) == {s.key for s in stored}
    assert {everything[s.key].size for s in stored} == {100, 101, 102}
    assert sorted(contents) == sorted(everything)
    assert first.key in fanout and all(k.startswith(first.key[:10]) for k in fanout)
    assert first.key in partial and all(k.startswith(first.key[:8]) for k in partial)
    assert exact == [first.key]
    assert staging == []


@pytest.mark.parametrize("key", ["../etc/passwd", "/etc/passwd", "a//b", "a/./b", "sha256/../x", ""])
def test_unusable_keys_are_rejected(store, key):
    # given / when / then
    with pytest.raises(InvalidKey):
        store.stat(key)
    with pytest.raises(InvalidKey):
        store.open(key)
    with pytest.raises(InvalidKey):
        store.delete(key)


def test_presigned_urls_are_s3_only(store):
    # given a stored object
    stored = store.put_stream(io.BytesIO(b"presign me"))

    # when a presigned URL is asked for
    if store.kind == "file":
        # then the local store refuses
        with pytest.raises(PresignNotSupported):
            store.presigned_get_url(stored.key, expires_seconds=60, filename="a.txt", content_type="text/plain")
    else:
        # then S3 hands out a URL for that object
        url = store.presigned_get_url(stored.key, expires_seconds=60, filename="a.txt", content_type="text/plain")
        assert stored.key in url and "X-Amz-Signature=" in url
