"""Reads of the notifications app: a user's inbox, unread count, preferences and watches, and who watches
what (for the triggers)."""

from __future__ import annotations

from django.db.models import Q

from backend.accounts.models import Role, User
from backend.notifications.kinds import DELIVERY_LABELS, all_kinds, group_label
from backend.notifications.models import ContactEmailConsent, Notification, Preference, Watch

INBOX_PAGE = 50


def inbox_for(*, user, unread_only: bool = False, limit: int = INBOX_PAGE) -> list[Notification]:
    rows = Notification.objects.filter(recipient=user)
    if unread_only:
        rows = rows.filter(read_at__isnull=True)
    return list(rows.order_by("-created_at", "-id")[:limit])


def unread_count(*, user) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def preferences_for(*, user) -> list[dict]:
    """Every registered kind with the user's delivery for it, grouped as the preferences page shows them:
    [{"group": label, "kinds": [{"name", "label", "delivery"}]}]."""
    chosen = dict(Preference.objects.filter(user=user).values_list("kind", "delivery"))
    groups: list[dict] = []
    for kind in all_kinds():
        if not groups or groups[-1]["key"] != kind.group:
            groups.append({"key": kind.group, "group": group_label(kind.group), "kinds": []})
        groups[-1]["kinds"].append({"name": kind.name, "label": kind.display,
                                    "delivery": chosen.get(kind.name, kind.default)})
    return groups


def delivery_choices() -> list[tuple[str, str]]:
    return [(key, str(label)) for key, label in DELIVERY_LABELS.items()]


def is_watching(*, user, document=None, customer=None) -> bool:
    lookup = {"document": document} if document is not None else {"customer": customer}
    return Watch.objects.filter(user=user, **lookup).exists()


def watchers_of_document(document, *, exclude=None) -> list[User]:
    """Active staff users watching `document`, or one of the customers it is linked to, who may still see
    it (the access policy decides), without `exclude` (the one who acted)."""
    from backend.access.policy import Action, can

    customer_ids = list(document.crm_links.values_list("customer_id", flat=True))
    users = (User.objects.filter(Q(watches__document=document) | Q(watches__customer_id__in=customer_ids))
             .filter(is_active=True).exclude(role=Role.PORTAL).distinct().order_by("pk"))
    if exclude is not None:
        users = users.exclude(pk=exclude.pk)
    return [user for user in users if can(user, Action.VIEW, document)]


def watchers_of_customer(customer, *, exclude=None) -> list[User]:
    from backend.access.policy import Action, can

    users = (User.objects.filter(watches__customer=customer, is_active=True).exclude(role=Role.PORTAL)
             .distinct().order_by("pk"))
    if exclude is not None:
        users = users.exclude(pk=exclude.pk)
    return [user for user in users if can(user, Action.VIEW, customer)]


def contact_email_consents(*, customer_id: int) -> dict[int, ContactEmailConsent]:
    """Each of the customer's contacts' e-mail consent rows by contact id, in one query."""
    return {row.contact_id: row for row in ContactEmailConsent.objects.filter(contact__customer_id=customer_id)}
