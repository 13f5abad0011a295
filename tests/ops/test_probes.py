"""/healthz says the process is up without asking anything else; /readyz asks every dependency."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.fixtures.processes import free_port


def test_healthz_needs_no_database_and_no_valid_host():
    # given a test without database access (pytest-django raises on any query) and a pod's address as Host
    client = Client(HTTP_HOST="10.1.2.3:8000")

    # when an orchestrator asks whether the process lives
    response = client.get("/healthz")

    # then it does, and nothing was cached on the way
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_readyz_reports_every_dependency_with_its_latency(settings, redis_server):
    # given a broker (the real Redis) besides the database, the S3 store and the index
    settings.CELERY_BROKER_URL = redis_server.url(0)

    response = Client().get("/readyz")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ready"
    assert set(body["checks"]) == {"database", "storage", "search", "broker"}
    for name, check in body["checks"].items():
        assert check["status"] == "up", (name, check)
        assert isinstance(check["latency_ms"], float) and check["latency_ms"] >= 0
    assert body["checks"]["database"]["required"] and body["checks"]["storage"]["required"]
    assert not body["checks"]["search"]["required"]


@pytest.mark.django_db
def test_readyz_without_a_broker_says_tasks_run_in_process(settings):
    settings.CELERY_BROKER_URL = ""

    body = Client().get("/readyz").json()

    assert body["checks"]["broker"]["status"] == "not configured"
    assert body["status"] == "ready"


@pytest.mark.django_db
def test_readyz_is_503_when_the_document_store_is_down(settings, s3_server_factory):
    # given a store on an S3 server that then dies
    server = s3_server_factory()
    settings.STORAGE_URL = server.url_for_bucket("readyz-probe")
    assert Client().get("/readyz").status_code == 200
    server.kill()

    response = Client().get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["storage"]["status"] == "down"
    assert body["checks"]["storage"]["error"]
    assert body["checks"]["database"]["status"] == "up"


@pytest.mark.django_db
def test_a_dead_search_engine_or_broker_degrades_but_does_not_fail_readiness(settings):
    # given nothing listening where the search engine and the broker should be
    settings.SEARCH_URL = f"opensearch://127.0.0.1:{free_port()}/dossier?timeout=2&retries=0"
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{free_port()}/0"

    response = Client().get("/readyz")

    # then uploads still work (their indexing waits in the outbox): ready, but degraded
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["search"]["status"] == "down"
    assert body["checks"]["broker"]["status"] == "down"


@pytest.mark.django_db
def test_a_deployer_may_require_the_search_engine(settings):
    settings.READYZ_REQUIRED = ["database", "storage", "search"]
    settings.SEARCH_URL = f"opensearch://127.0.0.1:{free_port()}/dossier?timeout=2&retries=0"

    response = Client().get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"]["search"] == {**response.json()["checks"]["search"], "status": "down",
                                                   "required": True}


@pytest.mark.django_db
def test_why_a_dependency_is_down_is_told_only_to_internal_callers(settings):
    settings.SEARCH_URL = f"opensearch://127.0.0.1:{free_port()}/dossier?timeout=2&retries=0"

    inside = Client().get("/readyz").json()["checks"]["search"]
    outside = Client().get("/readyz", REMOTE_ADDR="198.51.100.7").json()["checks"]["search"]

    assert inside["status"] == outside["status"] == "down"
    assert inside["error"].startswith("SearchUnavailable")
    assert "error" not in outside
