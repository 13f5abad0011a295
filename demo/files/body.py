"""A neutral document body (headings, paragraphs, tables, lists) that every renderer in demo/files/ draws.

A contract can so be a PDF in one place and a DOCX in another. The renderers are pure functions of the
body: the same body gives the same bytes (PDFs are rendered "invariant", Office zip members get
FIXED_TIMESTAMP), so a re-seeded store deduplicates instead of growing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

# Office files carry this as their creation/modification time, and their zip members too.
FIXED_TIMESTAMP = dt.datetime(2026, 1, 5, 9, 0, 0)


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 1


@dataclass(frozen=True)
class Para:
    text: str


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    rows: tuple[tuple[str, ...], ...]  # the first row is the header
    widths: tuple[float, ...] = ()  # relative column widths
    right: tuple[int, ...] = ()  # columns aligned right (numbers)


@dataclass(frozen=True)
class Fields:
    """Label/value pairs, e.g. the parties of a contract."""

    pairs: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Signatures:
    parties: tuple[tuple[str, str], ...]  # (role, name), side by side


Block = Heading | Para | Bullets | Table | Fields | Signatures


@dataclass(frozen=True)
class Body:
    title: str
    blocks: tuple[Block, ...]
    lang: str = "zh"  # "zh" or "en"
    subtitle: str = ""
    author: str = ""
    reference: str = ""
    marking: str = ""  # classification banner, e.g. "机密 CONFIDENTIAL"
    keywords: tuple[str, ...] = field(default_factory=tuple)


MARKINGS = {
    "public": "公开 PUBLIC",
    "internal": "内部 INTERNAL",
    "confidential": "机密 CONFIDENTIAL",
    "secret": "绝密 SECRET",
}
