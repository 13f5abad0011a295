"""PDF pages and pictures as PNG images (previews, view-only shares), rendered in a limited child process.

    pdf_page_count(data, limits) -> int
    page_png(data, mime_type, page, limits) -> PNG bytes
    page_png_and_count(data, mime_type, page, limits) -> (PNG bytes, pages)
    office_to_pdf(data, mime_type, limits, profile_template=None) -> PDF bytes (headless LibreOffice)
    text_png(text, width, lines) -> PNG bytes (a text file's first lines, for its thumbnail)

The bytes are untrusted: PDFium and Pillow parse them in a child process (the extraction sandbox,
`indexing.extract.sandbox`) limited in memory, CPU and wall-clock time, so a crafted file cannot
take the web process's memory, hold its thread, or crash it. The output is bounded before anything
is drawn: a page is scaled to `width` pixels wide, or down to `max_height` tall if it is taller than
that, and refused when the result would be thinner than a few pixels or more than `max_pixels`; a
picture with more than `max_source_pixels` is refused before it is decoded (Pillow's decompression
bomb check, made strict). What cannot be shown raises `RenderRefused` (422, "cannot be shown", with
a sentence for people and the technical `reason` in `extra`); a page that does not exist, or a PDF
PDFium cannot open at all, raises `NotFound`.
"""

from __future__ import annotations

import io
import logging
import math
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass

from backend.common.errors import DomainError, NotFound

logger = logging.getLogger(__name__)

PDF = "application/pdf"
# Office types LibreOffice converts, each with the import filter it must parse as (never guessed).
OFFICE_FILTERS = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ("docx", "MS Word 2007 XML"),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ("xlsx", "Calc MS Excel 2007 XML"),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation":
        ("pptx", "Impress MS PowerPoint 2007 XML"),
    "application/msword": ("doc", "MS Word 97"),
    "application/vnd.ms-excel": ("xls", "MS Excel 97"),
    "application/vnd.ms-powerpoint": ("ppt", "MS PowerPoint 97"),
    "application/vnd.oasis.opendocument.text": ("odt", "writer8"),
    "application/vnd.oasis.opendocument.spreadsheet": ("ods", "calc8"),
    "application/vnd.oasis.opendocument.presentation": ("odp", "impress8"),
}
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp", "image/tiff")
# A rendered page narrower or shorter than this is not worth showing (a sliver of a very tall page).
_MIN_SIDE = 16
# Time for the child interpreter to start, on top of its CPU limit.
_START_GRACE_SECONDS = 10



def gettext_noop(message: str) -> str:
    """Marks a message for the catalogue (makemessages knows the name) without importing Django's
    translation machinery into the renderer child; the web interface translates it when shown."""
    return message


TOO_LARGE = gettext_noop("This page cannot be shown: it is too large or too oddly shaped to display.")
UNREADABLE = gettext_noop("This page cannot be shown: the file cannot be read.")
TOO_COSTLY = gettext_noop("This page cannot be shown: displaying it needs more time or memory than allowed.")


class RenderRefused(DomainError):
    """The page or picture cannot be shown; `message` is for people, `extra["reason"]` says why."""

    status_code = 422
    code = "cannot_be_shown"
    default_message = gettext_noop("This page cannot be shown.")


@dataclass(frozen=True)
class RenderLimits:
    width: int = 1100
    max_height: int = 4400
    max_pixels: int = 1100 * 4400
    max_source_pixels: int = 50_000_000
    max_pages: int = 200
    memory_mb: int = 512
    timeout_seconds: int = 20

    @classmethod
    def from_settings(cls) -> RenderLimits:
        from django.conf import settings

        width = settings.SHARE_PAGE_WIDTH
        return cls(width=width, max_height=4 * width, max_pixels=4 * width * width,
                   max_source_pixels=settings.SHARE_IMAGE_MAX_PIXELS, max_pages=settings.SHARE_MAX_PAGES,
                   memory_mb=settings.SHARE_RENDER_MAX_MEMORY_MB, timeout_seconds=settings.SHARE_RENDER_TIMEOUT_SECONDS)


@dataclass(frozen=True)
class ConvertLimits:
    """What one LibreOffice conversion may use. LibreOffice maps far more address space than it touches,
    so its memory limit is larger than the page renderer's."""

    timeout_seconds: int = 60
    memory_mb: int = 2048
    max_pdf_bytes: int = 64 * 1024 * 1024
    soffice: str = "soffice"

    @classmethod
    def from_settings(cls) -> ConvertLimits:
        from django.conf import settings

        return cls(timeout_seconds=settings.PREVIEW_CONVERT_TIMEOUT_SECONDS,
                   memory_mb=settings.PREVIEW_CONVERT_MAX_MEMORY_MB,
                   max_pdf_bytes=settings.PREVIEW_CONVERT_MAX_PDF_MB * 1024 * 1024,
                   soffice=settings.PREVIEW_SOFFICE)


# --- the web process's side ------------------------------------------------------------------------


def _in_child(function: str, data: bytes, params: dict, limits: RenderLimits) -> tuple[dict, bytes]:
    from indexing.extract.sandbox import ChildFailed, ChildLimits, run_in_child

    child = ChildLimits(memory_mb=limits.memory_mb, cpu_seconds=max(1, math.ceil(limits.timeout_seconds)),
                        wall_seconds=limits.timeout_seconds + _START_GRACE_SECONDS,
                        output_bytes=16 * limits.max_pixels + 1024 * 1024)
    try:
        meta, blob = run_in_child(f"{__name__}:{function}", data, {**params, "limits": asdict(limits)}, child)
    except ChildFailed as exc:
        logger.info("rendering stopped: %s", exc)
        if exc.kind in ("memory", "time", "output"):
            raise RenderRefused(TOO_COSTLY, reason=f"{exc.kind}: {exc.detail} (limits: {limits.memory_mb} MB, "
                                                   f"{limits.timeout_seconds} s)") from None
        raise RenderRefused(UNREADABLE, reason=f"{exc.kind}: {exc.detail}") from None
    status = meta.get("status")
    if status == "no_page":
        raise NotFound()
    if status == "too_large":
        raise RenderRefused(TOO_LARGE, reason=str(meta.get("reason", "")))
    if status != "ok":
        raise RenderRefused(UNREADABLE, reason=str(meta.get("reason", "")))
    return meta, blob


def pdf_page_count(data: bytes, limits: RenderLimits) -> int:
    """How many pages of the PDF are shown (at most `limits.max_pages`)."""
    meta, _ = _in_child("count_pages_in_child", data, {}, limits)
    return min(int(meta["pages"]), limits.max_pages)


def page_png(data: bytes, mime_type: str, page: int, limits: RenderLimits) -> bytes:
    """Page `page` (from 1) of a PDF, or a picture (page 1), as a PNG within the limits."""
    return page_png_and_count(data, mime_type, page, limits)[0]


def page_png_and_count(data: bytes, mime_type: str, page: int, limits: RenderLimits) -> tuple[bytes, int]:
    """Page `page` of a PDF (or a picture, page 1) as a PNG, and how many pages are shown: one child."""
    if mime_type != PDF and page != 1:
        raise NotFound()
    function = "render_pdf_page_in_child" if mime_type == PDF else "render_image_in_child"
    meta, png = _in_child(function, data, {"page": page}, limits)
    if not png.startswith(b"\x89PNG\r\n\x1a\n"):
        raise RenderRefused(UNREADABLE, reason="the renderer gave no image")
    return png, min(int(meta.get("pages", 1)), limits.max_pages)


def office_to_pdf(data: bytes, mime_type: str, limits: ConvertLimits, *, profile_template: str | None = None,
                  work_root: str | None = None) -> bytes:
    """An office file converted to PDF by headless LibreOffice in a limited child process.

    The conversion gets a fresh directory under `work_root` (removed afterwards, whatever happened) with
    its input, its output and its LibreOffice profile: a copy of `profile_template` when one is given (a
    first start of LibreOffice with an empty profile costs seconds), else an empty one."""
    from indexing.extract.sandbox import ChildFailed, ChildLimits, run_in_child

    if mime_type not in OFFICE_FILTERS:
        raise NotFound()
    extension, import_filter = OFFICE_FILTERS[mime_type]
    work = tempfile.mkdtemp(prefix="dossier-convert-", dir=work_root)
    try:
        if profile_template and os.path.isdir(profile_template):
            shutil.copytree(profile_template, os.path.join(work, "profile"), symlinks=True)
        child = ChildLimits(memory_mb=limits.memory_mb, cpu_seconds=limits.timeout_seconds,
                            wall_seconds=limits.timeout_seconds + _START_GRACE_SECONDS,
                            output_bytes=limits.max_pdf_bytes)
        params = {"work": work, "extension": extension, "filter": import_filter, "soffice": limits.soffice,
                  "timeout": limits.timeout_seconds}
        try:
            meta, pdf = run_in_child(f"{__name__}:convert_office_in_child", data, params, child)
        except ChildFailed as exc:
            logger.info("conversion stopped: %s", exc)
            if exc.kind in ("memory", "time", "output"):
                raise RenderRefused(TOO_COSTLY, reason=f"LibreOffice {exc.kind}: {exc.detail} (limits: "
                                                       f"{limits.memory_mb} MB, {limits.timeout_seconds} s)") from None
            raise RenderRefused(UNREADABLE, reason=f"LibreOffice {exc.kind}: {exc.detail}") from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if meta.get("status") != "ok" or not pdf.startswith(b"%PDF"):
        raise RenderRefused(UNREADABLE, reason=str(meta.get("reason", "LibreOffice wrote no PDF")))
    return pdf


def make_profile_template(target: str, limits: ConvertLimits, *, work_root: str | None = None) -> None:
    """A LibreOffice profile at `target`, made by converting a spreadsheet of our own (never a user's file,
    so nothing a document does can end up in the profile every later conversion starts from)."""
    from indexing.extract.sandbox import ChildFailed, ChildLimits, run_in_child

    work = tempfile.mkdtemp(prefix="dossier-profile-", dir=work_root)
    try:
        child = ChildLimits(memory_mb=limits.memory_mb, cpu_seconds=limits.timeout_seconds,
                            wall_seconds=limits.timeout_seconds + _START_GRACE_SECONDS, output_bytes=limits.max_pdf_bytes)
        params = {"work": work, "extension": "csv", "filter": "Text - txt - csv (StarCalc)", "soffice": limits.soffice,
                  "timeout": limits.timeout_seconds}
        try:
            meta, _ = run_in_child(f"{__name__}:convert_office_in_child", b"Dossier,1\n", params, child)
        except ChildFailed as exc:
            raise RenderRefused(TOO_COSTLY, reason=f"LibreOffice {exc.kind}: {exc.detail}") from None
        if meta.get("status") != "ok":
            raise RenderRefused(UNREADABLE, reason=str(meta.get("reason", "")))
        try:
            os.replace(os.path.join(work, "profile"), target)
        except OSError:  # made meanwhile by another process: theirs is as good
            pass
    finally:
        shutil.rmtree(work, ignore_errors=True)


def text_png(text: str, *, width: int, lines: int = 24, font_path: str | None = None) -> bytes:
    """The first `lines` lines of a text (already decoded and bounded by the caller) drawn as a page, for a
    text file's thumbnail. Drawn in this process: the input is our own decoded text, a few KB at most."""
    from PIL import Image, ImageDraw, ImageFont

    size = max(8, width // 28)
    try:
        font = ImageFont.truetype(font_path, size) if font_path else ImageFont.load_default()
    except OSError:
        font = ImageFont.load_default()
    height = int(width * 1.414)
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    margin, step = size, int(size * 1.35)
    columns = max(8, (width - 2 * margin) * 2 // size)
    y = margin
    for line in text.splitlines()[:lines]:
        if y + step > height - margin:
            break
        draw.text((margin, y), line.expandtabs(4)[:columns], fill=40, font=font)
        y += step
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()


# --- the child's side (imports no Django; runs under the sandbox's limits) -------------------------


def _fit(width_pt: float, height_pt: float, limits: dict) -> float | dict:
    """The scale that fits the page into width x max_height, or the refusal."""
    if not (math.isfinite(width_pt) and math.isfinite(height_pt)) or width_pt <= 0 or height_pt <= 0:
        return {"status": "unreadable", "reason": f"the page has no usable size ({width_pt} x {height_pt} pt)"}
    scale = limits["width"] / width_pt
    if height_pt * scale > limits["max_height"]:
        scale = limits["max_height"] / height_pt
    pixels_wide, pixels_high = width_pt * scale, height_pt * scale
    if min(pixels_wide, pixels_high) < _MIN_SIDE or pixels_wide * pixels_high > limits["max_pixels"]:
        return {"status": "too_large",
                "reason": f"a {width_pt:g} x {height_pt:g} pt page would be {pixels_wide:.1f} x {pixels_high:.1f} px"}
    return scale


def _open_pdf(data: bytes):
    import pypdfium2

    try:
        return pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError:
        return None


def count_pages_in_child(data: bytes, params: dict) -> tuple[dict, bytes]:
    pdf = _open_pdf(data)
    if pdf is None:
        return {"status": "no_page"}, b""
    return {"status": "ok", "pages": len(pdf)}, b""


def render_pdf_page_in_child(data: bytes, params: dict) -> tuple[dict, bytes]:
    import pypdfium2

    limits, number = params["limits"], params["page"]
    pdf = _open_pdf(data)
    if pdf is None or not 1 <= number <= min(len(pdf), limits["max_pages"]):
        return {"status": "no_page"}, b""
    try:
        page = pdf[number - 1]
        scale = _fit(page.get_width(), page.get_height(), limits)
        if isinstance(scale, dict):
            return scale, b""
        bitmap = page.render(scale=scale)
        if bitmap.width > limits["width"] + 1 or bitmap.height > limits["max_height"] + 1:
            return {"status": "too_large", "reason": f"PDFium drew {bitmap.width} x {bitmap.height} px"}, b""
        image = bitmap.to_pil()
    except pypdfium2.PdfiumError as exc:
        return {"status": "unreadable", "reason": f"PDFium: {exc}"}, b""
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return {"status": "ok", "pages": len(pdf)}, out.getvalue()


def render_image_in_child(data: bytes, params: dict) -> tuple[dict, bytes]:
    import struct
    import warnings

    from PIL import Image, ImageOps

    limits = params["limits"]
    Image.MAX_IMAGE_PIXELS = limits["max_source_pixels"]
    with warnings.catch_warnings():
        # Pillow only warns between MAX_IMAGE_PIXELS and twice that; here the limit is the limit.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            if width * height > limits["max_source_pixels"]:
                return {"status": "too_large", "reason": f"a {width} x {height} px picture"}, b""
            # EXIF orientations 5-8 turn the picture a quarter: fit the box turned the same way
            orientation = image.getexif().get(0x0112, 1)
            box = (limits["width"], limits["max_height"])
            if orientation in (5, 6, 7, 8):
                box = (limits["max_height"], limits["width"])
            image.draft("RGB", box)  # JPEG: decode at a reduced size
            image.thumbnail(box)
            if orientation != 1:
                image = ImageOps.exif_transpose(image)
            if image.mode not in ("RGB", "RGBA", "L"):
                image = image.convert("RGBA")
            out = io.BytesIO()
            image.save(out, format="PNG", optimize=False)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            return {"status": "too_large", "reason": str(exc)}, b""
        except (OSError, SyntaxError, ValueError, EOFError, struct.error, IndexError, KeyError, TypeError,
                ZeroDivisionError) as exc:
            # Pillow's ways of saying "truncated", "not an image" or "broken header"
            return {"status": "unreadable", "reason": f"{type(exc).__name__}: {exc}"}, b""
    return {"status": "ok"}, out.getvalue()


def convert_office_in_child(data: bytes, params: dict) -> tuple[dict, bytes]:
    """LibreOffice converts `data` to PDF in `params["work"]`; it runs in this child's process group, under
    its limits. Past `timeout` seconds the whole group is killed (LibreOffice's launcher, soffice.bin, this
    child), which the parent reads as "time"."""
    import signal
    import subprocess

    work = params["work"]
    source = os.path.join(work, f"document.{params['extension']}")
    with open(source, "wb") as out:
        out.write(data)
    del data
    command = [params["soffice"], "--headless", "--invisible", "--norestore", "--nologo", "--nolockcheck",
               "--nodefault", "--nofirststartwizard", f"-env:UserInstallation=file://{work}/profile",
               f"--infilter={params['filter']}", "--convert-to", "pdf", "--outdir", os.path.join(work, "out"),
               source]
    environment = {**os.environ, "HOME": work, "SAL_USE_VCLPLUGIN": "svp", "TMPDIR": work}
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, cwd=work, env=environment)
    try:
        _, complaint = process.communicate(timeout=params["timeout"])
    except subprocess.TimeoutExpired:
        os.killpg(os.getpgrp(), signal.SIGKILL)  # LibreOffice and its launcher, and this child with them
        raise
    result = os.path.join(work, "out", "document.pdf")
    if not os.path.exists(result):
        tail = complaint.decode("utf-8", "replace").strip()[-300:]
        return {"status": "unreadable", "reason": f"LibreOffice wrote no PDF (exit {process.returncode}): {tail}"}, b""
    with open(result, "rb") as pdf:
        return {"status": "ok"}, pdf.read()
