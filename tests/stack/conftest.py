"""The stack of tests/stack/stack.py, built once per session when a test in tests/stack asks for it, and
the staff members who use it; HTTP clients for the tests are in tests/stack/clients.py."""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg
import pytest

from tests.fixtures.opensearch import launch_node
from tests.fixtures.postgres import start_cluster
from tests.fixtures.processes import START_UP_SECONDS, free_port
from tests.fixtures.redis import RedisServer
from tests.fixtures.s3server import launch_server
from tests.stack.clients import Staff
from tests.stack.stack import BIN, REPO, Process, Stack, stack_environment


@pytest.fixture(scope="session")
def stack(tmp_path_factory) -> Stack:
    workdir = tmp_path_factory.mktemp("stack")
    started: list = []
    try:
        timings: dict[str, float] = {}

        def timed(name, make):
            begun = time.monotonic()
            value = make()
            timings[name] = round(time.monotonic() - begun, 1)
            started.append(value)
            return value

        postgres = timed("postgres", lambda: start_cluster())
        redis = RedisServer(workdir=workdir / "redis")
        timed("redis", lambda: (redis.start(), redis)[1])
        s3 = timed("s3", lambda: launch_server(workdir / "s3"))
        search = timed("opensearch", lambda: launch_node(workdir / "opensearch"))
        with psycopg.connect(postgres.url.rsplit("/", 1)[0].replace("postgres://", "postgresql://") + "/postgres",
                             autocommit=True) as connection:
            connection.execute("CREATE DATABASE dossier")
        env = stack_environment(workdir, postgres, redis, s3, search)
        (workdir / "audit-chain.key").write_text(secrets.token_hex(32))
        (workdir / "audit-chain.key").chmod(0o600)
        port = free_port()
        logs = workdir / "logs"
        logs.mkdir()
        web = Process("web", [str(BIN / "gunicorn"), "-c", str(REPO / "deploy" / "gunicorn.conf.py"),
                              "--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "4", "--timeout", "120",
                              "backend.wsgi:application"],
                      {**env, "DOSSIER_BIND": f"127.0.0.1:{port}"}, logs / "web.log")
        celery = [str(BIN / "celery"), "-A", "backend.celery"]
        worker = Process("worker", [*celery, "worker", "--loglevel", "INFO", "--concurrency", "2",
                                    "--hostname", f"stack-{uuid.uuid4().hex[:6]}@%h", "--without-mingle",
                                    "--without-gossip"],
                         {**env, "PROMETHEUS_MULTIPROC_DIR": str(workdir / "prometheus-worker")}, logs / "worker.log")
        (workdir / "prometheus-worker").mkdir()
        beat = Process("beat", [*celery, "beat", "--loglevel", "INFO", "--schedule", str(workdir / "beat-schedule")],
                       {**env, "PROMETHEUS_MULTIPROC_DIR": str(workdir / "prometheus-worker")}, logs / "beat.log")
        stack = Stack(workdir=workdir, postgres=postgres, redis=redis, s3=s3, search=search, env=env, port=port,
                      web=web, worker=worker, beat=beat)
        begun = time.monotonic()
        stack.manage("migrate", "--noinput", "-v", "0")
        stack.manage("collectstatic", "--noinput", "-v", "0")
        timings["migrate"] = round(time.monotonic() - begun, 1)
        world = subprocess.run([sys.executable, "-m", "tests.stack.world"], cwd=REPO, env=stack.command_env,
                               capture_output=True, text=True, timeout=120)
        assert world.returncode == 0, world.stderr
        stack.world = json.loads(world.stdout.strip().splitlines()[-1])
        begun = time.monotonic()
        web.start()
        stack.start_worker()
        beat.start()
        stack.wait_web()
        timings["processes"] = round(time.monotonic() - begun, 1)
        START_UP_SECONDS.update({f"stack: {name}": seconds for name, seconds in timings.items()})
        yield stack
    finally:
        for name in ("beat", "worker", "web"):
            process = locals().get(name)
            if process is not None:
                process.stop()
        for service in reversed(started):
            for method in ("discard", "stop"):
                if hasattr(service, method):
                    getattr(service, method)()
                    break


def pytest_collection_modifyitems(config, items):
    """The stack is built once per worker process that asks for it, so every test in this folder runs on
    the same worker when the suite is spread over several (pytest-xdist's --dist loadgroup)."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.xdist_group("stack"))


@pytest.fixture
def show_logs_on_failure(request, stack):
    yield
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        print(stack.logs(), file=sys.stderr)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.rep_call = report


@pytest.fixture(scope="session")
def owner(stack) -> Staff:
    return Staff(stack, stack.world["owner"])


@pytest.fixture(scope="session")
def outsider(stack) -> Staff:
    return Staff(stack, stack.world["outsider"])
