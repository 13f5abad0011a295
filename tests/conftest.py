"""Suite-wide fixtures.

Shared fixtures and helpers live in tests/fixtures/: the servers' (PostgreSQL, S3, OpenSearch, Redis, the
per-test backends) are loaded by pytest.ini with -p, the rest here with pytest_plugins. A folder's own
fixtures stay in its conftest.py; an autouse fixture that several folders want is defined once in
tests/fixtures/ and imported into each of those folders' conftest.py, so it applies only there.
"""

import os

import pytest

# Keep test data (local store, search index) away from the developer's demo data.
os.environ.setdefault("DOSSIER_DATA_DIR", "/tmp/dossier-test-data")

pytest_plugins = ["tests.fixtures.clients"]


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    # each test's own audit checkpoints (and its own generated chain key, under DATA_DIR)
    settings.AUDIT_CHECKPOINT_URL = f"file://{tmp_path / 'audit-checkpoints'}"
    # Real password hashing costs ~0.5 s per user; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _closed_search_breaker():
    """A test that kills the search engine opens the indexing circuit breaker for 30 s; it must not
    make later tests (in any folder) skip their index writes."""
    from indexing import outbox

    outbox._breaker["open_until"] = 0.0
    yield
    outbox._breaker["open_until"] = 0.0


from django.db.backends.signals import connection_created  # noqa: E402


def _allow_flushing_the_audit_table(sender, connection, **kwargs):
    # Between transactional tests Django's flush TRUNCATEs every table; the audit table's
    # append-only trigger refuses that unless the session opts in (see audit migration 0002).
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET dossier.audit_allow_truncate = 'on'")


connection_created.connect(_allow_flushing_the_audit_table)


@pytest.fixture(autouse=True)
def _default_language():
    """A request in Chinese leaves its language active in the thread (the locale middleware
    activates it and nothing deactivates it): the next test must start in the default language."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _empty_cache(settings):
    """Sign-in failure counts live in the cache and every test client comes from 127.0.0.1: one
    test's wrong passwords must not lock another test out (nor another test run's: in memory)."""
    from django.core.cache import cache

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tests"}}
    cache.clear()
    yield


def pytest_terminal_summary(terminalreporter):
    """How long each server this run needed took to start (for the closing note, and to spot a slow box)."""
    from tests.fixtures.processes import START_UP_SECONDS

    if START_UP_SECONDS:
        terminalreporter.section("servers started")
        for name, seconds in START_UP_SECONDS.items():
            terminalreporter.write_line(f"{name}: {seconds:.1f} s")


def pytest_sessionfinish(session):
    """A worker (pytest-xdist) hands its start-up times to the controller, which prints them all."""
    from tests.fixtures.processes import START_UP_SECONDS

    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["start_up_seconds"] = dict(START_UP_SECONDS)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    from tests.fixtures.processes import START_UP_SECONDS

    worker = node.gateway.id
    for name, seconds in getattr(node, "workeroutput", {}).get("start_up_seconds", {}).items():
        START_UP_SECONDS[f"{name} [{worker}]"] = seconds
