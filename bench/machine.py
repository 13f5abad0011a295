"""What the machine is doing and what it is: the RSS of the servers, the CPU time of the benchmark's
processes and of everything else on the (shared) machine, a wait for quiet, a yardstick for the
machine's own speed, and the facts the Machine section of BENCHMARKS.md lists."""

from __future__ import annotations

import contextlib
import os
import platform
import threading
import time
from collections.abc import Iterable
from pathlib import Path

import psutil

from bench.common import GiB, postgres_version
from bench.servers import weed_version


# --- RSS sampling -------------------------------------------------------------------------


class RssSampler:
    """Samples the summed RSS of a set of processes every `interval` seconds in a thread.

    `window()` gives a context in which the peak is recorded; `baseline()` samples an idle
    period. All values in bytes.
    """

    def __init__(self, pids_fn, interval: float = 0.02):
        self._pids_fn = pids_fn
        self.interval = interval
        self._procs: list[psutil.Process] = []
        self._refreshed = 0.0
        self._lock = threading.Lock()
        self._peak = 0
        self._samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)
        self._thread.start()

    def _procs_now(self) -> list[psutil.Process]:
        now = time.monotonic()
        if now - self._refreshed > 1.0 or not self._procs:
            self._procs = [psutil.Process(pid) for pid in self._pids_fn()]
            self._refreshed = now
        return self._procs

    def sample(self) -> int:
        total = 0
        for proc in self._procs_now():
            try:
                total += proc.memory_info().rss
            except psutil.NoSuchProcess:
                self._refreshed = 0.0
        return total

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            value = self.sample()
            with self._lock:
                self._samples += 1
                self._peak = max(self._peak, value)

    def reset(self) -> None:
        with self._lock:
            self._peak = self.sample()
            self._samples = 0

    def peak(self) -> tuple[int, int]:
        with self._lock:
            return self._peak, self._samples

    def baseline(self, seconds: float = 1.0) -> int:
        """The highest RSS over an idle period (so growth is not flattered by a dip)."""
        values = []
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            values.append(self.sample())
            time.sleep(self.interval)
        return max(values)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)


# --- CPU accounting -----------------------------------------------------------------------


class CpuAccount:
    """CPU seconds spent by named groups of processes, and by everything else on the machine.

    The machine is shared (other jobs may run while we measure), so every measurement says how
    much CPU went to processes that are not part of the benchmark ("other").
    """

    def __init__(self, groups: dict[str, object]):
        # name -> callable returning the PIDs of that group (evaluated at each snapshot)
        self.groups = groups

    @staticmethod
    def _busy() -> float:
        t = psutil.cpu_times()
        return t.user + t.nice + t.system + t.irq + t.softirq + getattr(t, "steal", 0.0)

    def snapshot(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for name, pids_fn in self.groups.items():
            total = 0.0
            for pid in pids_fn():
                with contextlib.suppress(psutil.NoSuchProcess):
                    times = psutil.Process(pid).cpu_times()
                    total += times.user + times.system
            out[name] = total
        out["_busy"] = self._busy()
        out["_softirq"] = psutil.cpu_times().softirq
        out["_wall"] = time.perf_counter()
        return out

    @staticmethod
    def delta(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
        """Per-group CPU seconds, plus "other" (busy time of everything else, softirq excluded
        because loopback traffic is accounted there) and "wall"."""
        d = {k: after[k] - before[k] for k in before if not k.startswith("_")}
        busy = after["_busy"] - before["_busy"] - (after["_softirq"] - before["_softirq"])
        d["other"] = max(0.0, busy - sum(d.values()))
        d["wall"] = after["_wall"] - before["_wall"]
        return d


def foreign_load(seconds: float = 2.0, exclude: Iterable[int] = ()) -> float:
    """Cores' worth of CPU used by processes other than `exclude` over `seconds` (a quietness check)."""
    account = CpuAccount({"mine": lambda: list(exclude)})
    before = account.snapshot()
    time.sleep(seconds)
    d = CpuAccount.delta(before, account.snapshot())
    return d["other"] / d["wall"]


def wait_until_quiet(max_wait: float, threshold: float = 0.3, exclude: Iterable[int] = ()) -> float:
    """Wait (up to max_wait seconds) until other processes use less than `threshold` cores."""
    deadline = time.monotonic() + max_wait
    load = foreign_load(2.0, exclude)
    while load > threshold and time.monotonic() < deadline:
        print(f"   (machine busy: other processes use {load:.2f} cores; waiting)", flush=True)
        time.sleep(3.0)
        load = foreign_load(2.0, exclude)
    return load


# --- the machine itself -------------------------------------------------------------------


def cpu_reference(repeat: int = 5) -> float:
    """Seconds a fixed pure-Python workload takes here (best of `repeat`): a yardstick for the
    machine's own speed, which varies between days and hosts without any load showing."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        total = 0
        for value in range(3_000_000):
            total += value
        best = min(best, time.perf_counter() - started)
    return best


def machine_facts() -> dict[str, str]:
    import django

    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "cores": str(os.cpu_count()),
        "ram": f"{psutil.virtual_memory().total / GiB:.1f} GiB",
        "cpu": cpu,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "postgresql": postgres_version(),
        "seaweedfs": weed_version(),
        "gunicorn": _dist_version("gunicorn"),
        "minio (client)": _dist_version("minio"),
    }


def _dist_version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"
