"""HTML: the visible text (title and body), without scripts, styles or markup."""

from __future__ import annotations

from indexing.extract.decoding import decode_html
from indexing.extract.html_text import html_to_text_into


def extract(data: bytes, budget) -> str:
    markup, encoding = decode_html(data)
    html_to_text_into(markup, budget)
    return f"html:{encoding}"
