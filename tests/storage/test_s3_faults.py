"""The S3 store when the server is gone, hangs, or dies part-way through an upload."""

from __future__ import annotations

import io
import socket
import threading
import time

import pytest

from storage import ObjectTooLarge, StoreUnavailable, content_key, store_from_url
from tests.fixtures.s3server import BrokenSource, FailingStream, GeneratedStream, fresh_bucket_name

pytestmark = pytest.mark.s3

MiB = 1 << 20


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def silent_server():
    """A TCP server that accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept_forever():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
                accepted.append(conn)
            except OSError:
                continue

    thread = threading.Thread(target=accept_forever, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(timeout=2)
    for conn in accepted:
        conn.close()
    listener.close()


def test_dead_store_fails_fast_with_store_unavailable():
    # given a store pointing at a port where nothing listens
    store = store_from_url(f"s3://key:secret@127.0.0.1:{closed_port()}/bucket?secure=0")
    key = content_key("c" * 64)
    operations = {
        "ping": store.ping,
        "put_stream": lambda: store.put_stream(GeneratedStream(MiB)),
        "stat": lambda: store.stat(key),
        "exists": lambda: store.exists(key),
        "open": lambda: store.open(key),
        "delete": lambda: store.delete(key),
        "iter_objects": lambda: list(store.iter_objects("")),
    }

    for name, operation in operations.items():
        # when each operation is tried
        started = time.monotonic()
        with pytest.raises(StoreUnavailable):
            operation()

        # then it fails as StoreUnavailable within a few seconds
        assert time.monotonic() - started < 5, name


def test_hanging_store_times_out_with_store_unavailable(silent_server):
    # given a store whose server accepts connections but never answers
    store = store_from_url(f"s3://key:secret@127.0.0.1:{silent_server}/bucket?secure=0&read_timeout=1")

    # when it is pinged
    started = time.monotonic()
    with pytest.raises(StoreUnavailable):
        store.ping()

    # then the read timeout ends the wait
    assert time.monotonic() - started < 6


@pytest.mark.parametrize("declared", [False, True], ids=["staging", "declared-sha256"])
def test_server_killed_mid_upload_leaves_nothing_once_it_is_back(s3_server_factory, declared):
    # given a throwaway server, a store on it, and a 120 MiB stream that kills the
    # server once 56 MiB have been read (several parts are on the server by then)
    server = s3_server_factory()
    store = store_from_url(server.url_for_bucket(fresh_bucket_name()))
    store.ping()
    killed = []

    def kill_at_56_mib(position: int) -> None:
        if position >= 56 * MiB and not killed:
            killed.append(position)
            server.kill()

    source = GeneratedStream(120 * MiB, seed=21, on_position=kill_at_56_mib)
    expected = GeneratedStream(120 * MiB, seed=21).sha256() if declared else None

    # when the upload runs into the dead server
    started = time.monotonic()
    with pytest.raises(StoreUnavailable):
        store.put_stream(source, expected_sha256=expected)
    elapsed = time.monotonic() - started

    # then it failed fast; and after a restart the multipart upload left behind
    # is aborted on the store's next use, leaving no object and no upload
    assert killed, "the server was never killed"
    assert elapsed < 15
    server.start()
    assert [u.key for u in store.iter_incomplete_uploads()] != []  # the crash did leave one
    store.ping()  # retries the cleanup that failed while the server was down
    assert list(store.iter_objects("")) == []
    assert list(store.iter_incomplete_uploads()) == []


def test_a_killed_server_comes_back_on_its_s3_port_even_when_its_inner_ports_were_taken(s3_server_factory):
    # given a throwaway server holding an object, killed; while it is down, other
    # processes take the ports of its master, volume and admin servers
    server = s3_server_factory()
    store = store_from_url(server.url_for_bucket(fresh_bucket_name()))
    key = store.put_stream(io.BytesIO(b"kept across the restart")).key
    s3_port = server.port
    server.kill()
    squatters = []
    for service in ("master", "volume", "admin"):
        squatter = socket.socket()
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind(("127.0.0.1", server.ports[service]))
        squatter.listen(1)
        squatters.append(squatter)
    try:
        # when it is started again
        server.start()

        # then it answers on the same S3 port (the store's URL still works) with
        # the object it had, its inner services moved to free ports
        assert server.port == s3_port
        taken = {squatter.getsockname()[1] for squatter in squatters}
        assert taken.isdisjoint(server.ports.values())
        with store.open(key) as reader:
            assert reader.read() == b"kept across the restart"
    finally:
        for squatter in squatters:
            squatter.close()


def test_aborted_multipart_uploads_leave_no_incomplete_upload(s3_store):
    # given uploads that fail after several parts were sent: too large, and a broken source
    s3_store.ping()
    too_large = GeneratedStream(30 * MiB, seed=22)
    with pytest.raises(ObjectTooLarge):
        s3_store.put_stream(too_large, max_size=20 * MiB, expected_sha256=too_large.sha256())
    with pytest.raises(BrokenSource):
        s3_store.put_stream(FailingStream(80 * MiB, fail_at=60 * MiB, seed=23))

    # when / then neither objects nor multipart uploads remain
    assert list(s3_store.iter_objects("")) == []
    assert list(s3_store.iter_incomplete_uploads()) == []
