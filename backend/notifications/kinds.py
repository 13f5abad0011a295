"""The registry of notification kinds.

A kind is a stable dotted name (``sales.lead_assigned``), a short translated label people read on their
preferences page, a group that page sorts them under, and the delivery a user gets until they choose
another (``inbox``, ``email`` = inbox and e-mail, or ``digest`` = inbox and the daily digest e-mail).

Apps register their kinds in a module named ``notification_kinds.py``; the notifications app imports every
such module when Django starts (as the audit app imports ``audit_events.py``)::

    # backend/crm/notification_kinds.py
    from django.utils.translation import gettext_lazy as _

    from backend.notifications.kinds import register_kind

    LEAD_ASSIGNED = register_kind("sales.lead_assigned", label=_("A lead is assigned to me"), group="sales")
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _


class Delivery:
    """How a user hears about one kind (the choices of a Preference)."""

    INBOX = "inbox"
    EMAIL = "email"  # inbox and an e-mail at once
    DIGEST = "digest"  # inbox and the next daily digest e-mail

    ALL = (INBOX, EMAIL, DIGEST)


DELIVERY_LABELS = {
    Delivery.INBOX: _("Inbox only"),
    Delivery.EMAIL: _("Inbox and e-mail"),
    Delivery.DIGEST: _("Inbox and daily digest"),
}

# The groups of the preferences page, in this order (a kind may name another group: it comes last).
GROUP_LABELS = {
    "sales": _("Sales"),
    "service": _("Service"),
    "documents": _("Documents"),
    "compliance": _("Compliance"),
    "other": _("Other"),
}


@dataclass(frozen=True)
class Kind:
    name: str
    label: Any
    group: str
    default: str

    @property
    def display(self) -> str:
        return str(self.label) if self.label else self.name


class KindConflict(ValueError):
    """The name is already registered with a different group or default."""


class UnknownKind(LookupError):
    """notify() was called with a kind nobody registered."""


_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
MAX_NAME_LENGTH = 100

_registry: dict[str, Kind] = {}
_lock = threading.Lock()


def register_kind(name: str, *, label, group: str, default: str = Delivery.INBOX) -> str:
    """Add a kind and return its name. Registering it again unchanged is harmless."""
    if not isinstance(name, str) or not _NAME_RE.match(name) or len(name) > MAX_NAME_LENGTH:
        raise ValueError(f"notification kinds are lowercase dotted words such as 'sales.lead_assigned', got {name!r}")
    if default not in Delivery.ALL:
        raise ValueError(f"notification kind {name!r}: default must be one of {Delivery.ALL}, got {default!r}")
    if not group or not isinstance(group, str):
        raise ValueError(f"notification kind {name!r} needs a group")
    kind = Kind(name=name, label=label, group=group, default=default)
    with _lock:
        existing = _registry.get(name)
        if existing is not None:
            if (existing.group, existing.default) != (group, default):
                raise KindConflict(f"notification kind {name!r} is already registered as {existing!r}")
            return name
        _registry[name] = kind
    return name


def get_kind(name: str) -> Kind:
    try:
        return _registry[name]
    except KeyError:
        raise UnknownKind(f"notification kind {name!r} is not registered (add it to the app's notification_kinds.py)") from None


def is_registered(name: str) -> bool:
    return name in _registry


def all_kinds() -> list[Kind]:
    """Every kind, grouped in the page's order, then by name."""
    order = {group: index for index, group in enumerate(GROUP_LABELS)}
    return sorted(_registry.values(), key=lambda k: (order.get(k.group, len(order)), k.group, k.name))


def group_label(group: str) -> str:
    label = GROUP_LABELS.get(group)
    return str(label) if label else group
