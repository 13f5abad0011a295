"""`{{ article.body|markdown }}`: an article's Markdown as safe HTML (backend/ui/markdown.py), for the staff
pages and the portal alike (`{% load ui_markdown %}`)."""

from __future__ import annotations

from django import template

from backend.ui.markdown import markdown_html

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str):
    return markdown_html(text)
