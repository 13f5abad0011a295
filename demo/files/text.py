"""Plain text and CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from demo.files.body import Body, Bullets, Fields, Heading, Para, Signatures, Table


def _display_width(text: str) -> int:
    return sum(2 if ord(ch) >= 0x2E80 else 1 for ch in text)


def _pad(text: str, width: int, right: bool = False) -> str:
    gap = " " * max(0, width - _display_width(text))
    return gap + text if right else text + gap


def render_text(body: Body) -> bytes:
    lines = [body.title, "=" * max(8, _display_width(body.title))]
    if body.subtitle:
        lines.append(body.subtitle)
    if body.marking or body.reference:
        lines.append("  ·  ".join(part for part in (body.reference, body.marking) if part))
    lines.append("")
    for block in body.blocks:
        if isinstance(block, Heading):
            lines += [block.text, ("-" if block.level == 1 else "·") * max(4, _display_width(block.text)), ""]
        elif isinstance(block, Para):
            lines += [block.text, ""]
        elif isinstance(block, Bullets):
            lines += [f"  - {item}" for item in block.items] + [""]
        elif isinstance(block, Table):
            widths = [max(_display_width(row[c]) for row in block.rows) for c in range(len(block.rows[0]))]
            for r, row in enumerate(block.rows):
                cells = (_pad(cell, widths[c], c in block.right and r > 0) for c, cell in enumerate(row))
                lines.append("  ".join(cells).rstrip())
                if r == 0:
                    lines.append("  ".join("-" * w for w in widths))
            lines.append("")
        elif isinstance(block, Fields):
            label_width = max(_display_width(label) for label, _ in block.pairs)
            lines += [f"{_pad(label, label_width)}  {value}" for label, value in block.pairs] + [""]
        elif isinstance(block, Signatures):
            lines += [f"{role}: {name}    ________________" for role, name in block.parties] + [""]
    return ("\n".join(lines).rstrip() + "\n").encode("utf-8")


def render_csv(rows: Sequence[Sequence[object]]) -> bytes:
    """UTF-8 with a byte-order mark, so that Excel opens Chinese CSV files correctly."""
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
