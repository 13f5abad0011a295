"""What every benchmark starts from: cleanup of everything it starts, PostgreSQL databases, the app's
environment and Django in-process, and fast seeding (COPY).

Everything a benchmark starts is stopped by its own PID (never by name), also when the run fails
or is interrupted: the scripts run their body inside `cleanup_on_exit()` and register every server
and database on an ExitStack.

PostgreSQL: the server at BENCH_PG_HOST:BENCH_PG_PORT (default 127.0.0.1:5432) when one answers there;
otherwise, on first use, a throwaway cluster from Debian's binaries (the test suite's own
`tests.fixtures.postgres.start_cluster()`: a free loopback port, fsync off), registered on the
innermost `cleanup_on_exit()` stack (or at interpreter exit) so it is discarded with everything else.

The rest lives beside it: bench/servers.py (`weed mini`, gunicorn), bench/machine.py (RSS, CPU
accounting, quietness, machine facts), bench/report.py (percentiles, tables, BENCHMARKS.md sections).
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PYTHON = Path(sys.executable)

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


def database_exists(name: str) -> bool:
    with _admin_connection() as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


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
