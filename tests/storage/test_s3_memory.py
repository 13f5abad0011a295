"""Uploads and downloads keep memory bounded, whatever the object size."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.fixtures.s3server import fresh_bucket_name

pytestmark = [pytest.mark.s3, pytest.mark.slow]

MiB = 1 << 20
REPO_ROOT = Path(__file__).resolve().parents[2]

# Runs in a fresh interpreter so that the peak RSS belongs to this work alone. The peak
# is VmHWM from /proc/self/status (per process image); ru_maxrss would not do, as
# Linux carries it over from the forking parent (pytest) across exec.
_SCRIPT = textwrap.dedent(
    """
    import hashlib, io, json, sys
    sys.path.insert(0, sys.argv[1])
    import psutil
    from storage import store_from_url
    from tests.fixtures.s3server import GeneratedStream

    MiB = 1 << 20
    store = store_from_url(sys.argv[2])
    store.ping()
    # Warm up connections and imports with small objects only: the large
    # buffers must show up in the measurement, not in the baseline.
    warm = store.put_stream(io.BytesIO(b"warm-up"))
    for _ in store.iter_verified(warm.key, sha256=warm.sha256):
        pass

    def peak():
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
        raise RuntimeError("no VmHWM")

    baseline = max(psutil.Process().memory_info().rss, peak())
    size = 200 * MiB
    stored = store.put_stream(GeneratedStream(size, seed=2))
    after_upload = peak()
    declared = GeneratedStream(size, seed=3)
    store.put_stream(declared, expected_sha256=GeneratedStream(size, seed=3).sha256())
    after_declared = peak()
    hasher = hashlib.sha256()
    for chunk in store.iter_verified(stored.key, sha256=stored.sha256):
        hasher.update(chunk)
    after_download = peak()
    print(json.dumps({
        "baseline": baseline,
        "upload_growth": after_upload - baseline,
        "declared_growth": after_declared - baseline,
        "download_growth": after_download - baseline,
        "size": stored.size,
        "ok": hasher.hexdigest() == stored.sha256,
    }))
    """
)


def test_200_mib_upload_and_download_grow_rss_by_less_than_64_mib(s3_server):
    # given a fresh process with a store on the real server
    url = s3_server.url_for_bucket(fresh_bucket_name())

    # when it uploads 200 MiB (forward-only, then with a declared hash) and reads it back verified
    run = subprocess.run(
        [sys.executable, "-c", _SCRIPT, str(REPO_ROOT), url],
        capture_output=True,
        text=True,
        timeout=300,
    )

    # then its peak RSS stayed within 64 MiB of where it started
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert result["ok"] and result["size"] == 200 * MiB
    assert result["upload_growth"] < 64 * MiB, result
    assert result["declared_growth"] < 64 * MiB, result
    assert result["download_growth"] < 64 * MiB, result
