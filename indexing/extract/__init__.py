"""Text extraction, one module per file family, chosen by the sniffed MIME type.

    extract(data, mime_type, filename, budget=Budget(...)) -> Extracted(text, extractor, truncated)

Extractors add text to a `Budget`, which stops them when the text is long enough (the rest is
not indexed; `truncated` says so) and fails them when they run past the time limit. A file that
cannot be read (corrupt, encrypted, too large, too slow) raises `ExtractionFailed` with a reason
a person can act on; a type we have no extractor for raises `Unsupported`.
"""

from __future__ import annotations

import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field


class ExtractionFailed(Exception):
    """The file's text cannot be read; str(exc) is the reason shown to people."""


class Unsupported(Exception):
    """No extractor handles this type (images, legacy binary Office files, ...)."""


class _BudgetFull(Exception):
    """Enough text: stop extracting (not an error)."""


@dataclass
class Budget:
    """Limits for one file: characters kept, a wall-clock deadline, nesting depth (e-mail attachments)."""

    max_chars: int = 2_000_000
    timeout_seconds: float = 60.0
    max_depth: int = 3
    max_expanded_bytes: int = 1024 * 1024 * 1024
    started: float = field(default_factory=time.monotonic)
    parts: list[str] = field(default_factory=list)
    size: int = 0
    truncated: bool = False
    depth: int = 0

    def check(self) -> None:
        """Call inside loops: fails the extraction once the deadline has passed."""
        if time.monotonic() - self.started > self.timeout_seconds:
            raise ExtractionFailed(f"extraction took longer than {self.timeout_seconds:g} s")

    def add(self, text: str | None) -> None:
        if not text:
            return
        room = self.max_chars - self.size
        if len(text) >= room:
            self.parts.append(text[:room])
            self.size = self.max_chars
            self.truncated = True
            raise _BudgetFull()
        self.parts.append(text)
        self.size += len(text)

    def text(self) -> str:
        return "\n".join(part for part in self.parts if part)


@dataclass(frozen=True)
class Extracted:
    text: str
    extractor: str
    truncated: bool = False


Extractor = Callable[[bytes, Budget], str]  # returns the extractor's label (e.g. "text:gb18030")


def _registry() -> dict[str, tuple[str, Extractor]]:
    from indexing.extract import eml, markup, odf, office, pdf, text

    return {
        "application/pdf": ("pdf", pdf.extract),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ("docx", office.extract_docx),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ("xlsx", office.extract_xlsx),
        "application/vnd.openxmlformats-officedocument.presentationml.presentation": ("pptx", office.extract_pptx),
        "application/vnd.oasis.opendocument.text": ("odf", odf.extract),
        "application/vnd.oasis.opendocument.spreadsheet": ("odf", odf.extract),
        "application/vnd.oasis.opendocument.presentation": ("odf", odf.extract),
        "text/plain": ("text", text.extract),
        "text/csv": ("text", text.extract),
        "text/html": ("html", markup.extract),
        "application/xhtml+xml": ("html", markup.extract),
        "message/rfc822": ("eml", eml.extract),
    }


def supported(mime_type: str) -> bool:
    return mime_type in _registry()


def extract_into(data: bytes, mime_type: str, budget: Budget) -> str:
    """Run the extractor for `mime_type`, adding text to `budget`. Returns the extractor label."""
    entry = _registry().get(mime_type)
    if entry is None:
        raise Unsupported(f"no text extractor for {mime_type}")
    name, function = entry
    label = function(data, budget)
    return label or name


def extract(data: bytes, mime_type: str, *, budget: Budget | None = None) -> Extracted:
    """All the text of one file, within the budget."""
    budget = budget or Budget()
    label = mime_type
    try:
        label = extract_into(data, mime_type, budget)
    except _BudgetFull:
        label = _registry()[mime_type][0]
    except (ExtractionFailed, Unsupported):
        raise
    except MemoryError as exc:
        raise ExtractionFailed("the file needs too much memory to read") from exc
    except RecursionError as exc:
        raise ExtractionFailed("the file is nested too deeply to read") from exc
    return Extracted(text=budget.text(), extractor=label, truncated=budget.truncated)


def open_zip(data: bytes, budget: Budget, what: str) -> zipfile.ZipFile:
    """A zip container (OOXML, ODF), refusing archives that would expand beyond the budget."""
    import io

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
            raise ExtractionFailed(f"{what} is encrypted (password-protected)") from exc
        raise ExtractionFailed(f"{what} is corrupt: not a valid zip container") from exc
    expanded = sum(info.file_size for info in archive.infolist())
    if expanded > budget.max_expanded_bytes:
        raise ExtractionFailed(
            f"{what} expands to {expanded // (1024 * 1024)} MB; refusing a possible zip bomb"
        )
    return archive
