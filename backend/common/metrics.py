"""Dossier's Prometheus metrics: defined once here, so any app can count without importing `ops`.

Counters and histograms live in the process that counts them. With several serving processes
(gunicorn workers) set PROMETHEUS_MULTIPROC_DIR to an empty directory shared by them; /metrics then
adds up every process's values (see backend/ops/metrics.py and deploy/gunicorn.conf.py). Figures read
from the database (outbox backlog, failed extractions) are computed when /metrics is scraped.
"""

from __future__ import annotations

import os

if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    # prometheus_client writes one file per process there and fails at import if it is missing.
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

from prometheus_client import Counter, Histogram  # noqa: E402 - after the directory exists

# Request latency buckets: interactive pages and API calls, up to slow exports.
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

HTTP_REQUESTS = Counter(
    "dossier_http_requests", "HTTP requests answered, by route pattern, method and status.",
    ["route", "method", "status"],
)
HTTP_LATENCY = Histogram(
    "dossier_http_request_duration_seconds",
    "Time to produce the response (streamed bodies are sent afterwards), by route pattern and method.",
    ["route", "method"], buckets=_LATENCY_BUCKETS,
)
UPLOAD_BYTES = Counter("dossier_upload_bytes", "Bytes of uploaded files written to the document store.")
DOWNLOAD_BYTES = Counter("dossier_download_bytes", "Bytes of stored files sent to readers (downloads and shares).")
SEARCH_LATENCY = Histogram(
    "dossier_search_duration_seconds", "Time to answer a search: engine, access re-check and snippets.",
    ["collection"], buckets=_LATENCY_BUCKETS,
)
AUDIT_EVENTS = Counter("dossier_audit_events_written", "Audit events written by this deployment's processes.")
