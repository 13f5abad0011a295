"""Run untrusted parsing in a child process with memory, CPU, output and wall-clock limits.

    meta, blob = run_in_child("indexing.extract.registry:extract_for_child", data, params, limits)

The child is a fresh interpreter (`python -m indexing.extract.child`), never a fork: forking a
threaded Django or Celery process can copy a held lock into the child and hang it, and a fresh
interpreter starts the same way in a web request (embedded demo, tasks run in-process), a gunicorn
thread or a Celery worker. Before it reads a byte of input the child limits itself:
RLIMIT_AS (address space: a bomb ends in MemoryError, not in the machine's OOM killer), RLIMIT_CPU,
RLIMIT_FSIZE (its output file) and no core dumps. The parent waits at most `wall_seconds` and kills
the child's process group after that. Input and output go through unlinked temporary files, so
neither side can block on a full pipe and the parent never holds more output than the limit.

The target is "module:function"; it is called as function(data: bytes, params: dict) and returns
(meta: dict, blob: bytes) — JSON-able facts and a payload (text, PNG). Nothing is unpickled: the
parent reads JSON and bytes only, whatever the child was fed. A MemoryError, RecursionError or any
other exception escaping the target comes back as a ChildFailed with its kind.

The child imports project modules without running the `backend` package's __init__ (which starts
Celery and Django): a target needs neither, and the interpreter starts in a fraction of the time.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import types
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
_CHILD_MODULE = "indexing.extract.child"
_HEADER_MAX = 1024 * 1024
_STDERR_TAIL = 2000
# The top-level packages whose __init__ the child skips (see the module docstring).
_SKIPPED_INITS = ("backend",)
# The child's exit status when its output hit RLIMIT_FSIZE (Python ignores SIGXFSZ: the write fails).
_EXIT_OUTPUT_TOO_LARGE = 3


@dataclass(frozen=True)
class ChildLimits:
    memory_mb: int = 512
    cpu_seconds: int = 60
    wall_seconds: float = 75.0
    output_bytes: int = 64 * 1024 * 1024


class ChildFailed(Exception):
    """The child gave no result. `kind` is one of:
    memory (MemoryError at the address-space limit), time (CPU or wall-clock limit), output (wrote more
    than allowed), recursion (nested too deeply), error (an exception escaped the target: `detail`
    names it), crashed (died by a signal or exited without a result)."""

    def __init__(self, kind: str, detail: str = "") -> None:
        self.kind = kind
        self.detail = detail
        super().__init__(f"{kind}: {detail}" if detail else kind)


# --- parent side ---------------------------------------------------------------------------------


def _child_env() -> dict[str, str]:
    """A small environment: no secrets from ours (the child needs none), our code on the path."""
    python_path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": python_path,
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONIOENCODING": "utf-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        # glibc reserves 64 MB of address space per malloc arena; the child is single-threaded
        "MALLOC_ARENA_MAX": "2",
    }


def _kill(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)  # its own session: the group is the child and its children
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def run_in_child(target: str, data: bytes, params: dict, limits: ChildLimits) -> tuple[dict, bytes]:
    """Call `target` on `data` in a limited child process. Raises ChildFailed if it gives no result."""
    header = json.dumps({"target": target, "params": params}).encode()
    command = [sys.executable, "-m", _CHILD_MODULE, str(int(limits.memory_mb)), str(int(limits.cpu_seconds)),
               str(int(limits.output_bytes))]
    with tempfile.TemporaryFile() as stdin, tempfile.TemporaryFile() as stdout, \
            tempfile.TemporaryFile() as stderr:
        stdin.write(header + b"\n")
        stdin.write(data)
        stdin.flush()
        stdin.seek(0)
        process = subprocess.Popen(command, stdin=stdin, stdout=stdout, stderr=stderr, cwd=ROOT,
                                   env=_child_env(), start_new_session=True, close_fds=True)
        try:
            returncode = process.wait(timeout=limits.wall_seconds)
        except subprocess.TimeoutExpired:
            _kill(process)
            raise ChildFailed("time", f"stopped after {limits.wall_seconds:g} s") from None
        finally:
            if process.poll() is None:  # the parent itself was interrupted (a task time limit, ^C)
                _kill(process)
        stderr.seek(0, os.SEEK_END)
        stderr.seek(max(0, stderr.tell() - _STDERR_TAIL))
        complaint = stderr.read().decode("utf-8", "replace").strip()
        if returncode != 0:
            if returncode in (-signal.SIGXCPU, -signal.SIGKILL):
                raise ChildFailed("time", f"used its {limits.cpu_seconds} s of CPU")
            if returncode in (-signal.SIGXFSZ, _EXIT_OUTPUT_TOO_LARGE):
                raise ChildFailed("output", f"wrote more than {limits.output_bytes} bytes")
            logger.warning("sandboxed %s exited with %s: %s", target, returncode, complaint[-500:])
            how = _signal_name(-returncode) if returncode < 0 else f"exit status {returncode}"
            raise ChildFailed("crashed", how)
        stdout.seek(0)
        line = stdout.readline(_HEADER_MAX)
        try:
            meta = json.loads(line)
        except ValueError:
            logger.warning("sandboxed %s gave no result: %s", target, complaint[-500:])
            raise ChildFailed("crashed", "no result") from None
        if not isinstance(meta, dict) or "outcome" not in meta:
            raise ChildFailed("crashed", "no result")
        if meta["outcome"] != "ok":
            raise ChildFailed(str(meta["outcome"]), str(meta.get("detail", ""))[:500])
        return meta.get("meta") or {}, stdout.read(limits.output_bytes)


# --- child side ----------------------------------------------------------------------------------


def _limit(resource_id: int, soft: int, hard: int | None = None) -> None:
    import resource

    _, current_hard = resource.getrlimit(resource_id)
    hard = soft if hard is None else hard
    if current_hard != resource.RLIM_INFINITY:
        soft, hard = min(soft, current_hard), min(hard, current_hard)
    resource.setrlimit(resource_id, (soft, hard))


def _skip_package_inits() -> None:
    for name in _SKIPPED_INITS:
        if name not in sys.modules and (ROOT / name / "__init__.py").exists():
            package = types.ModuleType(name)
            package.__path__ = [str(ROOT / name)]
            package.__package__ = name
            sys.modules[name] = package


def _answer(out, outcome: str, *, meta: dict | None = None, detail: str = "", blob: bytes = b"") -> None:
    out.write(json.dumps({"outcome": outcome, "meta": meta or {}, "detail": detail,
                          "length": len(blob)}).encode() + b"\n")
    out.write(blob)
    out.flush()


def _limit_self(memory_mb: int, cpu_seconds: int, output_bytes: int, cpu_hard: int | None = None) -> None:
    import resource

    _limit(resource.RLIMIT_CORE, 0)
    _limit(resource.RLIMIT_AS, memory_mb * 1024 * 1024)
    _limit(resource.RLIMIT_CPU, max(1, cpu_seconds), cpu_hard or max(1, cpu_seconds) + 1)
    _limit(resource.RLIMIT_FSIZE, output_bytes + _HEADER_MAX)


def _call_target(out, header: dict, data: bytes, memory_mb: int, output_bytes: int) -> bool:
    """Call the header's target on `data` and write the answer. True when the answer is "ok"."""
    import importlib

    try:
        module_name, function_name = header["target"].split(":")
        function = getattr(importlib.import_module(module_name), function_name)
        meta, blob = function(data, header["params"])
        del data
    except MemoryError:
        _answer(out, "memory", detail=f"more than {memory_mb} MB")
    except RecursionError:
        _answer(out, "recursion")
    except Exception as exc:  # noqa: BLE001 - a library's bug on a strange file: report it, do not hide it
        _answer(out, "error", detail=f"{type(exc).__name__}: {exc}"[:500])
    else:
        if len(blob) > output_bytes:
            _answer(out, "output", detail=f"wrote more than {output_bytes} bytes")
        else:
            try:
                _answer(out, "ok", meta=meta, blob=blob)
            except OSError as exc:  # EFBIG: the meta was larger than the room left
                if exc.errno != errno.EFBIG:
                    raise
                os._exit(_EXIT_OUTPUT_TOO_LARGE)
            return True
    return False


def serve(argv: list[str]) -> None:
    """The one-file child: limit itself, read the header and the input, call the target, write the answer."""
    memory_mb, cpu_seconds, output_bytes = (int(value) for value in argv[:3])
    _limit_self(memory_mb, cpu_seconds, output_bytes)
    source = sys.stdin.buffer
    header = json.loads(source.readline(_HEADER_MAX))
    _skip_package_inits()
    _call_target(sys.stdout.buffer, header, source.read(), memory_mb, output_bytes)
    sys.stderr.flush()
    os._exit(0)  # no interpreter teardown: nothing to clean up, and a big parse tree is slow to free


def serve_many(argv: list[str]) -> None:
    """The pooled child (indexing.extract.pool): the same limits, then up to MAX_FILES requests, one at a time.

    Each request is a header line ({"target", "params", "length"}) and `length` bytes of input; each
    answer is a header line and its blob, as in the one-file child. RLIMIT_CPU counts the whole life of
    the process, so before each request the soft limit is moved to the CPU used so far plus the
    per-file allowance; the hard limit, fixed at start, covers MAX_FILES such allowances. The child
    ends when its parent closes the pipe, after MAX_FILES requests, and after any answer but "ok" (the
    parent does not reuse it then anyway).
    """
    import math
    import resource

    memory_mb, cpu_seconds, output_bytes, max_files = (int(value) for value in argv[:4])
    cpu_seconds = max(1, cpu_seconds)
    cpu_hard = cpu_seconds * (max_files + 1) + 10
    _limit_self(memory_mb, cpu_seconds, output_bytes, cpu_hard=cpu_hard)
    _skip_package_inits()
    source, out = sys.stdin.buffer, sys.stdout.buffer
    for _ in range(max_files):
        line = source.readline(_HEADER_MAX)
        if not line:
            break
        header = json.loads(line)
        data = source.read(int(header["length"]))
        usage = resource.getrusage(resource.RUSAGE_SELF)
        soft = math.ceil(usage.ru_utime + usage.ru_stime) + cpu_seconds
        _limit(resource.RLIMIT_CPU, min(soft, cpu_hard), cpu_hard)
        if not _call_target(out, header, data, memory_mb, output_bytes):
            break
        del data
    sys.stderr.flush()
    os._exit(0)
