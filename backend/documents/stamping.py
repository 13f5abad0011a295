"""Stamped downloads: a confidential file leaves Dossier as a PDF with its reader's mark on every page.

    stamp_required(version) -> bool                     does this version's classification need a stamp?
    stamp_source(version) -> StampSource                the PDF (or picture) to stamp; refuses other types
    stamp_pdf(source, mark) -> StampedCopy              the stamped copy, made in a limited child process

Which downloads are stamped: those of documents whose classification is in
`STAMPED_DOWNLOAD_CLASSIFICATIONS` (default confidential and secret), whoever downloads them (staff pages,
the API, portal shares; the staff preview frame too, since it sends the file's bytes). The mark is the
viewer's (`backend.documents.marks.ViewerMark`: name and account, time, address, classification and the
code that finds the audit event), drawn like the watermark of the view-only pages: tiled, turned 30°,
semi-transparent, over the whole page, and once more as a small upright line at the foot of each page
(which is also the text a PDF reader's search and copy find).

How: one overlay per page size (reportlab, the CJK TrueType font Debian's fonts-wqy-zenhei installs,
embedded as a subset; Noto CJK has PostScript outlines reportlab cannot embed) is added to the PDF once
as a form XObject, and every page's content is wrapped (q … Q) and followed by a call of that form (pypdf).
No page's own content is decoded or rewritten, so a 100-page PDF is stamped in well under a second.
The PDF is untrusted input: it is parsed in a child process (`indexing.extract.sandbox`) with memory,
CPU, wall-clock and output limits, like page rendering.

Other types: office files are stamped as the PDF LibreOffice made of them for their previews (read from
the preview cache, never converted twice), pictures as a one-page PDF drawn in the same child. Any other
type, or any type at all when `STAMPED_DOWNLOAD_OTHER_TYPES` is "refuse", is refused with a message that
says the document can be read on screen (its view-only copy). A file that cannot be stamped (damaged,
password-protected, too large, too slow) is refused the same way, never sent unstamped.

Each stamped copy is made for one download and never stored: its mark names that download's time,
address and code (a copy cached per viewer would show an old time and code). What is expensive and
the same for every reader, LibreOffice's conversion, is cached by the previews. The original object in
the store is only read.
"""

from __future__ import annotations

import hashlib
import io
import logging
import math
from dataclasses import dataclass

from backend.common.errors import DomainError

logger = logging.getLogger(__name__)

PDF = "application/pdf"
# Time for the child interpreter to start, on top of its CPU limit.
_START_GRACE_SECONDS = 10
# The name of the mark's form XObject on each page (one per page size: a suffix is added).
_FORM_NAME = "/DossierMark"
# Fonts, best first: TrueType CJK fonts reportlab can embed (Debian: fonts-wqy-zenhei, fonts-wqy-microhei).
CJK_FONT_CANDIDATES: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),
)


def gettext_noop(message: str) -> str:
    """Marks a message for the catalogue without importing Django's translation machinery into the child."""
    return message


CANNOT_STAMP_TYPE = gettext_noop(
    "This document can only be downloaded as a stamped PDF, and a file of this type cannot be stamped. "
    "Read it on screen instead: a view-only copy is available.")
CANNOT_STAMP_FILE = gettext_noop(
    "This document can only be downloaded as a stamped PDF, and this file could not be stamped (it may be "
    "damaged, protected by a password or too large). Read it on screen instead: a view-only copy is available.")
NO_DIRECT_LINK = gettext_noop(
    "This document is stamped with its reader's mark when downloaded, so it has no direct download link. "
    "Download it through Dossier instead.")


class StampRefused(DomainError, status=409, code="stamped_download_refused", message=CANNOT_STAMP_FILE):
    """The download needs a stamp and none can be made (`extra["reason"]` says why, for the trail)."""


class PresignRefused(DomainError, status=409, code="stamped_download_no_direct_link", message=NO_DIRECT_LINK):
    """A direct (presigned) store URL would send the original unstamped: refused for stamped classifications."""


@dataclass(frozen=True)
class StampLimits:
    timeout_seconds: int = 60
    memory_mb: int = 1024
    max_bytes: int = 100 * 1024 * 1024
    max_pages: int = 2000
    max_source_pixels: int = 50_000_000

    @classmethod
    def from_settings(cls) -> StampLimits:
        from django.conf import settings

        return cls(timeout_seconds=settings.STAMPED_DOWNLOAD_TIMEOUT_SECONDS,
                   memory_mb=settings.STAMPED_DOWNLOAD_MAX_MEMORY_MB,
                   max_bytes=settings.STAMPED_DOWNLOAD_MAX_MB * 1024 * 1024,
                   max_pages=settings.STAMPED_DOWNLOAD_MAX_PAGES,
                   max_source_pixels=settings.SHARE_IMAGE_MAX_PIXELS)


@dataclass(frozen=True)
class StampSource:
    """What is stamped: PDF bytes, or a picture's bytes drawn as a one-page PDF first (`kind` "image")."""

    data: bytes
    kind: str  # "pdf" or "image"
    converted_from: str = ""  # the version's type when it is not the PDF itself


@dataclass(frozen=True)
class StampedCopy:
    data: bytes
    sha256: str
    pages: int
    mark_code: str
    converted_from: str = ""

    @property
    def size(self) -> int:
        return len(self.data)


# --- the web process's side ------------------------------------------------------------------------


def stamp_required(version) -> bool:
    """Whether downloads of `version` are stamped (its document's classification is in the setting)."""
    from django.conf import settings

    return version.document.classification in set(settings.STAMPED_DOWNLOAD_CLASSIFICATIONS)


def stamp_filename(filename: str) -> str:
    """The stamped copy's name: the original's, ending in .pdf."""
    stem, dot, extension = filename.rpartition(".")
    if dot and extension.lower() == "pdf":
        return filename
    return f"{stem if dot and stem else filename}.pdf"


def stamp_source(version) -> StampSource:
    """The bytes to stamp for `version`: a PDF itself; an office file's PDF from the preview cache (made by
    LibreOffice once, for previews and stamps alike); a picture. Other types, or any non-PDF when the
    setting says "refuse", raise StampRefused with the "read it on screen" message."""
    from django.conf import settings

    from backend.common.errors import NotFound
    from backend.documents import rendering
    from backend.documents.rendering import RenderRefused

    mime = version.mime_type
    limits = StampLimits.from_settings()
    if mime != PDF and settings.STAMPED_DOWNLOAD_OTHER_TYPES != "convert":
        raise StampRefused(CANNOT_STAMP_TYPE, reason=f"{mime} and STAMPED_DOWNLOAD_OTHER_TYPES=refuse")
    if mime not in (PDF, *rendering.OFFICE_FILTERS, *rendering.IMAGE_TYPES):
        raise StampRefused(CANNOT_STAMP_TYPE, reason=f"{mime} cannot be turned into a PDF")
    if version.size > limits.max_bytes:
        raise StampRefused(CANNOT_STAMP_FILE, reason=f"{version.size} bytes (limit {limits.max_bytes})")
    if mime == PDF:
        return StampSource(data=_read_verified(version), kind="pdf")
    if mime in rendering.IMAGE_TYPES:
        return StampSource(data=_read_verified(version), kind="image", converted_from=mime)
    try:
        return StampSource(data=_office_pdf(version), kind="pdf", converted_from=mime)
    except (RenderRefused, NotFound) as refused:
        raise StampRefused(CANNOT_STAMP_FILE, reason=f"conversion: {refused.extra.get('reason', refused)}") from None


def _office_pdf(version) -> bytes:
    """The PDF LibreOffice made of an office version for its previews, from the preview cache; converted
    (once, under the version's lock, in a conversion slot) when no preview has been drawn yet."""
    from backend.documents import previews

    cache = previews.preview_cache()
    made = cache.read(version.sha256, "document.pdf")
    if made is not None:
        return made
    refused = previews._remembered_refusal(cache, version.sha256)
    if refused is not None:
        raise refused
    with cache.lock(version.sha256):
        return previews._pdf(version, cache)


def _read_verified(version) -> bytes:
    from backend.documents.store import object_store

    return b"".join(object_store().iter_verified(version.object_key, sha256=version.sha256, size=version.size))


def stamp_pdf(source: StampSource, mark, limits: StampLimits | None = None) -> StampedCopy:
    """`source` with `mark` on every page (`mark.lines()` tiled across it, `mark.code` at its foot), made in
    a limited child process. StampRefused when the file cannot be stamped within the limits."""
    from indexing.extract.sandbox import ChildFailed, ChildLimits, run_in_child

    limits = limits or StampLimits.from_settings()
    lines = [str(line) for line in mark.lines()]
    params = {"kind": source.kind, "lines": lines, "footer": "  ·  ".join(lines), "fonts": list(CJK_FONT_CANDIDATES),
              "max_pages": limits.max_pages, "max_source_pixels": limits.max_source_pixels}
    child = ChildLimits(memory_mb=limits.memory_mb, cpu_seconds=max(1, math.ceil(limits.timeout_seconds)),
                        wall_seconds=limits.timeout_seconds + _START_GRACE_SECONDS,
                        output_bytes=limits.max_bytes + 16 * 1024 * 1024)
    try:
        meta, stamped = run_in_child(f"{__name__}:stamp_in_child", source.data, params, child)
    except ChildFailed as exc:
        logger.info("stamping stopped: %s", exc)
        raise StampRefused(CANNOT_STAMP_FILE, reason=f"{exc.kind}: {exc.detail} (limits: {limits.memory_mb} MB, "
                                                     f"{limits.timeout_seconds} s)") from None
    if meta.get("status") != "ok" or not stamped.startswith(b"%PDF"):
        raise StampRefused(CANNOT_STAMP_FILE, reason=str(meta.get("reason", meta.get("status", "no PDF"))))
    return StampedCopy(data=stamped, sha256=hashlib.sha256(stamped).hexdigest(), pages=int(meta["pages"]),
                       mark_code=str(mark.code), converted_from=source.converted_from)


# --- the child's side (imports no Django; runs under the sandbox's limits) -------------------------


def _font(candidates) -> str:
    """A reportlab font for the mark: the first embeddable CJK TrueType font, else Adobe's STSong-Light."""
    import os

    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFont

    for path, index in candidates:
        if not os.path.isfile(path):
            continue
        try:
            pdfmetrics.registerFont(TTFont("DossierMark", path, subfontIndex=index))
        except Exception:  # noqa: BLE001 - a font reportlab cannot embed: try the next
            continue
        return "DossierMark"
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    return "STSong-Light"


def overlay_pdf(width: float, height: float, lines: list[str], footer: str, font: str) -> bytes:
    """One page `width` x `height` pt with the mark: the lines tiled, turned 30°, semi-transparent, over
    the whole page, and the footer line small and upright at its foot."""
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=(width, height), pageCompression=1)
    page.setTitle("Dossier mark")
    size = max(7.0, min(13.0, min(width, height) / 48))
    leading = size * 1.35
    block_width = max(stringWidth(line, font, size) for line in lines) if lines else size
    step_x, step_y = block_width + 3 * size, leading * len(lines) + 3 * size
    page.saveState()
    page.setFillColorRGB(0.62, 0.08, 0.08)
    page.setFillAlpha(0.17)
    page.setFont(font, size)
    page.translate(width / 2, height / 2)
    page.rotate(30)
    reach = math.hypot(width, height) / 2 + step_x
    rows, columns = int(reach // step_y) + 1, int(reach // step_x) + 1
    for row in range(-rows, rows + 1):
        shift = (row % 2) * step_x / 2  # brick pattern: no straight gaps to crop along
        for column in range(-columns, columns + 1):
            x, y = column * step_x + shift - block_width / 2, row * step_y
            for number, line in enumerate(lines):
                page.drawString(x, y - number * leading, line)
    page.restoreState()
    page.saveState()
    small = max(5.0, min(7.0, width / 90))
    page.setFillColorRGB(0.45, 0.05, 0.05)
    page.setFillAlpha(0.75)
    page.setFont(font, small)
    text = footer
    while text and stringWidth(text, font, small) > width - 2 * small:
        text = text[:-2]
    page.drawString(small * 1.5, small * 1.2, text if text == footer else text + "…")
    page.restoreState()
    page.showPage()
    page.save()
    return out.getvalue()


def _image_as_pdf(data: bytes, max_source_pixels: int) -> bytes | dict:
    """A picture as a one-page PDF (its longest side about an A4 page's), or the refusal."""
    import struct
    import warnings

    from PIL import Image, ImageOps

    Image.MAX_IMAGE_PIXELS = max_source_pixels
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            if width * height > max_source_pixels:
                return {"status": "too_large", "reason": f"a {width} x {height} px picture"}
            image = ImageOps.exif_transpose(image)
            if image.mode not in ("RGB", "L"):
                image = image.convert("RGB")
            out = io.BytesIO()
            resolution = max(72.0, max(image.size) / 11.69)  # the longest side fits 11.69 in (A4's)
            image.save(out, format="PDF", resolution=resolution)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            return {"status": "too_large", "reason": str(exc)}
        except (OSError, SyntaxError, ValueError, EOFError, struct.error, IndexError, KeyError, TypeError,
                ZeroDivisionError) as exc:
            return {"status": "unreadable", "reason": f"{type(exc).__name__}: {exc}"}
    return out.getvalue()


def _placement(box, rotation: int) -> tuple[float, float, list[float]]:
    """The page as it is shown (width, height) and the matrix from those coordinates to the page's own."""
    x0, y0 = float(box.left), float(box.bottom)
    w, h = float(box.width), float(box.height)
    if rotation == 90:
        return h, w, [0, 1, -1, 0, x0 + w, y0]
    if rotation == 180:
        return w, h, [-1, 0, 0, -1, x0 + w, y0 + h]
    if rotation == 270:
        return h, w, [0, -1, 1, 0, x0, y0 + h]
    return w, h, [1, 0, 0, 1, x0, y0]


def stamp_in_child(data: bytes, params: dict) -> tuple[dict, bytes]:
    """Every page of the PDF `data` (or of a picture drawn as one) followed by a call of the mark's form."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.errors import PdfReadError
    from pypdf.generic import (ArrayObject, DecodedStreamObject, DictionaryObject, IndirectObject, NameObject,
                               NumberObject)

    if params["kind"] == "image":
        converted = _image_as_pdf(data, params["max_source_pixels"])
        if isinstance(converted, dict):
            return converted, b""
        data = converted
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            return {"status": "encrypted", "reason": "the PDF needs a password"}, b""
        count = len(reader.pages)
        if count > params["max_pages"]:
            return {"status": "too_large", "reason": f"{count} pages (limit {params['max_pages']})"}, b""
        writer = PdfWriter(clone_from=reader)
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
        return {"status": "unreadable", "reason": f"pypdf: {type(exc).__name__}: {exc}"}, b""
    del data
    font = _font([tuple(candidate) for candidate in params["fonts"]])

    def stream(content: bytes):
        made = DecodedStreamObject()
        made.set_data(content)
        return writer._add_object(made)

    opening = stream(b"q\n")
    forms: dict[tuple, tuple] = {}  # (shown width, height) -> (name, form)
    closings: dict[tuple, object] = {}  # (name, matrix) -> the content stream that calls the form
    try:
        for page in writer.pages:
            rotation = int(page.get("/Rotate", 0) or 0) % 360
            width, height, matrix = _placement(page.cropbox, rotation)
            key = (round(width, 2), round(height, 2))
            if key not in forms:
                overlay = PdfReader(io.BytesIO(overlay_pdf(width, height, params["lines"], params["footer"], font)))
                overlay_page = overlay.pages[0]
                form = DecodedStreamObject()
                form.set_data(overlay_page.get_contents().get_data())
                form.update({
                    NameObject("/Type"): NameObject("/XObject"),
                    NameObject("/Subtype"): NameObject("/Form"),
                    NameObject("/BBox"): ArrayObject([NumberObject(0), NumberObject(0),
                                                      NumberObject(math.ceil(width)), NumberObject(math.ceil(height))]),
                    NameObject("/Resources"): overlay_page["/Resources"].clone(writer),
                })
                forms[key] = (NameObject(f"{_FORM_NAME}{len(forms)}"), writer._add_object(form))
            name, form_ref = forms[key]
            numbers = " ".join(f"{value:.4f}".rstrip("0").rstrip(".") for value in matrix)
            if (name, numbers) not in closings:
                closings[(name, numbers)] = stream(f"\nQ\nq {numbers} cm {name} Do Q\n".encode())
            resources = page.get("/Resources")
            resources = resources.get_object() if resources is not None else None
            if resources is None:
                resources = DictionaryObject()
                page[NameObject("/Resources")] = resources
            xobjects = resources.get("/XObject")
            xobjects = xobjects.get_object() if xobjects is not None else None
            if xobjects is None:
                xobjects = DictionaryObject()
                resources[NameObject("/XObject")] = xobjects
            xobjects[name] = form_ref
            contents = page.raw_get("/Contents") if "/Contents" in page else None
            parts = ArrayObject([opening])
            if contents is not None:
                target = contents.get_object()
                if isinstance(target, ArrayObject):
                    parts.extend(target)
                elif isinstance(contents, IndirectObject):
                    parts.append(contents)
                else:
                    parts.append(writer._add_object(target))
            parts.append(closings[(name, numbers)])
            page[NameObject("/Contents")] = parts
        out = io.BytesIO()
        writer.write(out)
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
        return {"status": "unreadable", "reason": f"pypdf: {type(exc).__name__}: {exc}"}, b""
    return {"status": "ok", "pages": count}, out.getvalue()
