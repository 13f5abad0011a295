"""Two texts side by side, with what changed marked: a bounded difflib line diff plus a word-level diff
inside each changed pair of lines.

The work is capped so that no pair of versions can hold a request: each text is cut at MAX_CHARS and
MAX_LINES (the result says so), the lines both texts share at the start and the end are matched without
difflib, and the marks inside changed lines stop once TIME_BUDGET seconds have gone (those lines are
then shown as changed, unmarked). The result is plain data (strings and flags); the template escapes it.
"""

from __future__ import annotations

import difflib
import re
import time
from dataclasses import dataclass, field

MAX_CHARS = 300_000  # per text
MAX_LINES = 4_000  # per text, after the character cap
MAX_LINE_CHARS = 2_000  # a longer line is cut (a PDF without line breaks)
MAX_INLINE_CHARS = 1_000  # changed lines longer than this are not marked word by word
TIME_BUDGET = 0.5  # seconds for the word-level marks
CONTEXT = 3  # unchanged lines shown around each change

_TOKENS = re.compile(r"\s+|\w+|[^\w\s]", re.UNICODE)
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


@dataclass(frozen=True)
class Segment:
    text: str
    changed: bool = False


@dataclass
class Side:
    number: int | None  # the line number in its text; None: no line on this side
    segments: list[Segment] = field(default_factory=list)


@dataclass
class DiffRow:
    kind: str  # "equal", "replace", "delete", "insert", or "skip" (unchanged lines left out)
    old: Side
    new: Side
    skipped: int = 0  # for "skip": how many unchanged lines


@dataclass
class TextDiff:
    rows: list[DiffRow]
    added: int  # lines only in the new text (or changed)
    removed: int  # lines only in the old text (or changed)
    truncated: bool  # a text was longer than the caps: only its beginning was compared
    marks_partial: bool  # the time budget ran out: some changed lines are not marked word by word

    @property
    def identical(self) -> bool:
        return self.added == 0 and self.removed == 0


def _lines(text: str) -> tuple[list[str], bool]:
    truncated = len(text) > MAX_CHARS
    lines = text[:MAX_CHARS].splitlines()
    if len(lines) > MAX_LINES:
        lines, truncated = lines[:MAX_LINES], True
    cut = [line[:MAX_LINE_CHARS] for line in lines]
    return cut, truncated or any(len(line) > MAX_LINE_CHARS for line in lines)


def _tokens(line: str) -> list[str]:
    # Han text has no spaces: each character is a token, so a changed character is marked, not the sentence.
    out: list[str] = []
    for token in _TOKENS.findall(line):
        out.extend(token if _HAN.search(token) else [token])
    return out


def _inline(old: str, new: str) -> tuple[list[Segment], list[Segment]]:
    a, b = _tokens(old), _tokens(new)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    left: list[Segment] = []
    right: list[Segment] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if i2 > i1:
            left.append(Segment("".join(a[i1:i2]), tag != "equal"))
        if j2 > j1:
            right.append(Segment("".join(b[j1:j2]), tag != "equal"))
    return left, right


def _plain(line: str, changed: bool) -> list[Segment]:
    return [Segment(line, changed)]


def _opcodes(a: list[str], b: list[str]) -> list[tuple[str, int, int, int, int]]:
    """difflib's opcodes, with the shared first and last lines matched directly (most edits touch a few
    lines in the middle of a long text)."""
    start = 0
    while start < len(a) and start < len(b) and a[start] == b[start]:
        start += 1
    end = 0
    while end < len(a) - start and end < len(b) - start and a[-1 - end] == b[-1 - end]:
        end += 1
    ops: list[tuple[str, int, int, int, int]] = []
    if start:
        ops.append(("equal", 0, start, 0, start))
    middle = difflib.SequenceMatcher(None, a[start:len(a) - end], b[start:len(b) - end], autojunk=True)
    for tag, i1, i2, j1, j2 in middle.get_opcodes():
        ops.append((tag, i1 + start, i2 + start, j1 + start, j2 + start))
    if end:
        ops.append(("equal", len(a) - end, len(a), len(b) - end, len(b)))
    return ops


def compare_texts(old_text: str, new_text: str, *, context: int = CONTEXT) -> TextDiff:
    a, old_cut = _lines(old_text)
    b, new_cut = _lines(new_text)
    deadline = time.monotonic() + TIME_BUDGET
    partial = False
    rows: list[DiffRow] = []
    added = removed = 0
    ops = _opcodes(a, b)
    for index, (tag, i1, i2, j1, j2) in enumerate(ops):
        if tag == "equal":
            count = i2 - i1
            head = context if index > 0 else 0
            tail = context if index < len(ops) - 1 else 0
            if count > head + tail + 1:
                shown = [*range(head), *range(count - tail, count)]
                for offset in range(head):
                    rows.append(_equal_row(a, b, i1 + offset, j1 + offset))
                rows.append(DiffRow("skip", Side(None), Side(None), skipped=count - head - tail))
                for offset in shown[head:]:
                    rows.append(_equal_row(a, b, i1 + offset, j1 + offset))
            else:
                rows.extend(_equal_row(a, b, i1 + offset, j1 + offset) for offset in range(count))
            continue
        removed += i2 - i1
        added += j2 - j1
        for offset in range(max(i2 - i1, j2 - j1)):
            i, j = i1 + offset, j1 + offset
            old_line = a[i] if i < i2 else None
            new_line = b[j] if j < j2 else None
            if old_line is not None and new_line is not None:
                if len(old_line) + len(new_line) <= 2 * MAX_INLINE_CHARS and time.monotonic() < deadline:
                    left, right = _inline(old_line, new_line)
                else:
                    partial = True
                    left, right = _plain(old_line, True), _plain(new_line, True)
                rows.append(DiffRow("replace", Side(i + 1, left), Side(j + 1, right)))
            elif old_line is not None:
                rows.append(DiffRow("delete", Side(i + 1, _plain(old_line, True)), Side(None)))
            else:
                rows.append(DiffRow("insert", Side(None), Side(j + 1, _plain(new_line or "", True))))
    return TextDiff(rows=rows, added=added, removed=removed, truncated=old_cut or new_cut, marks_partial=partial)


def _equal_row(a: list[str], b: list[str], i: int, j: int) -> DiffRow:
    return DiffRow("equal", Side(i + 1, _plain(a[i], False)), Side(j + 1, _plain(b[j], False)))
