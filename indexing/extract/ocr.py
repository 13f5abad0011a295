"""OCR with Tesseract: the text of images (JPEG, PNG, TIFF) and of PDF pages that have no text layer.

Runs inside the sandbox child (indexing.extract.sandbox) like every extractor; `tesseract` is started
as a subprocess of that child, so it inherits the child's memory and CPU limits and is killed with it.
Each call gets the time left in the file's budget: when the budget runs out, the pages recognised so
far are kept (the rest is not indexed: `truncated`) rather than failing the whole file.

Per page (`recognise`):
  1. the image is made grey and at most `ocr_max_pixels` (a bigger one is scaled down); at 200 dpi
     and more a 3x3 median filter takes out a poor scan's specks (only when it is speckled);
  2. deskew: the small angle (±10°) whose rotation gives the sharpest row profile (dark text lines
     between light gaps) is undone — measured on a thumbnail with Pillow alone;
  3. tesseract reads it (TSV output: every word with its confidence);
  4. orientation: if few words were recognised confidently, tesseract's orientation detection
     (--psm 0) says how the page is turned; failing that (and when the first reading found a few
     words at all, unlike a photo), 90, 180 and 270 degrees are tried while the budget allows; the
     reading with the most confidently recognised characters wins.

Words are joined per line; the spaces tesseract puts between Chinese characters are removed, so the
search analysis sees Han runs (and makes its bigrams) as in extracted text.
"""

from __future__ import annotations

import io
import math
import os
import re
import shutil
import subprocess
from dataclasses import dataclass

from indexing.extract.base import Budget, ExtractionFailed, Unsupported

# Below this many confidently read characters a page is suspected to be turned (or not text at all).
_GOOD_CHARS = 12
_GOOD_MEAN = 75  # ... and at least this mean word confidence
_DENOISE_MIN_DPI = 200
# Share of dark pixels a median filter changes above which a page counts as speckled: clean text
# measures about 0.1 (stroke corners), a scan with 2% specks about 0.4.
_SPECKLED = 0.2
_CONFIDENT = 60  # a word tesseract is at least this sure of counts as confidently read
_MIN_WORD_CONFIDENCE = 20  # words below this are noise (speckles read as letters) and are dropped
_DESKEW_MAX_DEGREES = 10.0
_DESKEW_STEP = 0.5
_THUMBNAIL = 1000
_MIN_SECONDS = 1.0
_TRY_TURNS_WORDS = 3  # a page reading fewer words (a photo, a blank page) is not tried turned
_MIN_SIDE = 16  # pixels: smaller images hold no readable text  # no tesseract run is started with less time than this left
_CJK = "\u2e80-\u2fff\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
_CJK_GAP = re.compile(f"(?<=[{_CJK}]) +(?=[{_CJK}])")


def tesseract_path() -> str | None:
    return shutil.which("tesseract")


def available(languages: str) -> bool:
    """OCR can run: languages are configured and tesseract is installed."""
    return bool(languages) and tesseract_path() is not None


@dataclass
class PageText:
    text: str
    confidence_sum: float
    words: int
    confident_chars: int  # characters in words read with at least _CONFIDENT
    chars: int = 0  # characters in all the words kept
    rotation: int = 0  # degrees the page was turned (counter-clockwise) before reading
    skew: float = 0.0

    @property
    def mean_confidence(self) -> float:
        return self.confidence_sum / self.words if self.words else 0.0

    @property
    def good(self) -> bool:
        """Read with confidence: enough sure characters and a high mean (a page read sideways or upside
        down gives fewer sure characters, or many doubtful ones)."""
        if self.mean_confidence < _GOOD_MEAN:
            return False
        # a short text (a label, one line) read with confidence is as good as a long one
        return self.confident_chars >= min(_GOOD_CHARS, 0.8 * self.chars)

    @property
    def score(self) -> float:
        """Which of two readings of a page (turned differently) to keep: the higher."""
        return self.confident_chars * self.mean_confidence


class OutOfTime(Exception):
    """The budget has no time left for another tesseract run."""


def _env() -> dict[str, str]:
    # One thread: the benchmark is per core, and the worker's concurrency decides how many run at once.
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "OMP_THREAD_LIMIT": "1", "LC_ALL": "C.UTF-8"}
    if os.environ.get("TESSDATA_PREFIX"):
        env["TESSDATA_PREFIX"] = os.environ["TESSDATA_PREFIX"]
    return env


def _run(args: list[str], image, budget: Budget, dpi: int) -> str:
    remaining = budget.remaining()
    if remaining < _MIN_SECONDS:
        raise OutOfTime()
    program = tesseract_path()
    if program is None:
        raise Unsupported("OCR is not available: tesseract is not installed")
    buffer = io.BytesIO()
    image.save(buffer, format="PPM")  # uncompressed: quicker to write and for leptonica to read than PNG
    try:
        done = subprocess.run([program, "stdin", "stdout", "--dpi", str(dpi), *args], input=buffer.getvalue(),
                              capture_output=True, timeout=remaining, env=_env(), check=False)
    except subprocess.TimeoutExpired:
        raise OutOfTime() from None
    if done.returncode != 0:
        raise ExtractionFailed(f"OCR failed ({done.stderr.decode('utf-8', 'replace').strip()[-200:]})")
    return done.stdout.decode("utf-8", "replace")


def _parse_tsv(tsv: str) -> PageText:
    lines: dict[tuple[int, int, int], list[str]] = {}
    blocks: list[int] = []
    confidence_sum, words, confident_chars = 0.0, 0, 0
    for row in tsv.splitlines()[1:]:
        cells = row.split("\t")
        if len(cells) < 12 or cells[0] != "5":
            continue
        word = cells[11].strip()
        try:
            confidence = float(cells[10])
        except ValueError:
            continue
        if not word or confidence < _MIN_WORD_CONFIDENCE:
            continue
        key = (int(cells[2]), int(cells[3]), int(cells[4]))
        if key[0] not in blocks:
            blocks.append(key[0])
        lines.setdefault(key, []).append(word)
        confidence_sum += confidence
        words += 1
        if confidence >= _CONFIDENT:
            confident_chars += len(word)
    paragraphs = []
    for block in blocks:
        block_lines = [_CJK_GAP.sub("", " ".join(parts)) for key, parts in lines.items() if key[0] == block]
        paragraphs.append("\n".join(block_lines))
    return PageText("\n\n".join(paragraphs), confidence_sum, words, confident_chars,
                    chars=sum(len(word) for parts in lines.values() for word in parts))


def _read(image, budget: Budget, dpi: int) -> PageText:
    return _parse_tsv(_run(["-l", budget.ocr_languages, "--psm", "3", "-c", "tessedit_do_invert=0", "tsv"],
                           image, budget, dpi))


def _osd_rotation(image, budget: Budget, dpi: int) -> int | None:
    """Degrees to turn the page counter-clockwise (Pillow's rotate) so its text stands upright, per
    tesseract's orientation detection; None when it cannot tell (too little text)."""
    try:
        out = _run(["--psm", "0", "-l", "osd"], image, budget, dpi)
    except ExtractionFailed:
        return None
    facts = dict(line.split(":", 1) for line in out.splitlines() if ":" in line)
    try:
        rotate = int(facts["Rotate"].strip())
        confidence = float(facts["Orientation confidence"].strip())
    except (KeyError, ValueError):
        return None
    if confidence < 1.0:
        return None
    # tesseract's "Rotate" is clockwise; Pillow turns counter-clockwise
    return (360 - rotate) % 360


def _row_sharpness(image) -> float:
    """How sharply the image's rows alternate between ink and gap (higher when text lines are level)."""
    from PIL import Image

    rows = image.resize((1, image.height), Image.Resampling.BOX).tobytes()  # one byte (mean) per row
    return float(sum((rows[i + 1] - rows[i]) ** 2 for i in range(len(rows) - 1)))


def skew_angle(image) -> float:
    """The small rotation (degrees, counter-clockwise, within ±10) that levels the page's text lines."""
    from PIL import ImageOps

    thumbnail = image.copy()
    thumbnail.thumbnail((_THUMBNAIL, _THUMBNAIL))
    ink = ImageOps.invert(thumbnail)  # text bright on black: rotation fills with black, adding no ink
    best_angle, best_score = 0.0, _row_sharpness(ink)
    steps = int(_DESKEW_MAX_DEGREES / _DESKEW_STEP)
    for index in range(-steps, steps + 1):
        angle = index * _DESKEW_STEP
        if angle == 0:
            continue
        score = _row_sharpness(ink.rotate(angle, fillcolor=0))
        if score > best_score * 1.02:  # a clear improvement, not noise
            best_angle, best_score = angle, score
    return best_angle


def _prepare(image, budget: Budget):
    from PIL import Image, ImageOps

    image = ImageOps.exif_transpose(image)
    if image.mode in ("RGBA", "LA", "P", "PA"):  # transparent parts read as white paper
        image = image.convert("RGBA")
        background = Image.new("RGB", image.size, "white")
        background.paste(image, mask=image.getchannel("A"))
        image = background
    image = image.convert("L")
    pixels = image.width * image.height
    if pixels > budget.ocr_max_pixels:
        factor = math.sqrt(budget.ocr_max_pixels / pixels)
        image = image.resize((max(1, int(image.width * factor)), max(1, int(image.height * factor))))
    return image


def _despeckled(image):
    """The image through a 3x3 median filter when it is speckled (a poor scan), else unchanged: on clean
    text the filter only rounds stroke corners, which costs tesseract a few characters."""
    from PIL import ImageChops, ImageFilter

    smooth = image.filter(ImageFilter.MedianFilter(3))
    changed = ImageChops.difference(image, smooth).point(lambda v: 255 if v > 64 else 0).histogram()[255]
    dark = image.point(lambda v: 255 if v < 128 else 0).histogram()[255]
    return smooth if dark and changed / dark > _SPECKLED else image


def _straighten(image):
    angle = skew_angle(image)
    if abs(angle) < _DESKEW_STEP:
        return image, 0.0
    return image.rotate(angle, expand=True, fillcolor=255), angle


def recognise(image, budget: Budget, *, dpi: int) -> PageText:
    """The text of one page image (any Pillow mode), upright and level, within the budget's time."""
    pixels = image.width * image.height
    image = _prepare(image, budget)
    if image.width * image.height < pixels:  # scaled down to the pixel cap: fewer dots per inch
        dpi = max(1, round(dpi * math.sqrt(image.width * image.height / pixels)))
    if min(image.size) < _MIN_SIDE:
        return PageText("", 0.0, 0, 0)
    if dpi >= _DENOISE_MIN_DPI:  # strokes are several pixels wide: a 3x3 median removes specks, not text
        image = _despeckled(image)
    level, skew = _straighten(image)
    best = _read(level, budget, dpi)
    best.skew = skew
    if best.good:
        return best
    turns = []
    try:
        rotation = _osd_rotation(level, budget, dpi)
    except OutOfTime:
        return best  # no time to look further: keep what was read
    if rotation:
        turns.append(rotation)
    elif rotation is None and best.words >= _TRY_TURNS_WORDS:
        # orientation detection could not tell, yet something like text is there: try the other three
        turns.extend([180, 90, 270])
    for turn in turns:
        try:
            turned, skew = _straighten(image.rotate(turn, expand=True, fillcolor=255))
            reading = _read(turned, budget, dpi)
        except OutOfTime:
            break
        reading.rotation, reading.skew = turn, skew
        if reading.score > best.score:
            best = reading
        if best.good:
            break
    return best


def add_page(budget: Budget, page: PageText) -> None:
    """Count a recognised page and add its text (may raise BudgetFull)."""
    budget.ocr_pages += 1
    budget.ocr_confidence_sum += page.confidence_sum
    budget.ocr_words += page.words
    budget.add(page.text)


def _frames(image):
    from PIL import ImageSequence

    return ImageSequence.Iterator(image)


def extract_image(data: bytes, budget: Budget) -> str:
    """Text of a JPEG, PNG or TIFF (every frame of a multi-page TIFF) by OCR."""
    from PIL import Image, UnidentifiedImageError

    if not budget.ocr_languages:
        raise Unsupported("OCR is turned off (SEARCH_OCR_LANGUAGES is empty)")
    # Decoding more than a few times the OCR cap is refused before it takes the memory.
    Image.MAX_IMAGE_PIXELS = max(budget.ocr_max_pixels * 4, 1)
    try:
        image = Image.open(io.BytesIO(data))
        dpi = image.info.get("dpi")
        resolution = int(dpi[0]) if dpi and 70 <= float(dpi[0]) <= 1200 else budget.ocr_dpi
        if image.format == "JPEG":  # decode at a reduced size straight away when the photo is huge
            scale = math.sqrt(budget.ocr_max_pixels / max(image.width * image.height, 1))
            if scale < 1:
                width = image.width
                image.draft("L", (int(image.width * scale), int(image.height * scale)))
                resolution = max(1, round(resolution * image.width / width))
        for frame in _frames(image):
            if budget.ocr_pages_wanted >= budget.ocr_max_pages:
                break
            budget.ocr_pages_wanted += 1
            try:
                page = recognise(frame.copy(), budget, dpi=resolution)
            except OutOfTime:
                budget.truncated = True
                break
            add_page(budget, page)
    except Image.DecompressionBombError as exc:
        raise ExtractionFailed(f"the image is too large to read ({exc})") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ExtractionFailed(f"the image is corrupt: {exc}") from exc
    if budget.ocr_pages_wanted > budget.ocr_pages:
        budget.truncated = True
    return "ocr"


def render_pdf_pages(data: bytes, page_numbers: list[int], budget: Budget):
    """(page number, Pillow image) of these pages, rendered at the budget's dpi within its pixel cap."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(data)
    try:
        for number in page_numbers:
            page = document[number]
            try:
                width, height = page.get_size()
                scale = budget.ocr_dpi / 72
                pixels = width * scale * height * scale
                if pixels > budget.ocr_max_pixels:
                    scale *= math.sqrt(budget.ocr_max_pixels / pixels)
                bitmap = page.render(scale=scale, grayscale=True)
                image = bitmap.to_pil()
                yield number, image, max(1, round(scale * 72))
            finally:
                page.close()
    finally:
        document.close()


def ocr_pdf_pages(data: bytes, page_numbers: list[int], budget: Budget) -> dict[int, str]:
    """Text of these (0-based) pages of a PDF by OCR, as far as the budget goes."""
    if not (page_numbers and available(budget.ocr_languages)):
        return {}
    wanted = page_numbers[: budget.ocr_max_pages]
    budget.ocr_pages_wanted += len(page_numbers)
    texts: dict[int, str] = {}
    try:
        for number, image, dpi in render_pdf_pages(data, wanted, budget):
            page = recognise(image, budget, dpi=dpi)
            budget.ocr_pages += 1
            budget.ocr_confidence_sum += page.confidence_sum
            budget.ocr_words += page.words
            texts[number] = page.text
    except OutOfTime:
        pass
    if budget.ocr_pages < budget.ocr_pages_wanted:
        budget.truncated = True
    return texts
