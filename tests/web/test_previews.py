"""Previews on the document page and thumbnails in lists: who may see them, what is recorded, and what a
file that cannot be drawn looks like. No grant: 404 everywhere; a read grant: the pages and the thumbnail
but never the file (no download link, the download answers 404); each page sent is a preview in the
trail, a thumbnail is not recorded."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from backend.access.services import document_permission_grant
from backend.audit.models import AuditEvent
from backend.documents.services import document_version_create
from tests.factories import upload_source
from tests.fixtures.clients import client_for

pytestmark = [pytest.mark.django_db, pytest.mark.timeout(300)]

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def preview_cache_dir(settings, tmp_path):
    settings.PREVIEW_CACHE_DIR = tmp_path / "previews"


def _urls(document_id: int, number: int = 1) -> dict[str, str]:
    base = f"/documents/{document_id}/versions/{number}"
    return {"panel": f"{base}/preview/panel/", "page": f"{base}/pages/1.png", "thumbnail": f"{base}/thumbnail.png"}


def _previewed(document_id: int):
    return AuditEvent.objects.filter(event_type="document.version.previewed", target_id=str(document_id))


def test_without_a_grant_previews_and_thumbnails_are_not_found(world):
    # given the confidential contract, which the colleague has no grant on
    client = client_for(world.colleague)
    # when they ask for its preview, a page or its thumbnail, then each answers 404, as for a missing document
    for name, url in _urls(world.contract.pk).items():
        assert client.get(url).status_code == 404, name
    assert client.get(_urls(999_999)["thumbnail"]).status_code == 404
    assert not _previewed(world.contract.pk).exists()


def test_a_read_grant_shows_the_pages_and_the_thumbnail_but_never_the_file(world):
    # given a read grant on the confidential contract (a view grant shows its details only: test_view_only.py)
    document_permission_grant(actor=world.rep, document=world.contract, level="read", user=world.colleague)
    client = client_for(world.colleague)
    urls = _urls(world.contract.pk)
    # when they open the document page, then the preview panel is there and no download link
    page = client.get(f"/documents/{world.contract.pk}/").content.decode()
    assert 'data-testid="preview"' in page and urls["panel"] in page
    assert "/download/" not in page
    # and the panel lists one page image per page
    panel = client.get(urls["panel"])
    assert panel.status_code == 200 and urls["page"] in panel.content.decode()
    # and the page is a PNG, recorded as a preview of page 1
    drawn = client.get(urls["page"])
    assert drawn.status_code == 200 and drawn["Content-Type"] == "image/png"
    assert drawn.content.startswith(PNG_MAGIC)
    event = _previewed(world.contract.pk).get()
    assert event.actor_id == world.colleague.pk and event.detail["page"] == 1
    # and the thumbnail is a small PNG, not recorded
    thumbnail = client.get(urls["thumbnail"])
    assert thumbnail.status_code == 200 and Image.open(io.BytesIO(thumbnail.content)).size[0] == 160
    assert _previewed(world.contract.pk).count() == 1
    # but the file itself stays out of reach: both downloads and the inline file answer 404
    for url in (f"/documents/{world.contract.pk}/download/", f"/documents/{world.contract.pk}/versions/1/download/",
                f"/documents/{world.contract.pk}/versions/1/preview/"):
        assert client.get(url).status_code == 404, url
    assert not AuditEvent.objects.filter(event_type="document.version.downloaded", target_id=str(world.contract.pk),
                                         actor_id=world.colleague.pk).exists()


def test_search_results_and_the_customer_page_show_thumbnails(world):
    client = client_for(world.rep)
    thumbnail = _urls(world.quote_doc.pk, world.quote_doc.valid_version.number)["thumbnail"]
    assert thumbnail in client.get("/search/?q=CNC").content.decode()
    assert thumbnail in client.get(f"/customers/{world.customer.pk}/").content.decode()


def test_a_file_that_cannot_be_drawn_says_so_in_the_users_language(world, settings):
    # given a version too large to preview
    settings.PREVIEW_MAX_SOURCE_MB = 0
    client = client_for(world.rep, "zh-hans")
    urls = _urls(world.quote_doc.pk)
    # when its preview is opened, then the panel says it cannot be shown (in Chinese), not a server error
    panel = client.get(urls["panel"])
    assert panel.status_code == 200
    body = panel.content.decode()
    assert 'data-testid="preview-refused"' in body and "无法" in body
    # the page image answers 422 with the sentence, the thumbnail a neutral placeholder
    assert client.get(urls["page"]).status_code == 422
    placeholder = client.get(urls["thumbnail"])
    assert placeholder.status_code == 302 and placeholder["Location"].endswith("thumbnail-unavailable.svg")


def test_a_text_file_is_shown_as_escaped_text(world):
    version, _ = document_version_create(
        actor=world.rep, document=world.quote_doc,
        upload=upload_source("备注 <b>bold</b> & more\n".encode(), "notes.txt"))
    body = client_for(world.rep).get(_urls(world.quote_doc.pk, version.number)["panel"]).content.decode()
    assert 'data-testid="preview-text"' in body and "备注 &lt;b&gt;bold&lt;/b&gt; &amp; more" in body
