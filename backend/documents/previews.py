"""Previews of a version for every common type, drawn on the server as page images, cached per version.

    preview_kind(mime_type) -> "pages" | "text" | None
    version_preview_open(actor=, version=) -> Preview       what the preview panel shows (pages, text, a refusal)
    version_preview_page(actor=, version=, page=, request_meta=) -> PNG
                                                            one page with the viewer's mark; audited as a preview
    version_thumbnail(actor=, version=) -> PNG               the first page, small; not audited (see below)

What is drawn: PDF pages (PDFium), office files (DOCX, XLSX, PPTX, the older binary formats and
OpenDocument) converted to PDF by headless LibreOffice first, pictures (Pillow, pixel-capped, turned
upright by EXIF), and text files (shown as text; their thumbnail is their first lines drawn as a page).
All parsing of the file runs in a limited child process (`backend.documents.rendering`).

Access: seeing a preview needs the right to read the document (the "read" grant level, between view,
which shows metadata only, and download): the bytes of the file never leave the server, only pages drawn
from them. Each page image sent carries its viewer's mark (backend/documents/watermark.py: name and
account, time, address, classification and a code that finds the audit event), drawn on each response
over the cached, unmarked page. Each page image sent, and each text shown, is recorded as
`document.version.previewed` (never as a download), the page's event with its mark's code. A reader who
may not download a text file sees its first lines drawn as one marked page, not its text. A thumbnail is not recorded: it is the
first page a few dozen pixels wide, unreadable, shown beside the title in lists and search results that
are themselves audited reads; recording it would put twenty rows in the trail for every list shown.

The cache: rendered pages, thumbnails, the PDF LibreOffice made and the page count live in a directory
(`PREVIEW_CACHE_DIR`, under the data directory by default) keyed by the version's content hash — a
version's bytes never change, so its pictures never go stale. The directory is held under
`PREVIEW_CACHE_MAX_MB`: past it, the least recently read files go first. A cached page is read without
starting any child. A version being drawn is locked (an exclusive `flock` on a file per content hash),
so two requests for the same uncached preview run LibreOffice once: the second waits, then reads the
first one's result. A file that cannot be drawn is remembered for `PREVIEW_REFUSAL_SECONDS`.
"""

from __future__ import annotations

import fcntl
import io
import json
import logging
import os
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction

from backend.access.policy import Action, can
from backend.access.services import require
from backend.audit import services as audit
from backend.common.errors import NotFound
from backend.documents import marks, rendering, watermark
from backend.documents.audit_events import DOCUMENT_VERSION_PREVIEWED
from backend.documents.models import DocumentVersion
from backend.documents.rendering import RenderRefused, gettext_noop
from backend.documents.store import object_store

logger = logging.getLogger(__name__)

TEXT_TYPES = ("text/plain", "text/csv")
# A text file drawn as a page (for a reader who may not download it) shows its first lines.
TEXT_PAGE_LINES = 60
FILE_TOO_LARGE = gettext_noop("This file cannot be shown: it is too large to preview.")
# The cache is walked to enforce its bound at most this often per process (a walk reads every entry).
_TRIM_EVERY_SECONDS = 10
_last_trim: dict[Path, float] = {}
# A thumbnail is at most this much taller than wide (a long page shows its top).
_THUMBNAIL_RATIO = 1.414
# Fonts for drawing a text file's first lines, CJK first (Debian's fonts-noto-cjk, fonts-wqy-zenhei).
_TEXT_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
)


def preview_kind(mime_type: str) -> str | None:
    """How a type is previewed: as page images, as text, or not at all (None)."""
    if mime_type == rendering.PDF or mime_type in rendering.OFFICE_FILTERS or mime_type in rendering.IMAGE_TYPES:
        return "pages"
    if mime_type in TEXT_TYPES:
        return "text"
    return None


@dataclass(frozen=True)
class Preview:
    version: DocumentVersion
    # "pages" (page images), "text", "refused" (cannot be shown: `refusal` says why) or "none" (not a type we show)
    kind: str
    pages: int = 0
    text: str = ""
    truncated: bool = False
    refusal: str = ""


# --- the cache -----------------------------------------------------------------------------------


class PreviewCache:
    """Files under `root`, named by a version's content hash; bounded to `max_bytes`, least recently read first out."""

    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root = Path(root)
        self.max_bytes = max_bytes

    def _path(self, sha256: str, name: str) -> Path:
        return self.root / sha256[:2] / sha256 / name

    def read(self, sha256: str, name: str) -> bytes | None:
        path = self._path(sha256, name)
        try:
            data = path.read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            return None
        try:
            os.utime(path)  # recently read: kept longest
        except OSError:
            pass
        return data

    def write(self, sha256: str, name: str, data: bytes) -> None:
        path = self._path(sha256, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".tmp-", delete=False) as out:
            out.write(data)
        os.replace(out.name, path)  # readers see the whole file or none
        now = time.monotonic()
        if now - _last_trim.get(self.root, -_TRIM_EVERY_SECONDS) >= _TRIM_EVERY_SECONDS:
            _last_trim[self.root] = now
            self.trim()

    def size(self) -> int:
        return sum(entry.stat().st_size for entry in self._entries())

    def _entries(self):
        for shard in _scandir(self.root):
            if shard.is_dir() and len(shard.name) == 2:
                for version in _scandir(shard.path):
                    for entry in _scandir(version.path):
                        if entry.is_file():
                            yield entry

    def trim(self) -> None:
        """Remove the least recently read files until the cache is within 90 % of its bound."""
        entries = [(entry.stat().st_mtime, entry.stat().st_size, entry.path) for entry in self._entries()]
        total = sum(size for _, size, _ in entries)
        if total <= self.max_bytes:
            return
        for _, size, path in sorted(entries):
            if total <= self.max_bytes * 0.9:
                break
            try:
                os.unlink(path)
                total -= size
            except FileNotFoundError:
                pass

    @contextmanager
    def lock(self, name: str):
        """An exclusive lock across threads and processes of this machine (one flock per open file)."""
        locks = self.root / "locks"
        locks.mkdir(parents=True, exist_ok=True)
        with open(locks / f"{name}.lock", "a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _scandir(path):
    try:
        with os.scandir(path) as entries:
            yield from list(entries)
    except (FileNotFoundError, NotADirectoryError):
        return


def preview_cache() -> PreviewCache:
    return PreviewCache(Path(settings.PREVIEW_CACHE_DIR), settings.PREVIEW_CACHE_MAX_MB * 1024 * 1024)


# --- drawing, through the cache -----------------------------------------------------------------------


def _source(version: DocumentVersion) -> bytes:
    if version.size > settings.PREVIEW_MAX_SOURCE_MB * 1024 * 1024:
        raise RenderRefused(FILE_TOO_LARGE, reason=f"{version.size} bytes")
    return b"".join(object_store().iter_verified(version.object_key, sha256=version.sha256, size=version.size))


def _remembered_refusal(cache: PreviewCache, sha256: str) -> RenderRefused | None:
    raw = cache.read(sha256, "refused.json")
    if raw is None:
        return None
    known = json.loads(raw)
    if time.time() - known.get("at", 0) > settings.PREVIEW_REFUSAL_SECONDS:
        return None
    return RenderRefused(known["message"], reason=known.get("reason", ""))


def _remember_refusal(cache: PreviewCache, sha256: str, refused: RenderRefused) -> None:
    cache.write(sha256, "refused.json", json.dumps(
        {"message": refused.message, "reason": str(refused.extra.get("reason", "")), "at": time.time()}).encode())


def _profile_template(cache: PreviewCache) -> str | None:
    """A LibreOffice profile made once (from a file of our own), copied for each conversion: a first start
    with an empty profile costs LibreOffice seconds."""
    template = cache.root / "libreoffice-profile"
    if template.is_dir():
        return str(template)
    with cache.lock("libreoffice-profile"):
        if not template.is_dir():
            try:
                rendering.make_profile_template(str(template), rendering.ConvertLimits.from_settings(),
                                                work_root=str(_work_root(cache)))
            except RenderRefused as exc:
                logger.warning("no LibreOffice profile template: %s", exc.extra.get("reason"))
                return None
    return str(template)


def _work_root(cache: PreviewCache) -> Path:
    """Where conversions run. Each removes its own directory; one left by a process that was killed
    meanwhile is removed here once it is well past any conversion's time."""
    import shutil

    work = cache.root / "work"
    work.mkdir(parents=True, exist_ok=True)
    stale = time.time() - 2 * (settings.PREVIEW_CONVERT_TIMEOUT_SECONDS + 60)
    for entry in _scandir(work):
        try:
            if entry.stat(follow_symlinks=False).st_mtime < stale:
                shutil.rmtree(entry.path, ignore_errors=True)
        except FileNotFoundError:
            pass
    return work


@contextmanager
def conversion_slot(cache: PreviewCache):
    """One of PREVIEW_MAX_CONVERSIONS places for a LibreOffice run on this machine (a list of twenty new
    office files must not start twenty at once). Waits up to PREVIEW_CONVERT_QUEUE_SECONDS for a place,
    then refuses as too costly for now (not remembered: the next request tries again)."""
    slots = cache.root / "locks"
    slots.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + settings.PREVIEW_CONVERT_QUEUE_SECONDS
    while True:
        for number in range(max(1, settings.PREVIEW_MAX_CONVERSIONS)):
            handle = open(slots / f"conversion-{number}.lock", "a+b")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                continue
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
                handle.close()
            return
        if time.monotonic() >= deadline:
            raise RenderRefused(rendering.TOO_COSTLY, reason="every conversion place stayed busy")
        time.sleep(0.1)


def _pdf(version: DocumentVersion, cache: PreviewCache) -> bytes:
    """The version as a PDF: itself, or what LibreOffice made of it (cached). Call under the version's lock."""
    if version.mime_type == rendering.PDF:
        return _source(version)
    made = cache.read(version.sha256, "document.pdf")
    if made is not None:
        return made
    source, template = _source(version), _profile_template(cache)
    with conversion_slot(cache):
        try:
            made = rendering.office_to_pdf(source, version.mime_type, rendering.ConvertLimits.from_settings(),
                                           profile_template=template, work_root=str(_work_root(cache)))
        except RenderRefused as refused:
            _remember_refusal(cache, version.sha256, refused)
            raise
    cache.write(version.sha256, "document.pdf", made)
    return made


def _page_name(number: int, limits: rendering.RenderLimits) -> str:
    return f"page-{number}-{limits.width}.png"


def _page_count(version: DocumentVersion, cache: PreviewCache) -> int | None:
    raw = cache.read(version.sha256, "pages.json")
    return None if raw is None else int(json.loads(raw)["pages"])


def _text_page(version: DocumentVersion, number: int) -> tuple[bytes, int]:
    """A text file's first lines drawn as its one page (for readers who may not have its text), cached."""
    if number != 1:
        raise NotFound()
    cache, width = preview_cache(), rendering.RenderLimits.from_settings().width
    name = f"text-page-{width}.png"
    png = cache.read(version.sha256, name)
    if png is None:
        text, _ = _text(version)
        png = rendering.text_png(text[:20000], width=width, lines=TEXT_PAGE_LINES, font_path=_text_font())
        cache.write(version.sha256, name, png)
    return png, 1


def _page(version: DocumentVersion, number: int) -> tuple[bytes, int]:
    """Page `number` as a PNG and the number of pages, drawn once per version and width, then read from the cache."""
    if version.mime_type in TEXT_TYPES:
        return _text_page(version, number)
    cache, limits = preview_cache(), rendering.RenderLimits.from_settings()
    png, pages = cache.read(version.sha256, _page_name(number, limits)), _page_count(version, cache)
    if png is not None and pages is not None:
        return png, pages
    refused = _remembered_refusal(cache, version.sha256)
    if refused is not None:
        raise refused
    with cache.lock(version.sha256):
        # whoever held the lock before us may have drawn it
        png, pages = cache.read(version.sha256, _page_name(number, limits)), _page_count(version, cache)
        if png is not None and pages is not None:
            return png, pages
        if pages is not None and not 1 <= number <= pages:
            raise NotFound()
        if version.mime_type in rendering.IMAGE_TYPES:
            png, pages = rendering.page_png_and_count(_source(version), version.mime_type, number, limits)
        else:
            png, pages = rendering.page_png_and_count(_pdf(version, cache), rendering.PDF, number, limits)
        png = watermark.compact_page_png(png)  # a grey page as one channel: quicker to mark on every read
        cache.write(version.sha256, "pages.json", json.dumps({"pages": pages}).encode())
        cache.write(version.sha256, _page_name(number, limits), png)
    return png, pages


def _text(version: DocumentVersion) -> tuple[str, bool]:
    """The text of a text file (its first PREVIEW_TEXT_MAX_BYTES), decoded, and whether it was cut short."""
    from indexing.extract.decoding import decode_text

    limit = settings.PREVIEW_TEXT_MAX_BYTES
    reader = object_store().open(version.object_key, offset=0, length=limit)
    try:
        data = reader.read()
    finally:
        reader.close()
    truncated = version.size > limit
    if truncated and b"\n" in data:
        data = data[: data.rindex(b"\n")]  # never decode half a character
    text, _encoding = decode_text(data)
    return text, truncated


def _thumbnail_from_page(png: bytes, width: int) -> bytes:
    """Our own page image, scaled down (drawn by the renderer, bounded in size: safe to open here)."""
    from PIL import Image

    image = Image.open(io.BytesIO(png))
    image.load()
    height = max(1, round(image.height * width / image.width))
    image = image.resize((width, height), Image.Resampling.LANCZOS)
    tallest = int(width * _THUMBNAIL_RATIO)
    if height > tallest:
        image = image.crop((0, 0, width, tallest))
    if image.mode not in ("RGB", "L"):
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(image, mask=image.getchannel("A") if "A" in image.getbands() else None)
        image = background
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _text_font() -> str | None:
    return next((path for path in _TEXT_FONTS if os.path.exists(path)), None)


# --- the services ----------------------------------------------------------------------------------


def page_count_checked(version: DocumentVersion) -> int:
    """How many pages a version has (drawing its first page). For callers that checked access and audit the
    read themselves, as the portal's view-only shares do (like `downloads.version_stream`)."""
    return _page(version, 1)[1]


def page_png_checked(version: DocumentVersion, page: int) -> bytes:
    """Page `page` of a version as a PNG, through the cache; the caller checked access (see above)."""
    if preview_kind(version.mime_type) != "pages" or page < 1:
        raise NotFound()
    return _page(version, page)[0]


def version_preview_open(*, actor, version: DocumentVersion) -> Preview:
    """What the preview panel shows. Pages: their number (drawing the first page, so that it is ready);
    text: the text, recorded as a preview (a reader who may not download it: its first lines as a page).
    Needs the right to read the document."""
    require(actor=actor, action=Action.READ, obj=version.document)
    kind = preview_kind(version.mime_type)
    if kind is None:
        return Preview(version=version, kind="none")
    if kind == "text" and can(actor, Action.DOWNLOAD, version.document):
        text, truncated = _text(version)
        audit.record(DOCUMENT_VERSION_PREVIEWED, actor=actor, target=version.document,
                     detail={"version": version.number, "sha256": version.sha256, "shown": "text"})
        return Preview(version=version, kind="text", text=text, truncated=truncated)
    try:
        _, pages = _page(version, 1)
    except RenderRefused as refused:
        return Preview(version=version, kind="refused", refusal=refused.message)
    return Preview(version=version, kind="pages", pages=pages)


def version_preview_page(*, actor, version: DocumentVersion, page: int, request_meta=None) -> bytes:
    """Page `page` (from 1) as a PNG with the viewer's mark across it, recorded as a preview of that page
    (the event carries the mark's code, and the code finds the event: backend/documents/marks.py).
    `request_meta`: {"address": the client's address} (by default the request's, as the audit trail has it).
    RenderRefused (422) when it cannot be shown, NotFound for a page that does not exist or a type without
    pages (a text file has one page, its first lines)."""
    require(actor=actor, action=Action.READ, obj=version.document)
    if preview_kind(version.mime_type) is None or page < 1:
        raise NotFound()
    png, _ = _page(version, page)
    return marked_page(actor=actor, version=version, png=png, request_meta=request_meta,
                       purpose="preview", event_type=DOCUMENT_VERSION_PREVIEWED, target=version.document,
                       detail={"version": version.number, "sha256": version.sha256, "page": page})


def marked_page(*, actor, version: DocumentVersion, png: bytes, request_meta, purpose: str, event_type: str,
                target, detail: dict, customer_id: int | None = None) -> bytes:
    """`png` (a page of `version`, drawn by us) with a new mark for `actor`: the mark and the audit event of
    the view (`event_type` with `detail` and the mark's code) commit together; then the mark is drawn."""
    with transaction.atomic():
        # The version's row, locked: a deletion racing this view either waits for the mark to commit or has
        # already removed the row, and then the page is simply not found (never a half-made mark).
        version = (DocumentVersion.objects.select_for_update(of=("self",)).select_related("document")
                   .filter(pk=version.pk).first())
        if version is None:
            raise NotFound()
        mark = marks.issue_mark(viewer=actor, version=version, request_meta=request_meta, purpose=purpose)
        event = audit.record(event_type, actor=actor, target=target, customer_id=customer_id,
                             detail={**detail, "mark": mark.code})
        marks.bind_mark(mark, event)
    return watermark.watermark_png(png, mark)


def version_thumbnail(*, actor, version: DocumentVersion) -> bytes:
    """The first page, PREVIEW_THUMBNAIL_WIDTH pixels wide (a text file: its first lines). Not recorded
    (see the module's docstring). RenderRefused when the file cannot be shown, NotFound for other types."""
    require(actor=actor, action=Action.READ, obj=version.document)
    return _thumbnail(version)


def _thumbnail(version: DocumentVersion) -> bytes:
    kind = preview_kind(version.mime_type)
    if kind is None:
        raise NotFound()
    cache, width = preview_cache(), settings.PREVIEW_THUMBNAIL_WIDTH
    name = f"thumbnail-{width}.png"
    cached = cache.read(version.sha256, name)
    if cached is not None:
        return cached
    if kind == "text":
        text, _ = _text(version)
        thumbnail = rendering.text_png(text[:8000], width=width, lines=24, font_path=_text_font())
    else:
        thumbnail = _thumbnail_from_page(_page(version, 1)[0], width)
    cache.write(version.sha256, name, thumbnail)
    return thumbnail


# --- drawing ahead of the first reader ------------------------------------------------------------------


def preview_warm(*, version_id: int) -> str:
    """Draw a new version's first page and thumbnail into the cache (a background task after an upload), so
    that the first person to open it waits for no conversion. Shows nothing to anyone: not audited."""
    version = DocumentVersion.objects.filter(pk=version_id).first()
    if version is None or preview_kind(version.mime_type) is None:
        return "nothing to draw"
    try:
        if preview_kind(version.mime_type) == "pages":
            _page(version, 1)
        _thumbnail(version)
    except (RenderRefused, NotFound) as refused:
        return f"cannot be shown: {refused.extra.get('reason', '')}"
    return "drawn"


def preview_warm_later(version: DocumentVersion) -> None:
    """After the upload commits, queue `preview_warm` — only with a task queue (a broker): without one, tasks
    run in the request, and an upload should not wait for LibreOffice."""
    if settings.CELERY_TASK_ALWAYS_EAGER or preview_kind(version.mime_type) is None:
        return
    from django.db import transaction

    from backend.documents.tasks import preview_warm as task

    version_id = version.pk

    def queue() -> None:
        try:
            task.delay(version_id)
        except Exception:  # noqa: BLE001 - broker down: the upload stands; the first reader draws the page
            logger.warning("could not queue the preview of version %s; it is drawn when first read", version_id,
                           exc_info=True)

    transaction.on_commit(queue)
