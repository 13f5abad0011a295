"""Stamped downloads through the staff pages and the API: a confidential file arrives as a PDF with the
reader's mark; whole, whatever Range or If-None-Match ask; a presign request streams it instead of handing
out the original's URL; a file that cannot be stamped is refused with a translated message; without the
right to download, 404 and no mark."""

from __future__ import annotations

import hashlib
import io

import pytest
from pypdf import PdfReader

from backend.access.services import document_permission_grant
from backend.audit.models import AuditEvent
from backend.documents.models import ViewMark
from tests import factories
from tests.documents.stamping_files import docx_of, pdf_of
from tests.fixtures.clients import api_client, client_for

pytestmark = [pytest.mark.django_db, pytest.mark.timeout(300)]


@pytest.fixture(autouse=True)
def preview_cache_dir(settings, tmp_path):
    settings.PREVIEW_CACHE_DIR = tmp_path / "previews"


@pytest.fixture
def cast():
    owner = factories.UserFactory(username="wang.fang", department=factories.DepartmentFactory(code="sales"))
    colleague = factories.UserFactory(username="li.lei", department=factories.DepartmentFactory(code="service"))
    original = pdf_of(2)
    document = factories.document(owner, title="Secret supply contract", classification="secret", content=original)
    return owner, colleague, document, original


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def _downloads():
    return AuditEvent.objects.filter(event_type="document.version.downloaded")


def _assert_stamped(body: bytes, original: bytes) -> str:
    """The body is a stamped copy: a PDF other than the original, recorded by a download event with both
    digests, whose every page carries that event's mark."""
    event = _downloads().get(detail__stamped_sha256=hashlib.sha256(body).hexdigest())
    code = event.detail["mark"]
    assert body.startswith(b"%PDF") and body != original
    assert all(code in page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)
    assert event.detail["sha256"] == hashlib.sha256(original).hexdigest()
    return code


def test_the_staff_page_download_is_the_stamped_copy(cast):
    owner, _, document, original = cast
    for url in (f"/documents/{document.pk}/download/", f"/documents/{document.pk}/versions/1/download/"):
        # when the owner downloads the secret contract from its page
        response = client_for(owner).get(url)
        # then a stamped PDF arrives, not stored by any cache, and the download is recorded with both digests
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        assert "no-store" in response["Cache-Control"] and "ETag" not in response
        body = _body(response)
        assert int(response["Content-Length"]) == len(body)
        _assert_stamped(body, original)
    assert _downloads().filter(outcome="success").count() == 2


def test_the_api_sends_the_stamped_copy_whole_whatever_range_or_etag_ask(cast):
    owner, _, document, original = cast
    version = document.versions.get(number=1)
    client = api_client(owner)
    url = f"/api/documents/{document.pk}/versions/1/download/"
    # when the client asks for a range, and for the original's ETag
    ranged = client.get(url, HTTP_RANGE="bytes=0-9")
    unchanged = client.get(url, HTTP_IF_NONE_MATCH=f'"{version.sha256}"')
    beyond = client.get(url, HTTP_RANGE="bytes=999999-")
    # then each answer is a whole stamped copy (200), never a range or 304 of the original
    for response in (ranged, unchanged, beyond):
        assert response.status_code == 200 and response["Accept-Ranges"] == "none"
        assert "Content-Range" not in response
        body = _body(response)
        code = _assert_stamped(body, original)
        assert response["X-Dossier-Mark"] == code and response["X-Content-SHA256"] == hashlib.sha256(body).hexdigest()
    # and HEAD names a PDF without opening, stamping or recording anything
    head = client.head(f"/api/documents/{document.pk}/download/", HTTP_RANGE="bytes=0-9")
    assert head.status_code == 200 and head["Content-Type"] == "application/pdf"
    assert "Content-Length" not in head and head["Accept-Ranges"] == "none"
    assert _downloads().count() == 3 and ViewMark.objects.count() == 3


@pytest.mark.s3
def test_a_presign_request_streams_the_stamped_copy_instead_of_a_direct_url(cast):
    owner, _, document, original = cast
    # when the API client asks for a direct store URL of the secret contract
    response = api_client(owner).get(f"/api/documents/{document.pk}/versions/1/download/", {"presign": "1"})
    # then it gets the stamped file itself, and no URL was issued
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    _assert_stamped(_body(response), original)
    assert not AuditEvent.objects.filter(event_type="document.version.download_url_issued").exists()


def test_without_the_right_to_download_it_is_404_and_no_mark_is_made(cast):
    owner, colleague, document, original = cast
    url = f"/api/documents/{document.pk}/versions/1/download/"
    # given a colleague with no grant: 404, on the page and the API, and nothing stamped
    assert api_client(colleague).get(url).status_code == 404
    assert client_for(colleague).get(f"/documents/{document.pk}/download/").status_code == 404
    assert not ViewMark.objects.exists() and not _downloads().exists()
    # when the owner grants them download, then they get their own stamped copy, recorded under their name
    document_permission_grant(actor=owner, document=document, level="download", user=colleague)
    response = api_client(colleague).get(url)
    assert response.status_code == 200
    _assert_stamped(_body(response), original)
    event = _downloads().get()
    assert event.actor == colleague and ViewMark.objects.get(code=event.detail["mark"]).viewer == colleague


@pytest.mark.parametrize("language, words", [("en", "a view-only copy is available"), ("zh-hans", "仅供查看")])
def test_a_file_that_cannot_be_stamped_is_refused_with_a_message_in_the_readers_language(cast, settings, language,
                                                                                         words):
    owner, _, _, _ = cast
    # given stamping that refuses what is not a PDF, and a secret Word file
    settings.STAMPED_DOWNLOAD_OTHER_TYPES = "refuse"
    plan = factories.document(owner, title="Secret plan", classification="secret", content=docx_of(1),
                              filename="plan.docx")
    # when its owner downloads it from its page
    response = client_for(owner, language).get(f"/documents/{plan.pk}/download/", follow=True)
    # then they are back on the document's page, told why and where to read it
    assert response.redirect_chain[-1][0] == f"/documents/{plan.pk}/"
    assert words in response.content.decode()
    assert _downloads().get().outcome == "failure" and not ViewMark.objects.exists()


def test_the_api_refuses_a_file_that_cannot_be_stamped_with_409(cast, settings):
    owner, _, _, _ = cast
    settings.STAMPED_DOWNLOAD_OTHER_TYPES = "refuse"
    plan = factories.document(owner, classification="secret", content=docx_of(1), filename="plan.docx")
    response = api_client(owner).get(f"/api/documents/{plan.pk}/download/")
    assert response.status_code == 409
    assert response.json()["code"] == "stamped_download_refused"
    assert "view-only copy is available" in response.json()["detail"]
