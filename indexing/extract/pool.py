"""A few long-lived sandbox children that each read many files, one at a time.

    pool = ChildPool(size=2, max_files=100)
    meta, blob = pool.run("indexing.extract.registry:extract_for_child", data, params, limits)

Starting a fresh interpreter and importing the parsers costs far more than reading a small file, so a
child started by `run_in_child` for every file made indexing ten times slower. A pooled child
(`python -m indexing.extract.child --many ...`, `sandbox.serve_many`) limits itself exactly as the
one-file child does (address space, CPU, file size, no core dumps, none of our environment, its own
session) and then serves requests over its stdin and stdout pipes. What stays per file:

* one file at a time per child: a child is checked out for a call and given back after it;
* the wall-clock limit: the parent waits at most `limits.wall_seconds` for the answer, then kills the
  child's process group (ChildFailed "time", as before);
* the CPU limit: the child moves its RLIMIT_CPU to "used so far + the allowance" before each file;
* the output limit: the child refuses a larger answer, and the parent stops reading past it;
* a failure ends the child: after any ChildFailed (memory, time, output, recursion, error, crashed),
  and after an answer the caller's `keep` refuses (extraction: a file that could not be read), the
  child is killed, so whatever the bad file did to it never meets the next file.

A child is also retired after `max_files` files and after `idle_seconds` unused, and at most `size`
idle children are kept for each set of limits. Failures give the same ChildFailed kinds and details as
`run_in_child`. A forked copy of this process (a Celery prefork worker) starts with an empty pool.
"""

from __future__ import annotations

import atexit
import json
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable

from indexing.extract.sandbox import (
    _CHILD_MODULE,
    _EXIT_OUTPUT_TOO_LARGE,
    _HEADER_MAX,
    _STDERR_TAIL,
    ROOT,
    ChildFailed,
    ChildLimits,
    _child_env,
    _kill,
    _signal_name,
    logger,
)

_CHUNK = 1024 * 1024
# How long a child that closed its end may take to exit before it is killed.
_EXIT_WAIT_SECONDS = 5.0


class _Died(Exception):
    """The child closed its stdout (or its stdin) before answering."""


class PooledChild:
    """One long-lived child and the pipes to it. Used by one call at a time (the pool sees to it)."""

    def __init__(self, limits: ChildLimits, max_files: int) -> None:
        self.limits = limits
        self.max_files = max_files
        self.served = 0
        self.last_used = time.monotonic()
        self.stderr = tempfile.TemporaryFile()
        command = [sys.executable, "-m", _CHILD_MODULE, "--many", str(int(limits.memory_mb)),
                   str(int(limits.cpu_seconds)), str(int(limits.output_bytes)), str(int(max_files))]
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr,
                                        cwd=ROOT, env=_child_env(), start_new_session=True, close_fds=True)
        os.set_blocking(self.process.stdin.fileno(), False)
        os.set_blocking(self.process.stdout.fileno(), False)

    @property
    def pid(self) -> int:
        return self.process.pid

    def usable(self, idle_seconds: float) -> bool:
        return (self.process.poll() is None and self.served < self.max_files
                and time.monotonic() - self.last_used < idle_seconds)

    def call(self, target: str, data: bytes, params: dict) -> tuple[dict, bytes]:
        """Send one request and read its answer. Raises ChildFailed; the caller retires the child then."""
        limits = self.limits
        header = json.dumps({"target": target, "params": params, "length": len(data)}).encode()
        # stderr holds this request's complaints only (the child shares the file's offset)
        self.stderr.seek(0)
        self.stderr.truncate()
        self.served += 1
        try:
            answer, blob = self._exchange(header + b"\n", data, time.monotonic() + limits.wall_seconds)
        except TimeoutError:
            _kill(self.process)
            raise ChildFailed("time", f"stopped after {limits.wall_seconds:g} s") from None
        except _Died:
            raise self._death(target) from None
        finally:
            self.last_used = time.monotonic()
        if answer["outcome"] != "ok":
            raise ChildFailed(str(answer["outcome"]), str(answer.get("detail", ""))[:500])
        return answer.get("meta") or {}, blob

    def close(self) -> None:
        if self.process.poll() is None:
            _kill(self.process)
        for stream in (self.process.stdin, self.process.stdout, self.stderr):
            try:
                stream.close()
            except OSError:
                pass

    # --- the pipes ---------------------------------------------------------------------------------

    def _exchange(self, header: bytes, data: bytes, deadline: float) -> tuple[dict, bytes]:
        stdin, stdout = self.process.stdin.fileno(), self.process.stdout.fileno()
        pending = [memoryview(header), memoryview(data)]
        received = bytearray()
        answer: dict | None = None
        body_start = 0
        with selectors.DefaultSelector() as selector:
            selector.register(stdin, selectors.EVENT_WRITE)
            selector.register(stdout, selectors.EVENT_READ)
            writing = True
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError
                for key, _ in selector.select(remaining):
                    if key.fd == stdin:
                        while pending and not pending[0].nbytes:
                            pending.pop(0)
                        try:
                            if pending:
                                sent = os.write(stdin, pending[0][:_CHUNK])
                                pending[0] = pending[0][sent:]
                        except BlockingIOError:
                            continue
                        except BrokenPipeError:
                            raise _Died from None
                        while pending and not pending[0].nbytes:
                            pending.pop(0)
                        if not pending and writing:
                            selector.unregister(stdin)
                            writing = False
                        continue
                    try:
                        chunk = os.read(stdout, _CHUNK)
                    except BlockingIOError:
                        continue
                    if not chunk:
                        raise _Died
                    received += chunk
                    if answer is None:
                        end = received.find(b"\n")
                        if end < 0:
                            if len(received) > _HEADER_MAX:
                                self._overflow()
                            continue
                        try:
                            answer = json.loads(bytes(received[:end]))
                        except ValueError:
                            raise _Died from None
                        if not isinstance(answer, dict) or "outcome" not in answer:
                            raise _Died
                        body_start = end + 1
                        if int(answer.get("length", 0)) > self.limits.output_bytes:
                            self._overflow()
                    if len(received) - body_start > self.limits.output_bytes:
                        self._overflow()
                    if len(received) - body_start >= int(answer.get("length", 0)):
                        return answer, bytes(received[body_start:body_start + int(answer.get("length", 0))])

    def _overflow(self):
        _kill(self.process)
        raise ChildFailed("output", f"wrote more than {self.limits.output_bytes} bytes")

    def _death(self, target: str) -> ChildFailed:
        """What the child's end tells: the same kinds and details as `run_in_child`."""
        try:
            returncode = self.process.wait(timeout=_EXIT_WAIT_SECONDS)
        except subprocess.TimeoutExpired:
            _kill(self.process)
            returncode = self.process.returncode
        self.stderr.seek(0, os.SEEK_END)
        self.stderr.seek(max(0, self.stderr.tell() - _STDERR_TAIL))
        complaint = self.stderr.read().decode("utf-8", "replace").strip()
        if returncode in (-signal.SIGXCPU, -signal.SIGKILL):
            return ChildFailed("time", f"used its {self.limits.cpu_seconds} s of CPU")
        if returncode in (-signal.SIGXFSZ, _EXIT_OUTPUT_TOO_LARGE):
            return ChildFailed("output", f"wrote more than {self.limits.output_bytes} bytes")
        logger.warning("pooled sandbox child for %s ended with %s: %s", target, returncode, complaint[-500:])
        if returncode == 0:
            return ChildFailed("crashed", "no result")
        return ChildFailed("crashed", _signal_name(-returncode) if returncode < 0 else f"exit status {returncode}")


class ChildPool:
    """Idle children by limits; `run` checks one out (or starts one), calls it, and gives it back or ends it."""

    def __init__(self, *, size: int = 2, max_files: int = 100, idle_seconds: float = 300.0) -> None:
        self.size = size
        self.max_files = max_files
        self.idle_seconds = idle_seconds
        self._idle: dict[tuple[int, int, int], list[PooledChild]] = {}
        self._lock = threading.Lock()
        self._owner = os.getpid()

    def configure(self, *, size: int, max_files: int) -> None:
        self.size, self.max_files = max(0, int(size)), max(1, int(max_files))

    def run(self, target: str, data: bytes, params: dict, limits: ChildLimits, *,
            keep: Callable[[dict], bool] | None = None) -> tuple[dict, bytes]:
        """Call `target` on `data` in a pooled child. Raises ChildFailed as `run_in_child` does."""
        child = self._checkout(limits)
        reusable = False
        try:
            meta, blob = child.call(target, data, params)
            reusable = keep is None or keep(meta)
            return meta, blob
        finally:
            self._checkin(child, reusable)

    def idle_pids(self) -> list[int]:
        with self._lock:
            return [child.pid for children in self._idle.values() for child in children]

    def close(self) -> None:
        with self._lock:
            children = [child for group in self._idle.values() for child in group]
            self._idle.clear()
        for child in children:
            child.close()

    def _key(self, limits: ChildLimits) -> tuple[int, int, int]:
        return int(limits.memory_mb), int(limits.cpu_seconds), int(limits.output_bytes)

    def _checkout(self, limits: ChildLimits) -> PooledChild:
        stale: list[PooledChild] = []
        chosen = None
        with self._lock:
            if self._owner != os.getpid():  # a forked copy: the children belong to the parent process
                self._idle, self._owner = {}, os.getpid()
            group = self._idle.get(self._key(limits), [])
            while group and chosen is None:
                child = group.pop()
                if child.usable(self.idle_seconds):
                    chosen = child
                else:
                    stale.append(child)
        for child in stale:
            child.close()
        if chosen is None:
            chosen = PooledChild(limits, self.max_files)
        chosen.limits = limits  # the same child limits; the wall-clock limit may differ
        return chosen

    def _checkin(self, child: PooledChild, reusable: bool) -> None:
        if reusable and child.usable(self.idle_seconds):
            with self._lock:
                group = self._idle.setdefault(self._key(child.limits), [])
                if self._owner == os.getpid() and len(group) < self.size:
                    group.append(child)
                    return
        child.close()


    def _forget_after_fork(self) -> None:
        # a forked copy must neither use nor kill its parent's children (nor wait on a lock held at the fork)
        self._lock = threading.Lock()
        self._idle, self._owner = {}, os.getpid()


_POOL = ChildPool()
atexit.register(_POOL.close)
os.register_at_fork(after_in_child=_POOL._forget_after_fork)


def shared_pool() -> ChildPool:
    """The process's pool (the extraction entry point configures its size from settings)."""
    return _POOL
