"""What the activity partials need wherever they are included (the customer 360, the work log):
the kinds one may log, in their order, and whether a reminder is overdue."""

from __future__ import annotations

from django import template
from django.utils import timezone

from backend.crm.models import ActivityKind

register = template.Library()


@register.simple_tag
def activity_kinds():
    """[(value, label)] of every kind the quick form offers: visit first (the default), reminder last."""
    return ActivityKind.choices


@register.filter
def activity_overdue(activity) -> bool:
    """A reminder not done whose due time has passed."""
    return bool(activity.kind == ActivityKind.REMINDER and not activity.done and activity.due_at
                and activity.due_at < timezone.now())
