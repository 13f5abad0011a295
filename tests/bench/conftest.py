"""The benchmarks' own tests run the scripts as the README says (`python -m bench.<name>`), at a tiny scale,
in a process of their own, against the suite's PostgreSQL server (a database of the script's own there)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def run_bench():
    """Run `python -m bench.<name> ARGS` from the repository root; its exit status must be 0."""
    database = settings.DATABASES["default"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DOSSIER_", "DATABASE_URL"))}
    env.update(BENCH_PG_HOST=str(database.get("HOST") or "127.0.0.1"), BENCH_PG_PORT=str(database.get("PORT") or 5432),
               BENCH_PG_USER=str(database.get("USER") or "postgres"))

    def run(name: str, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
        done = subprocess.run([sys.executable, "-m", f"bench.{name}", *args], cwd=REPO, env=env,
                              capture_output=True, text=True, timeout=timeout)
        assert done.returncode == 0, f"bench.{name} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        return done

    return run
