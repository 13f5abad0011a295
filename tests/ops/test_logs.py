"""JSON logs carry the request id, so one request can be followed through the log."""

from __future__ import annotations

import json
import logging

import pytest
from django.test import Client

from backend.ops.logs import DossierJsonFormatter, RequestIdFilter
from tests.factories import UserFactory


@pytest.fixture
def json_lines():
    """Every record of the root logger, formatted as the JSON setting formats it."""
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record):
            lines.append(self.format(record))

    handler = Keep()
    handler.setFormatter(DossierJsonFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    requests_logger = logging.getLogger("dossier.requests")
    level = requests_logger.level
    requests_logger.setLevel(logging.INFO)
    root.addHandler(handler)
    yield lines
    root.removeHandler(handler)
    requests_logger.setLevel(level)


@pytest.mark.django_db
def test_each_request_logs_one_json_line_with_its_request_id(json_lines):
    user = UserFactory()
    client = Client()
    client.force_login(user)

    response = client.get("/api/documents/", HTTP_X_REQUEST_ID="trace-4711")

    assert response["X-Request-ID"] == "trace-4711"
    entries = [json.loads(line) for line in json_lines]
    mine = [e for e in entries if e.get("logger") == "dossier.requests"]
    assert len(mine) == 1
    assert mine[0]["request_id"] == "trace-4711"
    assert mine[0]["route"] == "/api/documents/" and mine[0]["status"] == 200 and mine[0]["method"] == "GET"
    assert mine[0]["level"] == "INFO" and "time" in mine[0]


@pytest.mark.django_db
def test_a_log_line_written_during_a_request_carries_its_id(json_lines, settings):
    # given a search that logs a warning inside the request (the engine is down)
    settings.SEARCH_URL = "opensearch://127.0.0.1:1/dossier?timeout=1&retries=0"
    user = UserFactory()
    client = Client()
    client.force_login(user)

    response = client.get("/api/search/", {"q": "x"}, HTTP_X_REQUEST_ID="trace-search")

    assert response.status_code == 503
    inner = [json.loads(line) for line in json_lines if "trace-search" in line]
    assert any(entry["logger"] != "dossier.requests" for entry in inner), inner
