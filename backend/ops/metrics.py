"""The /metrics exposition: this process's (or every process's) counters plus figures read from the
database when scraped.

Who may scrape: a request carrying `Authorization: Bearer <METRICS_TOKEN>` (when the setting is
set), or one from a client address in METRICS_ALLOWED_NETWORKS (default: loopback only). Through a
proxy listed in TRUSTED_PROXIES the client is read from X-Forwarded-For
(backend.common.client_address); a request with X-Forwarded-For from any other peer is refused (a
reverse proxy on the same machine that is not listed would otherwise make every outside request
look internal). Anyone else gets 404, as for a page that does not exist.
"""

from __future__ import annotations

import hmac
import logging
import os
import time

from django.conf import settings
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from backend.common.client_address import client_ip, peer_is_trusted_proxy

logger = logging.getLogger(__name__)


def may_scrape(request) -> bool:
    token = settings.METRICS_TOKEN
    if token:
        sent = request.META.get("HTTP_AUTHORIZATION", "")
        if sent.startswith("Bearer ") and hmac.compare_digest(sent[7:].strip().encode(), token.encode()):
            return True
    if request.META.get("HTTP_X_FORWARDED_FOR") and not peer_is_trusted_proxy(request):
        return False
    address = client_ip(request)
    return address is not None and any(address in network for network in settings.METRICS_ALLOWED_NETWORKS)


class DatabaseFigures:
    """Gauges read from the database at scrape time, so they are the same whichever process answers."""

    def collect(self):
        from indexing.selectors import extraction_failure_count, outbox_backlog

        up = GaugeMetricFamily("dossier_metrics_database_up", "1 when the figures below could be read.")
        try:
            backlog = outbox_backlog()
            failed = extraction_failure_count()
        except Exception as exc:  # noqa: BLE001 - a scrape must answer even with the database down
            logger.warning("metrics: the database figures could not be read: %s", " ".join(str(exc).split())[:200])
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield GaugeMetricFamily("dossier_search_outbox_backlog",
                                "Documents waiting in the outbox to be (re)indexed.", value=backlog.rows)
        oldest = backlog.oldest
        yield GaugeMetricFamily("dossier_search_outbox_oldest_age_seconds",
                                "Age of the oldest outbox entry (0 when empty).",
                                value=max(0.0, time.time() - oldest.timestamp()) if oldest else 0.0)
        yield GaugeMetricFamily("dossier_extraction_failures",
                                "Versions whose text could not be extracted (see search_status).", value=failed)


class _ThisProcess:
    def collect(self):
        yield from REGISTRY.collect()


def exposition() -> tuple[bytes, str]:
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())
    registry.register(DatabaseFigures())
    return generate_latest(registry), CONTENT_TYPE_LATEST
