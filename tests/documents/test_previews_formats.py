"""Previews of every common type, drawn on the server: PDF, DOCX, XLSX, PPTX, OpenDocument (through headless
LibreOffice), pictures and text. Each gives page images and a page count, or a clean "cannot be shown";
a conversion that overruns is killed with its whole process group; what was drawn once is read from the
cache without starting a child, and two requests for the same new preview convert it once.
"""

from __future__ import annotations

import io
import os
import subprocess
import threading
import time
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from backend.audit.models import AuditEvent
from backend.documents import previews, rendering
from backend.documents.rendering import UNREADABLE, ConvertLimits, RenderRefused
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.timeout(300)]

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


# --- files, built here -------------------------------------------------------------------------------


def pdf_of(pages: int) -> bytes:
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    drawing = canvas.Canvas(out, pagesize=(595, 842))
    for number in range(1, pages + 1):
        drawing.drawString(72, 770, f"Page {number}")
        drawing.showPage()
    drawing.save()
    return out.getvalue()


def docx_of(pages: int) -> bytes:
    import docx

    document = docx.Document()
    for number in range(1, pages + 1):
        document.add_heading(f"第 {number} 页 Page {number}", 1)
        document.add_paragraph("供货合同条款 The supplier delivers the goods described in the schedule.")
        if number < pages:
            document.add_page_break()
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def xlsx_of() -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["产品 Product", "数量 Qty", "单价 Price"])
    sheet.append(["数控车床 CNC lathe", 10, 118000])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def pptx_of(slides: int) -> bytes:
    from pptx import Presentation

    deck = Presentation()
    for number in range(1, slides + 1):
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = f"第 {number} 张 Slide {number}"
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()


def odt_of(text: str) -> bytes:
    """A minimal OpenDocument text: the stored mimetype first, a manifest, one paragraph."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as odt:
        odt.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text")
        odt.writestr("META-INF/manifest.xml", (
            '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
            'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
            '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/>'
            '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
            '</manifest:manifest>'), compress_type=zipfile.ZIP_DEFLATED)
        odt.writestr("content.xml", (
            '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
            'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
            'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
            f'<office:body><office:text><text:p>{text}</text:p></office:text></office:body>'
            '</office:document-content>'), compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def jpeg_turned_by_exif() -> bytes:
    """A 300 x 200 picture whose EXIF says "turn 90 degrees clockwise to view" (orientation 6)."""
    image = Image.new("RGB", (300, 200), (200, 40, 40))
    exif = Image.Exif()
    exif[0x0112] = 6
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def broken_docx() -> bytes:
    """A DOCX that the type sniffer accepts (its parts are there) whose main part is not XML."""
    good = zipfile.ZipFile(io.BytesIO(docx_of(1)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as broken:
        for item in good.infolist():
            data = good.read(item.filename)
            if item.filename == "word/document.xml":
                data = b"<w:document \x00\x01 not xml at all" + os.urandom(512)
            broken.writestr(item, data)
    return out.getvalue()


# --- fixtures --------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def preview_cache_dir(settings, tmp_path):
    settings.PREVIEW_CACHE_DIR = tmp_path / "previews"
    return settings.PREVIEW_CACHE_DIR


@pytest.fixture
def owner(db):
    return factories.UserFactory(username="owner")


class ChildStarts:
    """Counts the processes started (the sandboxed children, and through them LibreOffice)."""

    def __init__(self, monkeypatch):
        self.count = 0
        self._lock = threading.Lock()
        real = subprocess.Popen

        def counting(*args, **kwargs):
            with self._lock:
                self.count += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(subprocess, "Popen", counting)


def _version(owner, content: bytes, filename: str):
    document = factories.document(owner, content=content, filename=filename)
    return document.versions.get(number=1)


def _png_size(png: bytes) -> tuple[int, int]:
    assert png.startswith(PNG_MAGIC)
    return Image.open(io.BytesIO(png)).size


# --- every type gives page images and a page count ---------------------------------------------------


@pytest.mark.parametrize(
    "content, filename, mime, pages",
    [
        (pdf_of(3), "three.pdf", "application/pdf", 3),
        (docx_of(2), "two.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", 2),
        (xlsx_of(), "prices.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", 1),
        (pptx_of(2), "deck.pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation", 2),
        (odt_of("开放文档 OpenDocument"), "letter.odt", "application/vnd.oasis.opendocument.text", 1),
    ],
    ids=["pdf", "docx", "xlsx", "pptx", "odt"],
)
def test_each_paged_type_is_drawn_as_page_images_with_a_page_count(owner, content, filename, mime, pages):
    # given a version of that type
    version = _version(owner, content, filename)
    assert version.mime_type == mime
    # when its preview is opened and its pages are drawn
    preview = previews.version_preview_open(actor=owner, version=version)
    # then it has the right number of pages, each a page-shaped PNG of the configured width
    assert (preview.kind, preview.pages) == ("pages", pages)
    for number in range(1, pages + 1):
        width, height = _png_size(previews.version_preview_page(actor=owner, version=version, page=number))
        assert width == 1100 and height > 100
    # and a page past the end does not exist
    with pytest.raises(Exception) as missing:
        previews.version_preview_page(actor=owner, version=version, page=pages + 1)
    assert type(missing.value).__name__ == "NotFound"
    # and each page sent is recorded as a preview of that page, never as a download
    events = AuditEvent.objects.filter(target_id=str(version.document_id))
    assert sorted(e.detail["page"] for e in events.filter(event_type="document.version.previewed")) == \
        list(range(1, pages + 1))
    assert not events.filter(event_type="document.version.downloaded").exists()


def test_a_picture_is_one_page_turned_upright_by_its_exif_orientation(owner):
    version = _version(owner, jpeg_turned_by_exif(), "photo.jpg")
    preview = previews.version_preview_open(actor=owner, version=version)
    assert (preview.kind, preview.pages) == ("pages", 1)
    # 300 x 200 stored, shown turned a quarter: 200 wide, 300 tall
    assert _png_size(previews.version_preview_page(actor=owner, version=version, page=1)) == (200, 300)


def test_text_is_shown_as_text_decoded_from_its_encoding_and_its_thumbnail_is_a_page(owner):
    # given a Chinese text file in GB18030 (common for files from Windows in China)
    content = "会议纪要 Meeting notes\n第二行 price < 5 & qty > 2\n".encode("gb18030")
    version = _version(owner, content, "notes.txt")
    # when previewed, then its text is given (the template escapes it), recorded as a preview
    preview = previews.version_preview_open(actor=owner, version=version)
    assert preview.kind == "text" and "会议纪要 Meeting notes" in preview.text and not preview.truncated
    assert AuditEvent.objects.filter(event_type="document.version.previewed", detail__shown="text").count() == 1
    # and its thumbnail is a small page-shaped picture
    width, height = _png_size(previews.version_thumbnail(actor=owner, version=version))
    assert width == 160 and height > width


def test_thumbnails_are_small_first_pages_and_not_recorded(owner):
    version = _version(owner, docx_of(3), "three.docx")
    width, height = _png_size(previews.version_thumbnail(actor=owner, version=version))
    assert width == 160 and height <= int(160 * 1.414)
    assert not AuditEvent.objects.filter(event_type="document.version.previewed").exists()


# --- what cannot be shown -------------------------------------------------------------------------------


def test_a_corrupt_docx_cannot_be_shown_and_is_not_retried(owner, monkeypatch):
    # given a DOCX whose main part is not XML (LibreOffice must not fall back to reading it as plain text)
    version = _version(owner, broken_docx(), "broken.docx")
    # when its preview is opened, then it says it cannot be shown
    preview = previews.version_preview_open(actor=owner, version=version)
    assert preview.kind == "refused" and preview.refusal == UNREADABLE
    # and asking again answers from the cache: no LibreOffice, no child at all
    starts = ChildStarts(monkeypatch)
    assert previews.version_preview_open(actor=owner, version=version).kind == "refused"
    with pytest.raises(RenderRefused):
        previews.version_thumbnail(actor=owner, version=version)
    assert starts.count == 0


def test_a_file_above_the_preview_size_limit_cannot_be_shown(owner, settings):
    settings.PREVIEW_MAX_SOURCE_MB = 0
    version = _version(owner, pdf_of(1), "big.pdf")
    preview = previews.version_preview_open(actor=owner, version=version)
    assert preview.kind == "refused" and preview.refusal == previews.FILE_TOO_LARGE


def _processes_mentioning(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if text.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


def test_a_conversion_past_its_time_kills_libreoffices_process_group(tmp_path):
    # given a conversion allowed one second (LibreOffice needs more just to start)
    work_root = tmp_path / "work"
    work_root.mkdir()
    started = threading.Event()
    seen: list[int] = []

    def watch():  # LibreOffice's processes carry their work directory in their command line
        while not started.is_set():
            seen.extend(pid for pid in _processes_mentioning(str(work_root)) if pid not in seen)

    watcher = threading.Thread(target=watch)
    watcher.start()
    # when it runs, then it is refused as too costly
    try:
        with pytest.raises(RenderRefused) as refused:
            rendering.office_to_pdf(docx_of(20), DOCX, ConvertLimits(timeout_seconds=1), work_root=str(work_root))
    finally:
        started.set()
        watcher.join()
    assert refused.value.message == rendering.TOO_COSTLY
    # and LibreOffice was running, and none of its processes is left (killed with its group), nor its files
    assert seen, "LibreOffice never started"
    assert _processes_mentioning(str(work_root)) == []
    assert list(work_root.iterdir()) == []


# --- the cache and the lock ----------------------------------------------------------------------------


def test_a_cached_page_is_read_without_starting_a_child(owner, monkeypatch):
    version = _version(owner, docx_of(2), "cached.docx")
    first = previews.version_preview_page(actor=owner, version=version, page=1)
    # when the same page (and the page count) is asked for again
    starts = ChildStarts(monkeypatch)
    again = previews.version_preview_page(actor=owner, version=version, page=1)
    preview = previews.version_preview_open(actor=owner, version=version)
    # then it comes from the cache: no child process, no LibreOffice (each copy sent carries its own mark)
    assert again.startswith(PNG_MAGIC) and again != first and preview.pages == 2
    assert starts.count == 0


def test_two_requests_for_the_same_new_preview_convert_it_once(owner, monkeypatch):
    # given a warm LibreOffice profile template (made once per cache) and a DOCX never drawn
    previews._page(_version(owner, docx_of(1), "warm.docx"), 1)
    version = _version(owner, docx_of(2), "twice.docx")
    starts = ChildStarts(monkeypatch)
    results: list[bytes] = []

    def draw():
        results.append(previews._page(version, 1)[0])

    # when two requests draw its first page at the same time
    threads = [threading.Thread(target=draw) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then both get the page, and only one conversion and one drawing ran (two children in all)
    assert len(results) == 2 and results[0] == results[1]
    assert starts.count == 2


def test_the_cache_keeps_within_its_bound_dropping_the_least_recently_read(tmp_path):
    cache = previews.PreviewCache(tmp_path / "bounded", max_bytes=10_000)
    for number in range(5):
        cache.write(f"{number:064x}", "page.png", b"x" * 3_000)
        os.utime(cache._path(f"{number:064x}", "page.png"), (number, number))
    cache.read(f"{0:064x}", "page.png")  # read just now: kept
    cache.trim()
    assert cache.size() <= 9_000
    assert cache.read(f"{0:064x}", "page.png") is not None
    assert cache.read(f"{1:064x}", "page.png") is None


# --- drawing ahead of the first reader ------------------------------------------------------------------


def test_a_version_drawn_ahead_by_the_task_is_read_from_the_cache_and_nothing_is_recorded(owner, monkeypatch):
    # given a new DOCX, drawn by the background task that follows an upload (with a task queue)
    version = _version(owner, docx_of(2), "ahead.docx")
    assert previews.preview_warm(version_id=version.pk) == "drawn"
    assert not AuditEvent.objects.filter(event_type="document.version.previewed").exists()
    # when the first person opens it, then no child (no LibreOffice) runs for its first page or thumbnail
    starts = ChildStarts(monkeypatch)
    assert previews.version_preview_open(actor=owner, version=version).pages == 2
    assert previews.version_preview_page(actor=owner, version=version, page=1).startswith(PNG_MAGIC)
    assert previews.version_thumbnail(actor=owner, version=version).startswith(PNG_MAGIC)
    assert starts.count == 0


def test_without_a_task_queue_an_upload_does_not_wait_for_drawing(owner, preview_cache_dir, settings):
    # given no broker: tasks would run inside the upload's request
    assert settings.CELERY_TASK_ALWAYS_EAGER
    # when an office file is uploaded, then nothing is drawn until someone asks
    _version(owner, docx_of(1), "later.docx")
    assert not Path(preview_cache_dir).exists() or not any(Path(preview_cache_dir).rglob("*.png"))


# --- the portal: view-only shares of office files are pages too ------------------------------------------


def test_a_view_only_share_of_a_docx_shows_its_pages_to_the_customer(owner):
    from backend.sharing.shares import document_share_create, share_open, share_page_png
    from tests.crm.factories import CustomerFactory
    from tests.portal_factories import portal_user

    # given a two-page DOCX shared view-only with a customer's portal user
    customer = CustomerFactory(name="Alpha 阿尔法", owner=owner)
    alice = portal_user(customer, name="Alice")
    document = factories.document(owner, classification="public", content=docx_of(2), filename="offer.docx")
    share = document_share_create(actor=owner, document=document, customer=customer, downloadable=False)
    # when Alice opens it, then she sees two drawn pages (not only its extracted text)
    view = share_open(actor=alice, share=share)
    assert (view.rendering, view.page_count) == ("pages", 2)
    assert _png_size(share_page_png(actor=alice, share=share, page=2))[0] == 1100


def test_a_conversion_directory_left_by_a_killed_process_is_removed_later(owner, preview_cache_dir):
    # given a conversion's directory left two hours ago by a process that was killed
    left = Path(preview_cache_dir) / "work" / "dossier-convert-left"
    (left / "profile").mkdir(parents=True)
    os.utime(left, (time.time() - 7200, time.time() - 7200))
    # when the next office file is drawn, then it is gone
    previews.version_preview_open(actor=owner, version=_version(owner, docx_of(1), "next.docx"))
    assert not left.exists()


def test_conversions_wait_for_a_free_place_and_give_up_politely(owner, preview_cache_dir, settings):
    # given one place for LibreOffice on this machine, taken by another conversion
    settings.PREVIEW_MAX_CONVERSIONS, settings.PREVIEW_CONVERT_QUEUE_SECONDS = 1, 1
    cache = previews.preview_cache()
    version = _version(owner, docx_of(1), "queued.docx")
    with previews.conversion_slot(cache):
        # when a new office file is opened, then after waiting its turn it says it cannot be shown now
        assert previews.version_preview_open(actor=owner, version=version).refusal == rendering.TOO_COSTLY
    # and once the place is free the same file is drawn (the busy refusal was not remembered)
    assert previews.version_preview_open(actor=owner, version=version).kind == "pages"
