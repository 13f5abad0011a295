"""Readiness: can this process serve? One probe per dependency, each timed.

`READYZ_REQUIRED` (default: database, storage) names the dependencies without which nothing works;
one of them down makes /readyz answer 503. The others (the search engine, the broker) are reported,
and make the answer "degraded" but not 503: uploads, downloads and pages still work without them,
and their work waits in the outbox.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass

from django.conf import settings
from django.db import connections

from backend.documents.store import object_store
from indexing.engine import search_backend

PROBES = ("database", "storage", "search", "broker")


@dataclass(frozen=True)
class ProbeResult:
    name: str
    up: bool
    required: bool
    latency_ms: float
    error: str = ""
    configured: bool = True

    def as_json(self, *, with_error: bool = True) -> dict:
        body = {"status": "up" if self.up else "down", "required": self.required,
                "latency_ms": round(self.latency_ms, 1)}
        if not self.configured:
            body["status"] = "not configured"
        if self.error and with_error:
            body["error"] = self.error
        return body


def _database() -> None:
    connection = connections["default"]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    finally:
        connection.close()  # probe threads must not keep connections open


def _storage() -> None:
    object_store().ping()


def _search() -> None:
    search_backend().ping()


def _broker() -> None:
    from backend.celery import app

    with app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=settings.READYZ_TIMEOUT_SECONDS)


_CHECKS: dict[str, Callable[[], None]] = {"database": _database, "storage": _storage, "search": _search,
                                          "broker": _broker}


def _describe(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}"[:300] if text else type(exc).__name__


def _timed(name: str, required: bool) -> ProbeResult:
    started = time.perf_counter()
    try:
        _CHECKS[name]()
    except Exception as exc:  # noqa: BLE001 - any failure is "down", and says why
        return ProbeResult(name, False, required, (time.perf_counter() - started) * 1000, _describe(exc))
    return ProbeResult(name, True, required, (time.perf_counter() - started) * 1000)


def readiness() -> tuple[bool, list[ProbeResult]]:
    """(ready: every required dependency is up, one result per dependency). All probes run at once,
    each given READYZ_TIMEOUT_SECONDS."""
    required = set(settings.READYZ_REQUIRED)
    names = [name for name in PROBES if name != "broker" or settings.CELERY_BROKER_URL]
    timeout = settings.READYZ_TIMEOUT_SECONDS
    results: list[ProbeResult] = []
    pool = ThreadPoolExecutor(max_workers=len(names), thread_name_prefix="readyz")
    try:
        futures = {name: pool.submit(_timed, name, name in required) for name in names}
        deadline = time.monotonic() + timeout
        for name, future in futures.items():
            try:
                results.append(future.result(timeout=max(0.0, deadline - time.monotonic())))
            except FutureTimeout:
                results.append(ProbeResult(name, False, name in required, timeout * 1000,
                                           f"no answer within {timeout:g} s"))
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    if not settings.CELERY_BROKER_URL:
        results.append(ProbeResult("broker", True, False, 0.0, configured=False))
    return all(result.up for result in results if result.required), results
