"""The outermost middleware: answers the probes itself and measures every other request.

/healthz, /readyz and /metrics are answered here, before sessions, authentication, the host check
and CSRF: a probe must not need the database (healthz), a valid Host header (an orchestrator calls
the pod's address) or a session, and must not be counted as traffic.
"""

from __future__ import annotations

import logging
import time

from django.http import HttpResponse, HttpResponseNotFound, JsonResponse

from backend.common.metrics import HTTP_LATENCY, HTTP_REQUESTS
from backend.ops import metrics, probes

request_log = logging.getLogger("dossier.requests")

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_NO_STORE = "no-store"


def healthz(request) -> HttpResponse:
    response = JsonResponse({"status": "ok"})
    response["Cache-Control"] = _NO_STORE
    return response


def readyz(request) -> HttpResponse:
    ready, results = probes.readiness()
    degraded = any(not result.up for result in results)
    # Why a dependency is down names hosts and ports: only for those who may read the metrics too.
    detailed = metrics.may_scrape(request)
    body = {
        "status": "ready" if ready and not degraded else ("degraded" if ready else "unavailable"),
        "checks": {result.name: result.as_json(with_error=detailed) for result in results},
    }
    response = JsonResponse(body, status=200 if ready else 503, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = _NO_STORE
    return response


def metrics_view(request) -> HttpResponse:
    if not metrics.may_scrape(request):
        return HttpResponseNotFound(b"Not found.", content_type="text/plain")
    body, content_type = metrics.exposition()
    response = HttpResponse(body, content_type=content_type)
    response["Cache-Control"] = _NO_STORE
    return response


_ENDPOINTS = {"/healthz": healthz, "/readyz": readyz, "/metrics": metrics_view}


def _route(request) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    return "/" + match.route if match.route else match.view_name or "unmatched"


class OpsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        endpoint = _ENDPOINTS.get(request.path_info.rstrip("/") or "/")
        if endpoint is not None and request.method in ("GET", "HEAD"):
            return endpoint(request)
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed = time.perf_counter() - started
        route = _route(request)
        method = request.method if request.method in _METHODS else "other"
        HTTP_REQUESTS.labels(route, method, str(response.status_code)).inc()
        HTTP_LATENCY.labels(route, method).observe(elapsed)
        if request_log.isEnabledFor(logging.INFO):
            request_log.info(
                "%s %s %s", method, route, response.status_code,
                extra={"method": method, "route": route, "path": request.path[:300],
                       "status": response.status_code, "duration_ms": round(elapsed * 1000, 1),
                       # set by the audit context middleware further in, which has reset its context by now
                       "request_id": response.get("X-Request-ID", "")},
            )
        return response
