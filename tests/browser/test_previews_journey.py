"""A colleague with a read grant opens a Word document in a real browser: its pages are drawn on the server
(LibreOffice, then PDFium) and shown as images, with no download offered; search shows its thumbnail."""

from __future__ import annotations

import io
import re

import pytest
from playwright.sync_api import expect

from backend.access.services import document_permission_grant
from backend.documents.services import UploadSource, document_create

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(300)]


def _docx(pages: int) -> bytes:
    import docx

    document = docx.Document()
    for number in range(1, pages + 1):
        document.add_heading(f"技术协议 Technical agreement — 第 {number} 页", 1)
        document.add_paragraph("数控车床 CNC lathe 200：主轴转速 4000 rpm，交货期 30 天。")
        if number < pages:
            document.add_page_break()
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@pytest.fixture(autouse=True)
def preview_cache_dir(settings, tmp_path):
    settings.PREVIEW_CACHE_DIR = tmp_path / "previews"


@pytest.mark.parametrize("language, heading", [("en", "Preview"), ("zh-hans", "预览")])
def test_a_view_only_colleague_reads_a_docx_as_pages_drawn_on_the_server(world, open_as, live_server, shots,
                                                                         language, heading):
    # given a Word document of 王芳's, which 陈静 may read on screen (not download)
    data = _docx(3)
    document, _ = document_create(
        actor=world.rep, title="技术协议 Technical agreement", kind="contract", classification="confidential",
        upload=UploadSource(stream=io.BytesIO(data), filename="技术协议.docx", declared_size=len(data)))
    document_permission_grant(actor=world.rep, document=document, level="read", user=world.colleague)
    page = open_as("chen.jing", language)
    # when she opens it
    page.goto(f"{live_server.url}/documents/{document.pk}/")
    panel = page.locator("[data-testid=preview]")
    expect(panel.locator("h2")).to_contain_text(heading)
    # then its three pages are shown as images drawn on the server, the first one loaded
    images = panel.locator("[data-testid=preview-pages] img")
    expect(images).to_have_count(3, timeout=120_000)
    first = images.first
    expect(first).to_be_visible()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=first.element_handle())
    assert first.evaluate("img => img.naturalWidth") == 1100
    expect(panel.locator("[data-testid=preview-page-count]")).to_contain_text("3")
    # and nothing offers the file itself
    expect(page.locator("a[href*='/download/']")).to_have_count(0)
    shots(page, f"document-preview-docx-{language}", full_page=False)
    # and search shows the document with its thumbnail
    page.goto(f"{live_server.url}/search/?q=%E6%8A%80%E6%9C%AF%E5%8D%8F%E8%AE%AE")
    hit = page.locator(f"article.hit[data-document='{document.pk}']")
    expect(hit).to_be_visible()
    thumbnail = hit.locator("img[data-thumbnail]")
    expect(thumbnail).to_have_attribute("src", re.compile(r"/thumbnail\.png$"))
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumbnail.element_handle())
    shots(page, f"search-thumbnails-{language}", full_page=False)
