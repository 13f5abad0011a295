"""Announcements to portal users: drafted by staff, published to every customer or to some."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from backend.access.policy import Action, can, can_publish_announcements
from backend.audit import services as audit
from backend.common.errors import InvalidInput, PermissionDenied
from backend.crm.models import Announcement, Customer


def _deny(actor, announcement: Announcement | None, action: str) -> PermissionDenied:
    audit.record("crm.access.denied", actor=actor, target=announcement, outcome="denied",
                 target_type=None if announcement else "crm.announcement", detail={"action": action})
    return PermissionDenied()


def announcement_create(
    *, actor, title: str, body: str, customers: list[Customer] | None = None, publish: bool = False
) -> Announcement:
    """A draft (or, with `publish`, published) announcement; `customers` None or empty: every customer."""
    if not can_publish_announcements(actor):
        raise _deny(actor, None, "create")
    errors: dict[str, list[str]] = {}
    title, body = (title or "").strip(), (body or "").strip()
    if not title:
        errors["title"] = ["A title is required."]
    elif len(title) > 200:
        errors["title"] = ["At most 200 characters."]
    if not body:
        errors["body"] = ["The announcement needs a text."]
    if errors:
        raise InvalidInput("The announcement is invalid.", fields=errors)
    customers = list(customers or [])
    now = timezone.now()
    with transaction.atomic():
        announcement = Announcement.objects.create(title=title, body=body, all_customers=not customers,
                                                   published_at=now if publish else None,
                                                   created_by=actor, created_at=now)
        if customers:
            announcement.customers.set(customers)
        audit.record("crm.announcement.created", actor=actor, target=announcement, detail={
            "title": title, "customers": sorted(c.pk for c in customers) or "all", "published": publish})
        if publish:
            audit.record("crm.announcement.published", actor=actor, target=announcement, detail={"title": title})
    return announcement


def _publication_change(*, actor, announcement: Announcement, publish: bool) -> Announcement:
    """Publish (or withdraw) an announcement; one that already is changes nothing and records nothing."""
    if not can(actor, Action.CHANGE, announcement):
        raise _deny(actor, announcement, "publish" if publish else "withdraw")
    with transaction.atomic():
        locked = Announcement.objects.select_for_update().get(pk=announcement.pk)
        if (locked.published_at is None) == publish:
            locked.published_at = timezone.now() if publish else None
            locked.save(update_fields=["published_at"])
            event = "crm.announcement.published" if publish else "crm.announcement.withdrawn"
            audit.record(event, actor=actor, target=locked, detail={"title": locked.title})
    return locked


def announcement_publish(*, actor, announcement: Announcement) -> Announcement:
    return _publication_change(actor=actor, announcement=announcement, publish=True)


def announcement_withdraw(*, actor, announcement: Announcement) -> Announcement:
    return _publication_change(actor=actor, announcement=announcement, publish=False)
