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
                "max_members": self.max_members}


@dataclass(frozen=True)
class Extracted:
    text: str
    extractor: str
    truncated: bool = False


Extractor = Callable[[bytes, Budget], str]  # returns the extractor's label (e.g. "text:gb18030")
