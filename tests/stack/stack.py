"""The production shape, as separate processes, driven over HTTP only.

One stack per test session (it is only built when a test in tests/stack asks for it):

    PostgreSQL   a throwaway cluster of its own (a test stops it; the suite's database lives elsewhere)
    Redis        broker (db 0) and cache (db 1), its own server
    S3           weed mini, a bucket with SSE-S3
    OpenSearch   a node of its own (a test stops it)
    gunicorn     production settings (DJANGO_DEBUG=0), 2 workers, Prometheus across workers
    Celery       a worker and beat (the outbox drain every 2 s, a worker's lease 8 s)

Tests may stop, kill and restart any part; each fault test leaves the stack whole again.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import requests

from tests.fixtures.opensearch import OpenSearchNode
from tests.fixtures.postgres import PostgresCluster
from tests.fixtures.processes import ServerProcess, wait_until
from tests.fixtures.redis import RedisServer
from tests.fixtures.s3server import S3ServerInfo

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SEARCH_INDEX = "dossier-stack"


@dataclass
class Process(ServerProcess):
    """A process of ours in its own process group, logging to a file; stopping or killing it signals
    the whole group, so its children (gunicorn's and Celery's workers) go with it."""

    name: str
    argv: list[str]
    env: dict
    log: Path
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def log_path(self) -> Path:
        return self.log

    def start(self) -> None:
        if not self.running:
            self.spawn(self.argv, cwd=REPO, env=self.env)

    def _end(self, first: signal.Signals, timeout: float) -> None:
        if self.process is None:
            return
        for sig, wait in ((first, timeout), (signal.SIGKILL, 10.0)):
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.process.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                continue
        try:
            os.killpg(self.process.pid, signal.SIGKILL)  # stragglers of the group
        except ProcessLookupError:
            pass
        self.process = None

    def stop(self, timeout: float = 20.0) -> None:
        super().stop(timeout)

    def log_tail(self, lines: int = 60) -> str:
        return super().log_tail(lines)


@dataclass
class Stack:
    workdir: Path
    postgres: PostgresCluster
    redis: RedisServer
    s3: S3ServerInfo
    search: OpenSearchNode
    env: dict
    port: int
    web: Process
    worker: Process
    beat: Process
    world: dict = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def command_env(self) -> dict:
        """For one-off commands: the stack's settings, without the serving processes' metrics files."""
        return {key: value for key, value in self.env.items() if key != "PROMETHEUS_MULTIPROC_DIR"}

    def manage(self, *args: str, timeout: float = 300, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run([sys.executable, "manage.py", *args], cwd=REPO, env=self.command_env,
                                capture_output=True, text=True, timeout=timeout)
        if check and result.returncode != 0:
            raise AssertionError(f"manage.py {' '.join(args)} failed ({result.returncode}):\n"
                                 f"{result.stdout}\n{result.stderr}")
        return result

    def wait_web(self, timeout: float = 60) -> None:
        def up() -> bool:
            if not self.web.running:
                raise AssertionError(f"gunicorn exited:\n{self.web.log_tail()}")
            return requests.get(f"{self.url}/healthz", timeout=2).status_code == 200

        wait_until(up, timeout=timeout, interval=0.2, what="gunicorn answering /healthz")

    def wait_worker(self, timeout: float = 60) -> None:
        """Until the worker has connected to the broker and is consuming."""
        def ready() -> bool:
            if not self.worker.running:
                raise AssertionError(f"the Celery worker exited:\n{self.worker.log_tail()}")
            return " ready." in self.worker.log.read_text(errors="replace")[self._worker_log_mark:]

        wait_until(ready, timeout=timeout, interval=0.2, what="the Celery worker ready")

    _worker_log_mark: int = 0

    def start_worker(self) -> None:
        self._worker_log_mark = self.worker.log.stat().st_size if self.worker.log.exists() else 0
        self.worker.start()
        self.wait_worker()

    def db(self):
        """A direct connection to the stack's database, for assertions only (tests act over HTTP)."""
        return psycopg.connect(self.env["DATABASE_URL"].replace("postgres://", "postgresql://", 1), autocommit=True)

    def logs(self) -> str:
        return "\n".join(f"--- {p.name} ---\n{p.log_tail()}" for p in (self.web, self.worker, self.beat))

    def stop(self) -> None:
        for process in (self.beat, self.worker, self.web):
            process.stop()


def stack_environment(workdir: Path, postgres: PostgresCluster, redis: RedisServer, s3: S3ServerInfo,
                      search: OpenSearchNode) -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DOSSIER_"))}
    env.update({
        "PYTHONPATH": str(REPO),
        "PYTHONUNBUFFERED": "1",
        "DJANGO_SETTINGS_MODULE": "backend.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(40),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        # plain HTTP on loopback: no redirect to HTTPS, cookies that travel over HTTP (HSTS is only
        # ever sent on HTTPS responses); everything else as in production
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_SESSION_COOKIE_SECURE": "0",
        "DJANGO_CSRF_COOKIE_SECURE": "0",
        "DOSSIER_DATA_DIR": str(workdir / "data"),
        "DOSSIER_STATIC_ROOT": str(workdir / "static"),
        "DATABASE_URL": postgres.url,
        "DATABASE_CONNECT_TIMEOUT": "3",
        "STORAGE_URL": s3.url_for_bucket(f"stack-{uuid.uuid4().hex[:12]}"),
        "STORAGE_SSE": "s3",
        # signed checkpoints of the audit chain in a bucket with Object Lock, as in production
        "AUDIT_CHECKPOINT_URL": s3.url_for_bucket(f"stack-audit-{uuid.uuid4().hex[:8]}"),
        "AUDIT_CHAIN_KEY_FILE": str(workdir / "audit-chain.key"),
        "SEARCH_URL": f"opensearch://127.0.0.1:{search.http_port}/{SEARCH_INDEX}?timeout=5&retries=0",
        "CELERY_BROKER_URL": redis.url(0),
        "CACHE_URL": redis.url(1),
        "CELERY_VISIBILITY_TIMEOUT": "30",
        "SEARCH_OUTBOX_DRAIN_SECONDS": "2",
        "SEARCH_OUTBOX_LEASE_SECONDS": "8",
        "PROMETHEUS_MULTIPROC_DIR": str(workdir / "prometheus"),
        "DOSSIER_LOG_FORMAT": "json",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(workdir / "mail"),
    })
    return env
