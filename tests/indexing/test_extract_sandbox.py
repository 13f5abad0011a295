"""The sandbox child: what it returns, and how each of its limits ends it without harming the parent.

The targets below run in the child (it imports this module by name); the parent is this test process.
"""

from __future__ import annotations

import os
import threading

import pytest

from indexing.extract.sandbox import ChildFailed, ChildLimits, run_in_child

HERE = __name__
SMALL = ChildLimits(memory_mb=256, cpu_seconds=2, wall_seconds=30, output_bytes=1024 * 1024)


# --- targets (run in the child) ---------------------------------------------------------------------


def echo(data: bytes, params: dict) -> tuple[dict, bytes]:
    import sys

    import backend.common.errors  # noqa: F401 - a project module, imported without backend/__init__ (Celery)

    return {"length": len(data), "params": params, "backend_started": "celery" in sys.modules}, data[::-1]


def eat_memory(data: bytes, params: dict) -> tuple[dict, bytes]:
    hoard = [bytearray(64 * 1024 * 1024) for _ in range(64)]  # 4 GB
    return {"hoarded": len(hoard)}, b""


def spin(data: bytes, params: dict) -> tuple[dict, bytes]:
    while True:
        pass


def sleep_forever(data: bytes, params: dict) -> tuple[dict, bytes]:
    threading.Event().wait()
    return {}, b""


def flood(data: bytes, params: dict) -> tuple[dict, bytes]:
    return {}, b"x" * (8 * 1024 * 1024)


def abort(data: bytes, params: dict) -> tuple[dict, bytes]:
    os.abort()


def recurse(data: bytes, params: dict) -> tuple[dict, bytes]:
    return recurse(data, params)


def secrets(data: bytes, params: dict) -> tuple[dict, bytes]:
    return {"environment": sorted(os.environ)}, b""


# --- tests -----------------------------------------------------------------------------------------


def run(target: str, data: bytes = b"", limits: ChildLimits = SMALL):
    return run_in_child(f"{HERE}:{target}", data, {"k": "值"}, limits)


def test_the_child_returns_facts_and_bytes_without_starting_the_application():
    meta, blob = run("echo", b"abc\n\x00def")
    assert meta == {"length": 8, "params": {"k": "值"}, "backend_started": False}
    assert blob == b"fed\x00\ncba"


@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    "target, kind, detail",
    [
        ("eat_memory", "memory", "more than 256 MB"),
        ("spin", "time", "2 s of CPU"),
        ("flood", "output", "more than 1048576 bytes"),
        ("abort", "crashed", "SIGABRT"),
        ("recurse", "recursion", ""),
    ],
)
def test_each_limit_ends_the_child_with_its_kind(target, kind, detail):
    with pytest.raises(ChildFailed) as failed:
        run(target)
    assert failed.value.kind == kind and detail in failed.value.detail


@pytest.mark.timeout(120)
def test_a_child_that_hangs_without_using_cpu_is_killed_at_the_wall_clock_limit():
    with pytest.raises(ChildFailed, match="stopped after 3 s") as failed:
        run("sleep_forever", limits=ChildLimits(memory_mb=256, cpu_seconds=60, wall_seconds=3))
    assert failed.value.kind == "time"


def test_the_child_sees_none_of_our_environment(monkeypatch):
    monkeypatch.setenv("DJANGO_SECRET_KEY", "not for the child")
    meta, _ = run("secrets")
    assert "DJANGO_SECRET_KEY" not in meta["environment"]
