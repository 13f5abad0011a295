"""`{{ event.occurred_at|instant }}`: an instant in the one display zone, with its offset, in the reader's
date style (backend/common/display_time.py)."""

from __future__ import annotations

from django import template

from backend.common.display_time import display_instant, offset_text

register = template.Library()


@register.filter
def instant(value) -> str:
    return display_instant(value) if value else "—"


@register.simple_tag
def display_offset() -> str:
    """The display zone's offset now ("+08:00"), for a page's "times in …" note."""
    from django.utils import timezone

    return offset_text(timezone.now())
