"""The request context's IP: the client's, read through the reverse proxies in TRUSTED_PROXIES."""

from __future__ import annotations

import pytest
from django.http import HttpResponse

from backend.audit.events import DOCUMENT_VIEWED
from backend.audit.middleware import RequestContextMiddleware
from backend.audit.models import AuditEvent
from backend.audit.services import record

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.2"


def recorded_ip(rf, actor, **meta) -> str | None:
    """The IP of an event recorded by a view behind the middleware, for a request with these META values."""
    seen = {}

    def view(request):
        seen["event"] = record(DOCUMENT_VIEWED, actor=actor, target_type="documents.document", target_id="7")
        return HttpResponse("ok")

    RequestContextMiddleware(view)(rf.get("/documents/7/", **meta))
    return AuditEvent.objects.get(pk=seen["event"].pk).ip


def test_behind_a_trusted_proxy_the_event_has_the_clients_address(rf, actor, settings):
    # given our reverse proxy is trusted
    settings.TRUSTED_PROXIES = [f"{PROXY}/32"]
    # when a request comes through it, with a forged address written by the client in front
    ip = recorded_ip(rf, actor, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
    # then the event has the address the proxy saw, not the proxy's and not the forged one
    assert ip == "203.0.113.9"


def test_from_any_other_peer_the_event_has_the_peers_address(rf, actor, settings):
    # given our reverse proxy is trusted, and even the old all-trusting setting is on
    settings.TRUSTED_PROXIES = [f"{PROXY}/32"]
    settings.AUDIT_TRUST_X_FORWARDED_FOR = True
    # when a peer that is not our proxy claims to forward for someone
    ip = recorded_ip(rf, actor, REMOTE_ADDR="198.51.100.66", HTTP_X_FORWARDED_FOR="203.0.113.10")
    # then the event has the peer's address
    assert ip == "198.51.100.66"


def test_without_trusted_proxies_the_header_is_ignored(rf, actor, settings):
    settings.TRUSTED_PROXIES = []
    settings.AUDIT_TRUST_X_FORWARDED_FOR = True
    assert recorded_ip(rf, actor, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.10") == PROXY
