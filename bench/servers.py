"""The servers a benchmark runs against: a `weed mini` S3 server (the test fixture's own launch) and
`gunicorn backend.wsgi`; each is stopped by its PID when the benchmark's ExitStack unwinds."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import requests

from bench.common import PYTHON, REPO, free_port

GUNICORN = PYTHON.parent / "gunicorn"


# --- S3 (weed mini) -----------------------------------------------------------------------


def start_weed(stack: contextlib.ExitStack, workdir: Path):
    """A `weed mini` on free loopback ports with random credentials (the test fixture's logic),
    discarded (killed by PID, data deleted) when the stack unwinds."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from tests.fixtures.s3server import launch_server

    server = launch_server(workdir)
    stack.callback(server.discard)
    return server


def weed_version() -> str:
    out = subprocess.run([str(PYTHON.parent / "weed"), "version"], capture_output=True, text=True).stdout
    match = re.search(r"version\s+(\S+)\s+(\S+)", out)  # "version 8000GB 4.48 pypi linux amd64"
    return f"{match.group(2)} ({match.group(1)} volume build)" if match else out.strip().splitlines()[0]


# --- gunicorn -----------------------------------------------------------------------------


@dataclass
class Gunicorn:
    """`gunicorn backend.wsgi` bound to 127.0.0.1 on a free port.

    gthread workers: a long upload or download occupies one thread, not a whole process,
    so other requests keep being served; HTTP keep-alive works (the sync worker closes every
    connection); and socket I/O and hashing release the GIL, so threads overlap well.
    """

    env: dict[str, str]
    workdir: Path
    workers: int = 2
    threads: int = 4
    worker_class: str = "gthread"
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def command(self) -> list[str]:
        return [
            str(GUNICORN), "backend.wsgi:application",
            "--bind", f"127.0.0.1:{self.port}",
            "--worker-class", self.worker_class,
            "--workers", str(self.workers),
            "--threads", str(self.threads),
            "--timeout", "900",
            "--graceful-timeout", "5",
            "--keep-alive", "30",
            "--error-logfile", str(self.workdir / "gunicorn.log"),
        ]

    def start(self, timeout: float = 60.0) -> Gunicorn:
        self.workdir.mkdir(parents=True, exist_ok=True)
        with open(self.workdir / "gunicorn.out", "ab") as out:
            self.process = subprocess.Popen(
                self.command, cwd=REPO, env=self.env, stdin=subprocess.DEVNULL,
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited early:\n{self.log_tail()}")
            if len(self.worker_pids()) >= self.workers:
                try:
                    requests.get(f"{self.base_url}/api/", timeout=2)
                    return self
                except requests.RequestException:
                    pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn not ready after {timeout:.0f}s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = (self.workdir / "gunicorn.log").read_text(errors="replace")
        except OSError:
            text = ""
        return "\n".join(text.splitlines()[-lines:])

    def worker_pids(self) -> list[int]:
        if self.process is None:
            return []
        try:
            return [child.pid for child in psutil.Process(self.process.pid).children()]
        except psutil.NoSuchProcess:
            return []

    def pids(self) -> list[int]:
        return ([self.process.pid] if self.process else []) + self.worker_pids()

    def stop(self, timeout: float = 10.0) -> None:
        proc, self.process = self.process, None
        if proc is None or proc.poll() is not None:
            return
        try:
            os.kill(proc.pid, signal.SIGTERM)  # the master stops its own workers
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            for pid in [c.pid for c in psutil.Process(proc.pid).children()] + [proc.pid]:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            proc.wait(timeout=timeout)
        except ProcessLookupError:
            pass


def start_gunicorn(stack: contextlib.ExitStack, env: dict[str, str], workdir: Path, **options) -> Gunicorn:
    server = Gunicorn(env=env, workdir=workdir, **options)
    stack.callback(server.stop)
    return server.start()
