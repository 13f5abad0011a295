"""Knowledge base in templates: an article's Markdown as safe HTML, and whether the service record page
offers "Turn this service record into an article" (the policy decides; the service checks again)."""

from __future__ import annotations

from django import template

from backend.access.policy.crm import may_turn_service_into_knowledge
from backend.crm.services.service import RATEABLE
from backend.ui.markdown import markdown_html

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str):
    return markdown_html(text)


@register.simple_tag
def may_draft_article_from(user, record) -> bool:
    return may_turn_service_into_knowledge(user) and record.dispatch_state in RATEABLE
