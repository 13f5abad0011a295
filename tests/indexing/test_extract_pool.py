"""The pool of long-lived sandbox children: many files per child, and a bad file still ends only its own.

The targets run in the children (they import this module, or the one-file sandbox tests, by name); the
parent is this test process.
"""

from __future__ import annotations

import os
import resource
import threading

import pytest

from indexing.extract import Budget, ExtractionFailed, extract
from indexing.extract.pool import ChildPool, shared_pool
from indexing.extract.sandbox import ChildFailed, ChildLimits
from tests.indexing import files

HERE = __name__
SANDBOX_TESTS = "tests.indexing.test_extract_sandbox"
SMALL = ChildLimits(memory_mb=256, cpu_seconds=2, wall_seconds=30, output_bytes=1024 * 1024)
PDF = "application/pdf"


# --- targets (run in a child) -----------------------------------------------------------------------


def whoami(data: bytes, params: dict) -> tuple[dict, bytes]:
    return {"pid": os.getpid(), "params": params}, data.upper()


def burn(data: bytes, params: dict) -> tuple[dict, bytes]:
    """Use `seconds` of CPU, then answer."""
    def used() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    start = used()
    while used() - start < params["seconds"]:
        pass
    return {"pid": os.getpid()}, b""


# --- helpers ---------------------------------------------------------------------------------------


@pytest.fixture
def pool():
    made = ChildPool(size=1, max_files=100)
    yield made
    made.close()


def pid_of(pool: ChildPool, data: bytes = b"ok", limits: ChildLimits = SMALL) -> int:
    meta, blob = pool.run(f"{HERE}:whoami", data, {"k": "值"}, limits)
    assert blob == data.upper() and meta["params"] == {"k": "值"}
    return meta["pid"]


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ", 1)[1][0] != "Z"
    except FileNotFoundError:
        return False


# --- tests -----------------------------------------------------------------------------------------


def test_many_files_are_read_by_one_child(pool):
    # when twenty files are read one after another
    pids = {pid_of(pool, f"file {n}".encode()) for n in range(20)}

    # then one child read them all, and it waits for the next
    assert len(pids) == 1
    assert pool.idle_pids() == list(pids)


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
def test_a_failing_file_ends_only_its_child_with_the_same_error_as_before(pool, target, kind, detail):
    # given a warm child
    before = pid_of(pool)

    # when a file blows its memory, spins, floods, crashes or recurses in it
    with pytest.raises(ChildFailed) as failed:
        pool.run(f"{SANDBOX_TESTS}:{target}", b"", {}, SMALL)

    # then the error is the one the one-file child gives, that child is gone, and the next file reads
    assert failed.value.kind == kind and detail in failed.value.detail
    assert not alive(before)
    after = pid_of(pool)
    assert after != before


@pytest.mark.timeout(120)
def test_a_file_past_the_wall_clock_limit_kills_its_child_and_the_next_gets_a_new_one(pool):
    limits = ChildLimits(memory_mb=256, cpu_seconds=60, wall_seconds=3)
    before = pid_of(pool, limits=limits)

    with pytest.raises(ChildFailed, match="stopped after 3 s") as failed:
        pool.run(f"{SANDBOX_TESTS}:sleep_forever", b"", {}, limits)

    assert failed.value.kind == "time"
    assert not alive(before)
    assert pid_of(pool, limits=limits) != before


@pytest.mark.timeout(120)
def test_the_cpu_limit_is_per_file_not_per_child(pool):
    # given a CPU allowance of 2 s per file
    # when one child reads three files of 1.2 s of CPU each (3.6 s in all)
    pids = {pool.run(f"{HERE}:burn", b"", {"seconds": 1.2}, SMALL)[0]["pid"] for _ in range(3)}

    # then none of them was stopped, and it was the same child
    assert len(pids) == 1


def test_a_child_is_replaced_after_its_number_of_files():
    pool = ChildPool(size=1, max_files=3)
    try:
        pids = [pid_of(pool) for _ in range(7)]
    finally:
        pool.close()

    assert len(set(pids[0:3])) == len(set(pids[3:6])) == 1
    assert len(set(pids)) == 3 and not alive(pids[0])


def test_children_with_other_limits_are_not_shared(pool):
    other = ChildLimits(memory_mb=300, cpu_seconds=2, wall_seconds=30, output_bytes=1024 * 1024)

    assert pid_of(pool) != pid_of(pool, limits=other)


def test_two_files_at_once_never_share_a_child(pool):
    # given two threads that each read a slow file at the same moment
    pids: list[int] = []
    start = threading.Barrier(2)

    def read() -> None:
        start.wait(timeout=30)
        pids.append(pool.run(f"{HERE}:burn", b"", {"seconds": 0.5}, SMALL)[0]["pid"])

    threads = [threading.Thread(target=read) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # then each had a child of its own, and only `size` of them are kept
    assert len(set(pids)) == 2
    assert len(pool.idle_pids()) == 1


# --- through indexing.extract.extract ---------------------------------------------------------------


def test_extraction_reuses_its_child_and_replaces_it_after_a_file_it_could_not_read(settings):
    settings.SEARCH_EXTRACT_POOL_SIZE = 1
    shared_pool().close()

    # given two plain files read one after the other: one child
    assert extract("合同 one".encode(), "text/plain").text == "合同 one"
    first = shared_pool().idle_pids()
    assert extract(b"two", "text/plain").text == "two"
    assert shared_pool().idle_pids() == first and len(first) == 1

    # when a file cannot be read (a truncated PDF)
    with pytest.raises(ExtractionFailed, match="PDF is corrupt"):
        extract(files.pdf_with_text("x")[:200], PDF, budget=Budget())

    # then its child is not used again, and the next file is read by another
    assert shared_pool().idle_pids() == []
    assert extract(b"three", "text/plain").text == "three"
    assert shared_pool().idle_pids() != first
