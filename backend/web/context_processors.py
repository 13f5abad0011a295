"""What the staff pages' navigation needs on every page, decided by the access policy."""

from __future__ import annotations

from backend.access.policy import can_publish_announcements, may_open_compliance_console
from backend.access.policy.crm import may_import_records
from backend.access.policy.handover import may_hand_over_books


def staff_nav(request) -> dict:
    """`nav_announcements`, `nav_compliance`, `nav_handover`: show the Announcements, Compliance and Handover
    links (role checks, no query)."""
    user = getattr(request, "user", None)
    return {
        "nav_announcements": user is not None and can_publish_announcements(user),
        "nav_compliance": user is not None and may_open_compliance_console(user),
        "nav_handover": user is not None and may_hand_over_books(user),
        "nav_imports": user is not None and may_import_records(user),
    }
