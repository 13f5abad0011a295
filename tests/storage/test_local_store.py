"""Local-store specifics: paths stay inside the root, OS errors become StoreUnavailable."""

import io
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from storage import STAGING_PREFIX, InvalidKey, StoreUnavailable
from storage.local import LocalObjectStore
from tests.fixtures.s3server import GeneratedStream

MiB = 1 << 20
REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("key", ["../outside", "sha256/../../outside", "/tmp/outside", "a/../../b"])
def test_keys_cannot_reach_outside_the_root(local_store, tmp_path, key):
    # given a file next to (not inside) the store's root
    (tmp_path / "outside").write_text("secret")

    # when / then every operation refuses keys that would climb out
    with pytest.raises(InvalidKey):
        local_store.path_for(key)
    with pytest.raises(InvalidKey):
        local_store.open(key)
    with pytest.raises(InvalidKey):
        local_store.delete(key)
    assert (tmp_path / "outside").read_text() == "secret"


def test_objects_live_under_their_key_paths(local_store):
    # given / when
    stored = local_store.put_stream(io.BytesIO(b"on disk"))

    # then the file is at root/<key> and nothing is left in staging
    path = local_store.path_for(stored.key)
    assert path.read_bytes() == b"on disk"
    assert path.is_relative_to(local_store.root)
    assert list((local_store.root / STAGING_PREFIX).iterdir()) == []


def test_root_that_is_a_file_makes_the_store_unavailable(tmp_path):
    # given a root path occupied by a regular file
    root = tmp_path / "not-a-dir"
    root.write_text("oops")
    store = LocalObjectStore(root)

    # when / then writes, reads, listing and ping report the store as unavailable
    with pytest.raises(StoreUnavailable):
        store.put_stream(io.BytesIO(b"data"))
    with pytest.raises(StoreUnavailable):
        store.ping()
    assert list(store.iter_objects("")) == []


def test_missing_root_is_created_on_first_write(tmp_path):
    # given a store whose root does not exist yet
    store = LocalObjectStore(tmp_path / "a" / "b")

    # when
    store.ping()
    stored = store.put_stream(io.BytesIO(b"x"))

    # then
    assert store.exists(stored.key)


_FULL_DISK_SCRIPT = textwrap.dedent(
    """
    import io, json, resource, signal, sys
    sys.path.insert(0, sys.argv[1])
    from storage.local import LocalObjectStore
    from storage import StoreUnavailable
    from tests.fixtures.s3server import GeneratedStream

    store = LocalObjectStore(sys.argv[2])
    store.ping()
    # Files may not grow past 2 MiB in this process: writes fail with EFBIG,
    # as they would with ENOSPC on a full disk.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (2 << 20, 2 << 20))
    outcome = {}
    try:
        store.put_stream(GeneratedStream(5 << 20, seed=1))
        outcome["result"] = "stored"
    except StoreUnavailable as exc:
        outcome["result"] = "unavailable"
        outcome["message"] = str(exc)
    outcome["keys"] = [info.key for info in store.iter_objects("")]
    small = store.put_stream(io.BytesIO(b"small still fits"))
    outcome["small_created"] = small.created
    print(json.dumps(outcome))
    """
)


def test_write_errors_become_store_unavailable_and_leave_nothing(tmp_path):
    # given a process whose files cannot grow past 2 MiB (a real OS write error)
    root = tmp_path / "objects"

    # when it stores 5 MiB
    run = subprocess.run(
        [sys.executable, "-c", _FULL_DISK_SCRIPT, str(REPO_ROOT), str(root)],
        capture_output=True,
        text=True,
        timeout=60,
    )

    # then the upload failed as StoreUnavailable, no staging file remains,
    # and the store still works for what fits
    assert run.returncode == 0, run.stderr
    outcome = json.loads(run.stdout)
    assert outcome["result"] == "unavailable"
    assert "File too large" in outcome["message"]
    assert outcome["keys"] == []
    assert outcome["small_created"] is True


def test_concurrent_identical_uploads_create_one_object(local_store):
    # given the same content uploaded from several threads at once
    from concurrent.futures import ThreadPoolExecutor

    def upload(_):
        return local_store.put_stream(GeneratedStream(2 * MiB, seed=9))

    # when
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(upload, range(4)))

    # then exactly one write created the object and no staging file remains
    assert sum(result.created for result in results) == 1
    assert len({result.key for result in results}) == 1
    assert [info.key for info in local_store.iter_objects("")] == [results[0].key]
