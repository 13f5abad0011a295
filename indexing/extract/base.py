"""What every extractor shares: the errors, the per-file budget and limits, the result.

Imports nothing of the project (and no Django): the package's entry points and every format module
import from here, so they never import each other, and the sandbox child loads it cheaply.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

MB = 1024 * 1024


class ExtractionFailed(Exception):
    """The file's text cannot be read; str(exc) is the reason shown to people."""


class Unsupported(Exception):
    """No extractor handles this type (images, legacy binary Office files, ...)."""


class BudgetFull(Exception):
    """Enough text: stop extracting (not an error)."""


@dataclass
class Budget:
    """Limits for one file and the text gathered so far.

    Text: `max_chars` kept (the rest is not indexed; `truncated` says so). Time: a wall-clock deadline
    checked inside extractor loops; the child process running the extraction is also stopped by the
    CPU and wall-clock limits derived from it. Memory: the child's address space (`max_memory_mb`).
    Archives (OOXML, ODF): `max_expanded_bytes` uncompressed in all, no member expanding more than
    `max_expansion_ratio` times its compressed size, at most `max_members` members.
    """

    max_chars: int = 2_000_000
    timeout_seconds: float = 60.0
    max_depth: int = 3
    max_memory_mb: int = 512
    max_expanded_bytes: int = 256 * MB
    max_expansion_ratio: int = 200
    max_members: int = 10_000
    # OCR (indexing.extract.ocr): tesseract's languages ("" turns OCR off), render resolution and caps
    ocr_languages: str = ""
    ocr_dpi: int = 300
    ocr_max_pixels: int = 12_000_000
    ocr_max_pages: int = 100
    started: float = field(default_factory=time.monotonic)
    parts: list[str] = field(default_factory=list)
    size: int = 0
    truncated: bool = False
    depth: int = 0
    # what OCR did: pages recognised, pages that needed it, word confidences (sum and count, 0-100)
    ocr_pages: int = 0
    ocr_pages_wanted: int = 0
    ocr_confidence_sum: float = 0.0
    ocr_words: int = 0

    def remaining(self) -> float:
        """Seconds left before the deadline."""
        return self.timeout_seconds - (time.monotonic() - self.started)

    def ocr_confidence(self) -> float | None:
        """Mean confidence (0-100) of the recognised words, None when nothing was recognised."""
        return round(self.ocr_confidence_sum / self.ocr_words, 1) if self.ocr_words else None

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
            raise BudgetFull()
        self.parts.append(text)
        self.size += len(text)

    def text(self) -> str:
        return "\n".join(part for part in self.parts if part)

    def limits(self) -> dict:
        """The limits alone (what a child process needs to rebuild an empty budget)."""
        return {"max_chars": self.max_chars, "timeout_seconds": self.timeout_seconds,
                "max_depth": self.max_depth, "max_memory_mb": self.max_memory_mb,
                "max_expanded_bytes": self.max_expanded_bytes, "max_expansion_ratio": self.max_expansion_ratio,
                "max_members": self.max_members, "ocr_languages": self.ocr_languages, "ocr_dpi": self.ocr_dpi,
                "ocr_max_pixels": self.ocr_max_pixels, "ocr_max_pages": self.ocr_max_pages}


@dataclass(frozen=True)
class Extracted:
    text: str
    extractor: str
    truncated: bool = False
    ocr_pages: int = 0  # pages (or images) whose text was recognised by OCR
    ocr_pages_wanted: int = 0  # pages that had no text layer (more than ocr_pages when the budget ran out)
    ocr_confidence: float | None = None  # mean word confidence of the recognised text, 0-100


Extractor = Callable[[bytes, Budget], str]  # returns the extractor's label (e.g. "text:gb18030")
