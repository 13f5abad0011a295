"""The "read" grant level (read on screen, watermarked) between view (details only) and download.

A reader sees the pages, each marked with their name and recorded with its mark; a 404 answers every URL
that would send the file (staff pages, API, presigned URL, shares for download). A view grant shows the
details only: no pages, no thumbnail.
"""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageChops

from backend.access.services import document_permission_grant
from backend.audit.models import AuditEvent
from backend.documents import previews
from backend.documents.models import ViewMark
from backend.sharing.models import DocumentShare
from tests.factories import api_token
from tests.fixtures.clients import client_for

pytestmark = [pytest.mark.django_db, pytest.mark.timeout(300)]


@pytest.fixture(autouse=True)
def preview_cache_dir(settings, tmp_path):
    settings.PREVIEW_CACHE_DIR = tmp_path / "previews"


def _base(document_id: int) -> str:
    return f"/documents/{document_id}/versions/1"


def _previewed(document_id: int):
    return AuditEvent.objects.filter(event_type="document.version.previewed", target_id=str(document_id))


def test_a_view_grant_shows_the_details_but_no_page_and_no_thumbnail(world):
    # given a view grant on the confidential contract
    document_permission_grant(actor=world.rep, document=world.contract, level="view", user=world.colleague)
    client = client_for(world.colleague)
    base = _base(world.contract.pk)
    # when they open the document and its preview panel
    assert client.get(f"/documents/{world.contract.pk}/").status_code == 200
    panel = client.get(f"{base}/preview/panel/")
    # then the panel says reading needs the read level, and no page image is listed
    assert panel.status_code == 200 and "read on screen" in panel.content.decode()
    assert f"{base}/pages/1.png" not in panel.content.decode()
    # and the page answers 404, the thumbnail is the neutral placeholder, nothing was previewed
    assert client.get(f"{base}/pages/1.png").status_code == 404
    placeholder = client.get(f"{base}/thumbnail.png")
    assert placeholder.status_code == 302 and placeholder["Location"].endswith("thumbnail-unavailable.svg")
    assert not _previewed(world.contract.pk).exists()


def test_a_reader_gets_a_marked_page_never_cached_and_recorded_with_its_code(world):
    # given a read grant on the confidential contract
    document_permission_grant(actor=world.rep, document=world.contract, level="read", user=world.team)
    client = client_for(world.team)
    # when they are shown page 1
    response = client.get(f"{_base(world.contract.pk)}/pages/1.png", REMOTE_ADDR="198.51.100.23")
    # then it is a PNG kept by no browser or proxy
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    # and it differs from the cached, unmarked page
    unmarked = Image.open(io.BytesIO(previews.page_png_checked(world.contract.valid_version, 1))).convert("RGB")
    marked = Image.open(io.BytesIO(response.content)).convert("RGB")
    assert marked.size == unmarked.size and ImageChops.difference(marked, unmarked).getbbox() is not None
    # and the preview's event carries the mark's code, which finds that event
    event = _previewed(world.contract.pk).get()
    mark = ViewMark.objects.get(code=event.detail["mark"])
    assert mark.event_id == event.pk and mark.viewer_id == world.team.pk and mark.purpose == "preview"
    assert mark.address == "198.51.100.23" and mark.classification == "confidential"


def test_a_reader_gets_404_on_every_url_that_sends_the_file(world, settings):
    # given a read grant (and the customer in sight: they are on its account team)
    document_permission_grant(actor=world.rep, document=world.contract, level="read", user=world.team)
    doc = world.contract.pk
    client = client_for(world.team)
    # then the staff pages' downloads and the inline file answer 404
    for url in (f"/documents/{doc}/download/", f"/documents/{doc}/versions/1/download/",
                f"/documents/{doc}/versions/1/preview/"):
        assert client.get(url).status_code == 404, url
    # and so do the API's downloads, their HEAD and a presigned URL
    api = client_for(world.team)
    headers = {"HTTP_AUTHORIZATION": f"Token {api_token(world.team)}"}
    for url in (f"/api/documents/{doc}/download/", f"/api/documents/{doc}/versions/1/download/",
                f"/api/documents/{doc}/versions/1/download/?presign=1"):
        assert api.get(url, **headers).status_code == 404, url
        assert api.head(url, **headers).status_code == 404, url
    # and sharing it with the customer (which would let them download it) is refused, on the page and the API
    client.post(f"/documents/{doc}/shares/", {"customer": world.customer.pk, "downloadable": "on"})
    created = api.post(f"/api/documents/{doc}/shares/", {"customer": world.customer.pk, "downloadable": True},
                       content_type="application/json", **headers)
    assert created.status_code == 404
    assert not DocumentShare.objects.filter(document_id=doc).exists()
    assert not AuditEvent.objects.filter(event_type="document.version.downloaded", actor_id=world.team.pk).exists()


def test_the_grant_form_and_the_api_offer_the_read_level(world):
    owner = client_for(world.rep)
    # the access panel lists the level, and explains it
    page = owner.get(f"/documents/{world.contract.pk}/access-panel/").content.decode()
    assert 'value="read"' in page and "never the file" in page
    # the API grants it
    headers = {"HTTP_AUTHORIZATION": f"Token {api_token(world.rep)}"}
    granted = owner.post(f"/api/documents/{world.contract.pk}/permissions/",
                         {"user": world.colleague.pk, "level": "read"}, content_type="application/json", **headers)
    assert granted.status_code == 201
    event = AuditEvent.objects.filter(event_type="document.permission.granted").latest("id")
    assert event.detail["level"] == "read"
    # and the access list names it
    rules = owner.get(f"/api/documents/{world.contract.pk}/access/", **headers).json()
    colleague = next(r for r in rules if r["principal_id"] == world.colleague.pk and r["via"] == "grant")
    assert colleague["actions"] == ["view", "read"]


def test_a_reader_who_may_not_download_a_text_file_sees_its_first_lines_as_a_marked_page(world):
    from backend.documents.services import document_version_create
    from tests.factories import upload_source

    # given a text file on the contract (v2), and a read grant
    version, _ = document_version_create(actor=world.rep, document=world.contract,
                                         upload=upload_source("付款条件 net 60\nsecret terms\n".encode(), "terms.txt"))
    document_permission_grant(actor=world.rep, document=world.contract, level="read", user=world.team)
    client = client_for(world.team)
    base = f"/documents/{world.contract.pk}/versions/{version.number}"
    # when the reader opens its preview, then it is one page image, not the text
    panel = client.get(f"{base}/preview/panel/").content.decode()
    assert f"{base}/pages/1.png" in panel and 'data-testid="preview-text"' not in panel
    assert "secret terms" not in panel
    page = client.get(f"{base}/pages/1.png")
    assert page.status_code == 200 and page.content.startswith(b"\x89PNG")
    assert client.get(f"{base}/pages/2.png").status_code == 404
    # while its owner, who may download it, still reads the text itself
    assert "secret terms" in client_for(world.rep).get(f"{base}/preview/panel/").content.decode()


def test_comparing_versions_is_offered_to_readers_not_to_viewers(world):
    from backend.documents.services import document_version_create
    from tests.factories import pdf_bytes, upload_source

    document_version_create(actor=world.rep, document=world.contract, upload=upload_source(pdf_bytes(), "v2.pdf"))
    document_permission_grant(actor=world.rep, document=world.contract, level="view", user=world.colleague)
    document_permission_grant(actor=world.rep, document=world.contract, level="read", user=world.team)
    compare = f"/documents/{world.contract.pk}/compare/"
    # a viewer sees the details but no "Changes" link, and the comparison answers 404
    assert compare not in client_for(world.colleague).get(f"/documents/{world.contract.pk}/").content.decode()
    assert client_for(world.colleague).get(f"{compare}?old=1&new=2").status_code == 404
    # a reader is offered it
    assert compare in client_for(world.team).get(f"/documents/{world.contract.pk}/").content.decode()
