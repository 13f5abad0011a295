"""HTML: the visible text (title and body), without scripts, styles or markup."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from indexing.extract.text import decode_text

_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.IGNORECASE)
_SKIP = {"script", "style", "noscript", "template", "svg"}
_BLOCK = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "title", "table", "section",
          "article", "header", "footer", "td", "th", "pre", "blockquote"}


class _TextParser(HTMLParser):
    def __init__(self, budget):
        super().__init__(convert_charrefs=True)
        self.budget = budget
        self.skipping = 0
        self.line: list[str] = []
        self.count = 0

    def flush(self) -> None:
        if self.line:
            self.budget.add(" ".join("".join(self.line).split()))
            self.line = []

    def handle_starttag(self, tag, attrs):
        if tag in _SKIP:
            self.skipping += 1
        elif tag in _BLOCK:
            self.flush()

    def handle_endtag(self, tag):
        if tag in _SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCK:
            self.flush()

    def handle_data(self, data):
        if not self.skipping:
            self.line.append(data)
            self.count += 1
            if self.count % 500 == 0:
                self.budget.check()


def html_to_text_into(markup: str, budget) -> None:
    parser = _TextParser(budget)
    parser.feed(markup)
    parser.close()
    parser.flush()


def decode_html(data: bytes) -> tuple[str, str]:
    declared = _CHARSET_RE.search(data[:4096])
    if declared:
        encoding = declared.group(1).decode("ascii").lower()
        if encoding in ("gb2312", "gbk"):
            encoding = "gb18030"
        try:
            return data.decode(encoding), encoding
        except (LookupError, UnicodeDecodeError):
            pass
    return decode_text(data)


def extract(data: bytes, budget) -> str:
    markup, encoding = decode_html(data)
    html_to_text_into(markup, budget)
    return f"html:{encoding}"
