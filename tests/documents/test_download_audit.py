"""A download is recorded only when the file is sent: not for HEAD, not for 304 or 416. Lists that disclose
what matches a query, and who a document is shared with, are recorded reads."""

from __future__ import annotations

import pytest

from backend.access.services import document_permission_grant
from backend.audit.models import AuditEvent
from backend.sharing.shares import document_share_create
from tests import factories
from tests.crm.factories import CustomerFactory
from tests.fixtures.clients import api_client as client_for

pytestmark = [pytest.mark.django_db, pytest.mark.s3]


@pytest.fixture
def contract(settings):
    # These tests are about sending the original (HEAD, Range, 304): a stamped download of a confidential
    # file answers them differently (tests/documents/test_stamping.py, tests/web/test_stamped_download.py).
    settings.STAMPED_DOWNLOAD_CLASSIFICATIONS = []
    department = factories.DepartmentFactory(code="legal")
    owner = factories.UserFactory(username="owner", department=department)
    reader = factories.UserFactory(username="reader", department=factories.DepartmentFactory(code="other"))
    document = factories.document(owner, title="Confidential supply contract", classification="confidential")
    return owner, reader, document


def _downloads():
    return AuditEvent.objects.filter(event_type="document.version.downloaded")


def test_a_head_request_checks_access_and_records_no_download(contract):
    owner, _, document = contract
    version = document.versions.get(number=1)
    client = client_for(owner)
    for url in (f"/api/documents/{document.pk}/download/", f"/api/documents/{document.pk}/versions/1/download/"):
        # when a client asks only for the headers
        response = client.head(url)
        # then it learns what a GET would send, and nothing is recorded as a download
        assert response.status_code == 200
        assert response["Content-Length"] == str(version.size) and response["ETag"] == f'"{version.sha256}"'
        assert response.content == b""
    ranged = client.head(f"/api/documents/{document.pk}/versions/1/download/", HTTP_RANGE="bytes=0-9")
    assert ranged.status_code == 206 and ranged["Content-Range"] == f"bytes 0-9/{version.size}"
    assert not _downloads().exists()


def test_a_head_request_without_the_right_to_download_is_a_404(contract):
    _, reader, document = contract
    assert client_for(reader).head(f"/api/documents/{document.pk}/download/").status_code == 404
    assert not _downloads().exists()


def test_a_real_download_records_exactly_one_download(contract):
    owner, _, document = contract
    # when the owner downloads the file and reads it to the end
    response = client_for(owner).get(f"/api/documents/{document.pk}/versions/1/download/")
    body = b"".join(response.streaming_content)
    # then one download is recorded, with the version and its checksum
    assert response.status_code == 200 and body.startswith(b"%PDF")
    event = _downloads().get()
    assert event.actor == owner and event.outcome == "success" and event.detail["version"] == 1


def test_a_conditional_get_answered_304_and_a_416_record_no_download(contract):
    owner, _, document = contract
    version = document.versions.get(number=1)
    client = client_for(owner)
    url = f"/api/documents/{document.pk}/versions/1/download/"
    # when the client already has these bytes
    unchanged = client.get(url, HTTP_IF_NONE_MATCH=f'"{version.sha256}"')
    # and when it asks for a range beyond the end
    beyond = client.get(url, HTTP_RANGE="bytes=999999-")
    # then neither sends the file, and neither is a download
    assert unchanged.status_code == 304 and unchanged["ETag"] == f'"{version.sha256}"'
    assert beyond.status_code == 416
    assert not _downloads().exists()
    # while a stale ETag gets the file, recorded
    stale = client.get(url, HTTP_IF_NONE_MATCH='"0000"')
    assert stale.status_code == 200 and b"".join(stale.streaming_content)
    assert _downloads().count() == 1


def test_a_304_needs_the_right_to_download(contract):
    owner, reader, document = contract
    document_permission_grant(actor=owner, document=document, level="view", user=reader)
    version = document.versions.get(number=1)
    response = client_for(reader).get(f"/api/documents/{document.pk}/versions/1/download/",
                                      HTTP_IF_NONE_MATCH=f'"{version.sha256}"')
    assert response.status_code == 404


def test_a_document_list_with_a_query_records_the_search(contract):
    owner, _, document = contract
    factories.document(owner, title="Brochure", classification="internal")
    client = client_for(owner)
    # when the owner lists documents whose title contains "supply"
    response = client.get("/api/documents/", {"q": "supply", "classification": "confidential"})
    assert [row["id"] for row in response.json()["results"]] == [document.pk]
    # then the query, the other filters and what was shown are recorded
    event = AuditEvent.objects.get(event_type="document.list.searched")
    assert event.actor == owner and event.target_label == "supply"
    assert event.detail == {"q": "supply", "filters": {"classification": "confidential"}, "shown": 1,
                            "document_ids": [document.pk]}


def test_a_document_list_without_a_query_records_nothing(contract):
    owner, _, _ = contract
    assert client_for(owner).get("/api/documents/").status_code == 200
    assert not AuditEvent.objects.filter(event_type="document.list.searched").exists()


def test_reading_a_documents_shares_is_recorded(contract):
    owner, _, document = contract
    customer = CustomerFactory(name="宁波精密 Ningbo Precision", owner=owner)
    document_share_create(actor=owner, document=document, customer=customer)
    # when the owner lists the document's shares
    response = client_for(owner).get(f"/api/documents/{document.pk}/shares/")
    assert response.status_code == 200 and len(response.json()["shares"]) == 1
    # then the read is recorded against the document, with the customers it disclosed
    event = AuditEvent.objects.get(event_type="document.share.listed")
    assert event.actor == owner and event.target_id == str(document.pk)
    assert event.detail == {"shares": 1, "customer_ids": [customer.pk]}
