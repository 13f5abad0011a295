"""Knowledge base in templates: whether the service record page offers "Turn this service record into an
article" (the policy decides; the service checks again). An article's Markdown: `{% load ui_markdown %}`."""

from __future__ import annotations

from django import template

from backend.access.policy.crm import may_turn_service_into_knowledge
from backend.crm.services.service import RATEABLE

register = template.Library()


@register.simple_tag
def may_draft_article_from(user, record) -> bool:
    return may_turn_service_into_knowledge(user) and record.dispatch_state in RATEABLE
