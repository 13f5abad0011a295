"""A colleague with the "read" level reads a secret contract in a real browser, with her name across every
page and no way to the file; compliance then finds her from the code read off the page."""

from __future__ import annotations

import io

import pytest
from playwright.sync_api import expect

from backend.access.services import document_permission_grant
from backend.documents.models import ViewMark
from backend.documents.services import UploadSource, document_create
from bench.previews import pdf_of

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(300)]


@pytest.fixture(autouse=True)
def preview_cache_dir(settings, tmp_path):
    settings.PREVIEW_CACHE_DIR = tmp_path / "previews"


@pytest.mark.parametrize("language, marked_note", [("en", "carries your name"), ("zh-hans", "您的姓名")])
def test_a_read_only_colleague_reads_a_secret_contract_with_her_name_across_it(world, open_as, live_server, shots,
                                                                               language, marked_note):
    # given a secret two-page contract of 王芳's, which 陈静 may read on screen (not download)
    data = pdf_of(2, "secret")
    document, _ = document_create(
        actor=world.rep, title="保密供货合同 Secret supply contract", kind="contract", classification="secret",
        upload=UploadSource(stream=io.BytesIO(data), filename="contract.pdf", declared_size=len(data)))
    document_permission_grant(actor=world.rep, document=document, level="read", user=world.colleague)
    page = open_as("chen.jing", language)
    # when she opens it
    page.goto(f"{live_server.url}/documents/{document.pk}/")
    panel = page.locator("[data-testid=preview]")
    images = panel.locator("[data-testid=preview-pages] img")
    expect(images).to_have_count(2, timeout=60_000)
    first = images.first
    first.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=first.element_handle())
    # then the pages are shown, the panel says they carry her name, and nothing offers the file
    expect(panel).to_contain_text(marked_note)
    expect(page.locator("a[href*='/download/']")).to_have_count(0)
    shots(page, f"watermarked-preview-{language}", full_page=False)
    # and her mark for that page is on record with its code
    mark = ViewMark.objects.filter(viewer=world.colleague, version=document.valid_version, purpose="preview").first()
    assert mark is not None and "陈静" in mark.viewer_label
    # when compliance types the code into the console's "find a watermark code"
    officer = open_as("zhao.jing", language)
    officer.goto(f"{live_server.url}/compliance/watermark/")
    officer.fill("[data-testid=watermark-code]", mark.code.lower())
    officer.locator("[data-testid=watermark-form] button[type=submit]").click()
    # then it names her, the document and links to the preview's audit event
    found = officer.locator("[data-testid=watermark-found]")
    expect(found).to_contain_text("陈静")
    expect(found).to_contain_text("保密供货合同")
    expect(found.locator("[data-testid=watermark-event]")).to_be_visible()
    shots(officer, f"watermark-lookup-{language}", full_page=False)
