"""Markdown as safe HTML, for knowledge articles (staff pages, and the portal when it renders them).

CommonMark through markdown-it-py with raw HTML switched off: every `<` the author typed is shown as text,
so no tag, attribute or inline script can come from an article. Links keep only the schemes markdown-it
trusts (no `javascript:`, `vbscript:`, `file:`, `data:`), open nothing automatically and carry
`rel="nofollow noopener noreferrer"`; images are not rendered (the page would fetch another site's picture
under the reader's eyes). Headings move one level down, under the page's own `<h1>`.
"""

from __future__ import annotations

from functools import lru_cache

from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).disable("image")

    def heading(self, tokens, idx, options, env):
        token = tokens[idx]
        level = min(int(token.tag[1]) + 1, 6)
        token.tag = f"h{level}"
        return self.renderToken(tokens, idx, options, env)

    def link_open(self, tokens, idx, options, env):
        tokens[idx].attrSet("rel", "nofollow noopener noreferrer")
        return self.renderToken(tokens, idx, options, env)

    md.add_render_rule("heading_open", heading)
    md.add_render_rule("heading_close", heading)
    md.add_render_rule("link_open", link_open)
    return md


def markdown_html(text: str | None) -> SafeString:
    """The article's Markdown as HTML that holds nothing the author could use to run code in a reader's page."""
    return mark_safe(_parser().render(text or ""))  # noqa: S308 - raw HTML is off: every tag typed is escaped
