"""What every benchmark needs: databases, a `weed mini` S3 server, gunicorn, RSS sampling, tables,
and BENCHMARKS.md sections.

Everything a benchmark starts is stopped by its own PID (never by name), also when the run fails
or is interrupted: the scripts run their body inside `cleanup_on_exit()` and register every server
and database on an ExitStack.

PostgreSQL: the server at BENCH_PG_HOST:BENCH_PG_PORT (default 127.0.0.1:5432) when one answers there;
otherwise, on first use, a throwaway cluster from Debian's binaries (the test suite's own
`tests.fixtures.postgres.start_cluster()`: a free loopback port, fsync off), registered on the
innermost `cleanup_on_exit()` stack (or at interpreter exit) so it is discarded with everything else.
"""

from __future__ import annotations

import contextlib
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import requests

REPO = Path(__file__).resolve().parent.parent
PYTHON = Path(sys.executable)
GUNICORN = PYTHON.parent / "gunicorn"
BENCHMARKS_MD = REPO / "BENCHMARKS.md"

PG_HOST = os.environ.get("BENCH_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("BENCH_PG_PORT", "5432"))
PG_USER = os.environ.get("BENCH_PG_USER", "postgres")

MiB = 1 << 20
GiB = 1 << 30


# --- process hygiene ----------------------------------------------------------------------


_STACKS: list[contextlib.ExitStack] = []  # the open cleanup_on_exit() stacks, innermost last


@contextlib.contextmanager
def cleanup_on_exit() -> Iterator[contextlib.ExitStack]:
    """An ExitStack that also unwinds on SIGTERM/SIGINT/SIGHUP (they become SystemExit)."""

    def _raise(signum, _frame):
        raise SystemExit(128 + signum)

    previous = {sig: signal.signal(sig, _raise) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        with contextlib.ExitStack() as stack:
            _STACKS.append(stack)
            try:
                yield stack
            finally:
                _STACKS.remove(stack)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def on_exit(callback, *args) -> None:
    """Run `callback(*args)` when the innermost cleanup_on_exit() stack unwinds (else at interpreter exit)."""
    if _STACKS:
        _STACKS[-1].callback(callback, *args)
    else:
        import atexit

        atexit.register(callback, *args)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_workdir(stack: contextlib.ExitStack, prefix: str, keep: bool = False) -> Path:
    path = Path(tempfile.mkdtemp(prefix=f"dossier-{prefix}-"))
    if not keep:
        stack.callback(shutil.rmtree, path, ignore_errors=True)
    return path


# --- PostgreSQL ---------------------------------------------------------------------------


@dataclass
class PostgresServer:
    """Where the benchmark databases live: the configured server, or a throwaway cluster we started."""

    host: str
    port: int
    user: str
    cluster: object | None = None  # tests.fixtures.postgres.PostgresCluster when we started it
    version: str = ""

    def discard(self) -> None:
        if self.cluster is not None:
            self.cluster.discard()


_SERVER: PostgresServer | None = None
_LAST_VERSION: list[str] = []  # "17.2" or "17.2 (throwaway cluster, fsync off)", newest last


def postgres_server() -> PostgresServer:
    """The server at BENCH_PG_HOST:BENCH_PG_PORT when it answers; otherwise (once per process) a
    throwaway cluster, discarded when the innermost cleanup_on_exit() stack unwinds."""
    global _SERVER
    if _SERVER is not None and (_SERVER.cluster is None or _SERVER.cluster.running):
        return _SERVER
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from tests.fixtures.postgres import answers, start_cluster

    reason = answers(f"postgres://{PG_USER}@{PG_HOST}:{PG_PORT}/postgres")
    if reason is None:
        server = PostgresServer(host=PG_HOST, port=PG_PORT, user=PG_USER)
    else:
        print(f"no PostgreSQL at {PG_HOST}:{PG_PORT} ({reason}); starting a throwaway cluster ...", flush=True)
        started = time.perf_counter()
        cluster = start_cluster()
        server = PostgresServer(host="127.0.0.1", port=cluster.port, user="postgres", cluster=cluster)
        on_exit(_discard_server, server)
        print(f"  PostgreSQL on 127.0.0.1:{cluster.port} in {time.perf_counter() - started:.1f} s "
              f"({cluster.workdir})", flush=True)
    _SERVER = server
    with _admin_connection() as conn:
        server.version = conn.execute("SHOW server_version").fetchone()[0]
    _LAST_VERSION.append(server.version + ("" if server.cluster is None else " (throwaway cluster, fsync off)"))
    return server


def _discard_server(server: PostgresServer) -> None:
    global _SERVER
    server.discard()
    if _SERVER is server:
        _SERVER = None


def database_url(name: str) -> str:
    server = postgres_server()
    return f"postgres://{server.user}@{server.host}:{server.port}/{name}"


def _admin_connection():
    import psycopg

    server = _SERVER if _SERVER is not None else postgres_server()
    return psycopg.connect(host=server.host, port=server.port, user=server.user, dbname="postgres", autocommit=True)


def create_database(name: str) -> str:
    """A fresh, empty database `name` (an old one of that name is dropped first)."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise ValueError(f"refusing odd database name {name!r}")
    with _admin_connection() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return database_url(name)


def drop_database(name: str) -> None:
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise ValueError(f"refusing odd database name {name!r}")
    with _admin_connection() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def postgres_backend_pids(name: str) -> list[int]:
    """PIDs of the PostgreSQL backends connected to database `name` (for CPU accounting)."""
    with _admin_connection() as conn:
        rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [name]).fetchall()
    return [row[0] for row in rows]


def postgres_version() -> str:
    """The server's version (remembered, so a report written after a throwaway cluster was discarded
    names it instead of starting another)."""
    if _SERVER is None and _LAST_VERSION:
        return _LAST_VERSION[-1]
    postgres_server()
    return _LAST_VERSION[-1]


_RUN_SECRET_KEY = f"bench-{secrets.token_urlsafe(48)}"


def base_env(*, database: str, storage_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment the app (gunicorn, manage.py, in-process Django) runs with."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DOSSIER_", "AUDIT_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="backend.settings",
        DATABASE_URL=database,
        STORAGE_URL=storage_url,
        DOSSIER_DATA_DIR=str(data_dir),
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        DJANGO_DEBUG="0",
        # production settings over plain HTTP on loopback: a key of the run's own, no HTTPS redirect
        DJANGO_SECRET_KEY=_RUN_SECRET_KEY,
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_SESSION_COOKIE_SECURE="0",
        DJANGO_CSRF_COOKIE_SECURE="0",
        DOSSIER_LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    env.update({k: str(v) for k, v in extra.items()})
    return env


def migrate(env: dict[str, str]) -> float:
    """`manage.py migrate` against env's DATABASE_URL; returns seconds taken."""
    started = time.perf_counter()
    subprocess.run(
        [str(PYTHON), "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=REPO, env=env, check=True,
    )
    return time.perf_counter() - started


def django_setup(env: dict[str, str]) -> None:
    """Configure Django in this process with the same settings the server gets."""
    for key in ("DATABASE_URL", "STORAGE_URL", "DOSSIER_DATA_DIR", "DJANGO_ALLOWED_HOSTS", "DJANGO_DEBUG",
                "DJANGO_SECRET_KEY", "DJANGO_SECURE_SSL_REDIRECT", "DJANGO_SESSION_COOKIE_SECURE",
                "DJANGO_CSRF_COOKIE_SECURE", "DOSSIER_LOG_LEVEL", "DJANGO_SETTINGS_MODULE", "AUDIT_ENABLED"):
        if key in env:
            os.environ[key] = env[key]
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    import django

    django.setup()


def close_django_connections() -> None:
    from django.db import connections

    connections.close_all()


def app_database(stack: contextlib.ExitStack, name: str, *, keep: bool, storage_url: str, data_dir: Path,
                 **extra: str) -> dict[str, str]:
    """A fresh database `name` (dropped when the stack unwinds, unless keep), migrated, and Django set up
    in this process on it; returns the environment the app's servers get (base_env with `extra`)."""
    database = create_database(name)
    if not keep:
        stack.callback(drop_database, name)
    env = base_env(database=database, storage_url=storage_url, data_dir=data_dir, **extra)
    migrate(env)
    django_setup(env)
    return env


def copy_rows(model, fields: Sequence[str], rows: Iterable[Sequence[object]]) -> int:
    """Bulk-load rows into `model`'s table with PostgreSQL COPY (the fast way to seed).

    `fields` names the model fields given in each row (use "<fk>_id" attnames for foreign keys);
    every other concrete column gets the field's default (or NULL), so the loader keeps working
    when a model grows a column with a default. Returns the number of rows written.
    """
    from django.db import connection

    concrete = {f.attname: f for f in model._meta.concrete_fields}
    unknown = [name for name in fields if name not in concrete]
    if unknown:
        raise ValueError(f"{model.__name__} has no columns {unknown}")
    extra = []
    for attname, f in concrete.items():
        if attname in fields or f.primary_key:
            continue
        if not f.has_default() and not f.null and not f.empty_strings_allowed:
            raise ValueError(f"{model.__name__}.{attname} has no default; give it to copy_rows")
        extra.append(f)
    # Django's own rule: the field default, else "" for string fields, else NULL.
    defaults = tuple(f.get_default() for f in extra)
    columns = [concrete[name].column for name in fields] + [f.column for f in extra]
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    table = connection.ops.quote_name(model._meta.db_table)
    count = 0
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(tuple(row) + defaults)
                count += 1
    return count


def reset_sequences(*models) -> None:
    from django.core.management.color import no_style
    from django.db import connection

    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), list(models)):
            cursor.execute(statement)


def seed_user_with_token(username: str, *, role: str = "staff", department=None) -> tuple[object, str]:
    """A user (through the accounts service, so department membership is right) and an API token key."""
    from backend.accounts.services import api_token_issue, user_create

    user = user_create(actor=None, username=username, role=role, department=department, display_name=username)
    return user, api_token_issue(user=user)


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


# --- statistics and output ----------------------------------------------------------------


def percentile(values: Sequence[float], pct: float) -> float:
    """Linear-interpolated percentile (the same definition as numpy's default)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = (len(ordered) - 1) * pct / 100.0
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


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


def median(values: Iterable[float]) -> float:
    return statistics.median(list(values))


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    rows = [[str(cell) for cell in row] for row in rows]
    widths = [max(len(str(h)), *(len(r[i]) for r in rows)) if rows else len(str(h)) for i, h in enumerate(headers)]
    line = lambda cells: "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |"  # noqa: E731
    out = [line([str(h) for h in headers]), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(r) for r in rows]
    return "\n".join(out)


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


def machine_section() -> str:
    facts = machine_facts()
    rows = [(k, v) for k, v in facts.items()]
    return "## Machine\n\n" + markdown_table(["", "value"], rows) + (
        "\n\nClient, gunicorn, PostgreSQL and `weed mini` all share these cores; every connection is "
        "over 127.0.0.1.\n"
    )


_HEADER = """# Benchmarks

Measured numbers only; each section says how to reproduce it and was written by its script
(`python -m bench.<name> --write`). Methodology notes live in `bench/README.md`.
"""


def write_section(name: str, body: str) -> Path:
    """Replace (or append) the section `name` of BENCHMARKS.md, and refresh the Machine section."""
    text = BENCHMARKS_MD.read_text() if BENCHMARKS_MD.exists() else _HEADER
    text = _replace_block(text, "machine", machine_section())
    text = _replace_block(text, name, body.rstrip() + "\n")
    BENCHMARKS_MD.write_text(text.rstrip() + "\n")
    return BENCHMARKS_MD


def _replace_block(text: str, name: str, body: str) -> str:
    start, end = f"<!-- bench:{name}:start -->", f"<!-- bench:{name}:end -->"
    block = f"{start}\n{body.rstrip()}\n{end}"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
    if pattern.search(text):
        return pattern.sub(lambda _m: block, text)
    return text.rstrip() + "\n\n" + block + "\n"


def fmt_ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def fmt_mib(nbytes: float) -> str:
    return f"{nbytes / MiB:.1f}"
