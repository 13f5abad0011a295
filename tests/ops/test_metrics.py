"""/metrics: Prometheus text, for a scraper on loopback or with the token, and nobody else."""

from __future__ import annotations

import pytest
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from tests.factories import UserFactory, document, pdf_bytes

pytestmark = pytest.mark.django_db


def samples(text: str) -> dict[tuple[str, tuple], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def scrape(**extra) -> dict:
    response = Client().get("/metrics", **extra)
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/plain; version=")
    return samples(response.content.decode())


def value(found: dict, name: str, **labels) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


def test_requests_are_counted_by_route_pattern_method_and_status():
    # given a signed-in user who opens two different documents and one that does not exist
    user = UserFactory()
    first, second = document(user, title="A"), document(user, title="B")
    client = Client()
    client.force_login(user)
    route = "/documents/<int:document_id>/"
    before = scrape()

    for pk in (first.pk, second.pk, 999999):
        client.get(f"/documents/{pk}/")

    # then both documents count under one route (no id in the label), the missing one as a 404
    after = scrape()
    ok = value(after, "dossier_http_requests_total", route=route, method="GET", status="200")
    assert ok - value(before, "dossier_http_requests_total", route=route, method="GET", status="200") == 2
    missing = value(after, "dossier_http_requests_total", route=route, method="GET", status="404")
    assert missing - value(before, "dossier_http_requests_total", route=route, method="GET", status="404") == 1
    assert value(after, "dossier_http_request_duration_seconds_count", route=route, method="GET") >= 3
    assert not any("999999" in str(key) for key in after)


def test_upload_download_and_audit_figures_move_with_the_work(django_capture_on_commit_callbacks):
    user = UserFactory()
    before = scrape()
    content = pdf_bytes("metrics")

    with django_capture_on_commit_callbacks(execute=True):  # audit events count once committed
        doc = document(user, content=content)
        client = Client()
        client.force_login(user)
        download = client.get(f"/documents/{doc.pk}/download/")
        b"".join(download.streaming_content)

    after = scrape()
    assert value(after, "dossier_upload_bytes_total") - value(before, "dossier_upload_bytes_total") == len(content)
    assert value(after, "dossier_download_bytes_total") - value(before, "dossier_download_bytes_total") == len(content)
    # at least the creation and the download
    assert value(after, "dossier_audit_events_written_total") - value(before, "dossier_audit_events_written_total") >= 2


def test_audit_events_of_a_rolled_back_transaction_are_not_counted(django_capture_on_commit_callbacks):
    from django.db import transaction

    from backend.audit import services as audit

    user = UserFactory()
    before = value(scrape(), "dossier_audit_events_written_total")
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                audit.record("document.viewed", actor=user, target=user)
                raise RuntimeError("roll back")
        except RuntimeError:
            pass

    assert value(scrape(), "dossier_audit_events_written_total") == before


def test_each_search_is_timed():
    user = UserFactory()
    client = Client()
    client.force_login(user)
    before = scrape()

    assert client.get("/api/search/", {"q": "anything"}).status_code == 200

    after = scrape()
    assert value(after, "dossier_metrics_database_up") == 1
    assert (value(after, "dossier_search_duration_seconds_count", collection="documents")
            - value(before, "dossier_search_duration_seconds_count", collection="documents")) == 1


def test_the_backlog_and_the_failed_extractions_are_read_from_the_database():
    from indexing.models import SearchOutbox

    from indexing.models import IndexStatus, VersionIndexState

    # given two documents waiting in the outbox and a version whose text could not be read
    user = UserFactory()
    broken = document(user, title="broken").valid_version
    VersionIndexState.objects.update_or_create(version=broken, defaults={"status": IndexStatus.FAILED,
                                                                          "reason": "corrupt"})
    SearchOutbox.objects.all().delete()
    SearchOutbox.objects.create(document_id=424242, reason="test")
    SearchOutbox.objects.create(document_id=424243, reason="test")

    found = scrape()

    assert value(found, "dossier_search_outbox_backlog") == 2
    assert value(found, "dossier_search_outbox_oldest_age_seconds") >= 0
    assert value(found, "dossier_extraction_failures") == 1


@pytest.mark.parametrize("remote, headers, allowed", [
    ("127.0.0.1", {}, True),
    ("::1", {}, True),
    ("10.0.0.7", {}, False),
    ("203.0.113.5", {}, False),
    # a reverse proxy on the same machine: loopback, but the request came from outside
    ("127.0.0.1", {"HTTP_X_FORWARDED_FOR": "203.0.113.5"}, False),
])
def test_only_internal_callers_may_scrape_without_a_token(remote, headers, allowed):
    response = Client().get("/metrics", REMOTE_ADDR=remote, **headers)

    assert response.status_code == (200 if allowed else 404)
    if not allowed:
        assert b"dossier_" not in response.content


def test_the_token_lets_a_scraper_in_from_anywhere(settings):
    settings.METRICS_TOKEN = "s3cr3t-scrape-token"

    right = Client().get("/metrics", REMOTE_ADDR="203.0.113.5", HTTP_AUTHORIZATION="Bearer s3cr3t-scrape-token")
    wrong = Client().get("/metrics", REMOTE_ADDR="203.0.113.5", HTTP_AUTHORIZATION="Bearer guess")
    proxied = Client().get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.5",
                           HTTP_AUTHORIZATION="Bearer s3cr3t-scrape-token")

    assert right.status_code == 200 and b"dossier_http_requests_total" in right.content
    assert wrong.status_code == 404
    assert proxied.status_code == 200


def test_the_allowed_networks_are_a_setting(settings):
    import ipaddress

    settings.METRICS_ALLOWED_NETWORKS = [ipaddress.ip_network("10.0.0.0/8")]

    assert Client().get("/metrics", REMOTE_ADDR="10.9.8.7").status_code == 200
    assert Client().get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 404


def test_through_a_trusted_proxy_the_clients_address_decides(settings):
    import ipaddress

    # given our reverse proxy on this machine is trusted, and scrapers live in 10.0.0.0/8
    settings.TRUSTED_PROXIES = ["127.0.0.1/32"]
    settings.METRICS_ALLOWED_NETWORKS = [ipaddress.ip_network("10.0.0.0/8")]
    # when a scraper inside, an outsider, and an outsider claiming an inside address come through it
    inside = Client().get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="10.9.8.7")
    outside = Client().get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.5")
    forged = Client().get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="10.9.8.7, 203.0.113.5")
    # then only the scraper inside gets the figures
    assert inside.status_code == 200 and b"dossier_" in inside.content
    assert outside.status_code == 404 and forged.status_code == 404
