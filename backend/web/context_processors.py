"""What the staff pages' navigation needs on every page, decided by the access policy."""

from __future__ import annotations

from backend.access.policy import can_publish_announcements


def staff_nav(request) -> dict:
    """`nav_announcements`: show the Announcements link (a role check, no query)."""
    user = getattr(request, "user", None)
    return {"nav_announcements": user is not None and can_publish_announcements(user)}
