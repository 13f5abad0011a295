"""What the staff pages' navigation needs on every page, decided by the access policy."""

from __future__ import annotations

from backend.access.policy import can_publish_announcements, may_open_compliance_console
from backend.access.policy.crm import may_import_records
from backend.access.policy.handover import may_hand_over_books
from backend.access.policy.intake import may_work_intake_queue
from backend.access.policy.retention import may_manage_retention_policies, may_review_disposals


def staff_nav(request) -> dict:
    """`nav_announcements`, `nav_compliance`, `nav_handover`: show the Announcements, Compliance and Handover
    links (role checks, no query)."""
    user = getattr(request, "user", None)
    return {
        "nav_announcements": user is not None and can_publish_announcements(user),
        "nav_compliance": user is not None and may_open_compliance_console(user),
        "nav_handover": user is not None and may_hand_over_books(user),
        # Retention: the disposal review for compliance, the policies for administrators.
        "nav_retention": user is not None and ("review" if may_review_disposals(user)
                                               else "policies" if may_manage_retention_policies(user) else ""),
        "nav_imports": user is not None and may_import_records(user),
        "nav_intake": user is not None and may_work_intake_queue(user),
    }
