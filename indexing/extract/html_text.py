"""HTML markup to its visible text (title and body), without scripts, styles or markup: added to a Budget
line by line. Shared by the HTML reader and the e-mail reader (HTML bodies)."""

from __future__ import annotations

from html.parser import HTMLParser

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
