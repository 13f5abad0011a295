"""Plain text and CSV, in whatever encoding they arrived (see `decoding`)."""

from __future__ import annotations

from indexing.extract.decoding import decode_text


def extract(data: bytes, budget) -> str:
    text, encoding = decode_text(data)
    budget.check()
    budget.add(text.replace("\x00", ""))
    return f"text:{encoding}"
