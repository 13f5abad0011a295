"""Reads of announcements: what a portal user sees, and what staff manage."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from backend.access.policy import Action, visible
from backend.common.errors import NotFound
from backend.crm.models import Announcement, Customer


def announcement_list_visible(*, user) -> QuerySet[Announcement]:
    """Announcements `user` may read, newest first (for a portal user: published ones addressed to them)."""
    return (
        visible(user, Announcement.objects.all(), Action.VIEW)
        .select_related("created_by")
        .prefetch_related(Prefetch("customers", queryset=Customer.objects.only("id", "name")))
        .order_by("-published_at", "-id")
    )


def announcement_get_visible(*, user, announcement_id: int, action: Action = Action.VIEW) -> Announcement:
    found = visible(user, Announcement.objects.all(), action).filter(pk=announcement_id).first()
    if found is None:
        raise NotFound()
    return found
