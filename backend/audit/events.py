"""The registry of audit event types.

Every event has a stable dotted name (``document.version.downloaded``) and a
one-line description. Names are part of the trail's meaning: once recorded,
a name is never renamed or reused for something else.

Other apps add their own types in a module named ``audit_events.py``; the
audit app imports every such module when Django starts (like ``admin.py``)::

    # backend/crm/audit_events.py
    from backend.audit.events import register

    QUOTE_SENT = register("crm.quote.sent", "A quote was sent to a customer contact.")

and then record with the constant: ``record(QUOTE_SENT, actor=user, target=quote)``.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class EventType:
    name: str
    description: str
    # What the compliance console shows: a short, translatable phrase (gettext_lazy), such as
    # "Downloaded a version" / "下载了版本". Empty until every app labels its types.
    label: Any = ""

    @property
    def display(self) -> str:
        """The label in the active language; the dotted name only when no label was given."""
        return str(self.label) if self.label else self.name


class EventTypeConflict(ValueError):
    """The name is already registered with a different description."""


_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
_MAX_NAME_LENGTH = 100  # AuditEvent.event_type

_registry: dict[str, EventType] = {}
_lock = threading.Lock()


def register(name: str, description: str, label: Any = "") -> str:
    """Add an event type and return its name. Registering it again unchanged is harmless.

    `label` is the short phrase people read (pass a gettext_lazy string, translated in the catalogue).
    """
    if not isinstance(name, str) or not _NAME_RE.match(name) or len(name) > _MAX_NAME_LENGTH:
        raise ValueError(
            f"audit event names are lowercase dotted words such as 'document.viewed', got {name!r}"
        )
    description = " ".join(str(description).split())
    if not description:
        raise ValueError(f"audit event type {name!r} needs a description")
    with _lock:
        existing = _registry.get(name)
        if existing is not None:
            if existing.description != description:
                raise EventTypeConflict(
                    f"audit event type {name!r} is already registered as {existing.description!r}"
                )
            return name
        _registry[name] = EventType(name=name, description=description, label=label)
    return name


def is_registered(name: str) -> bool:
    return name in _registry


def event_type(name: str) -> EventType:
    """The registered type, or KeyError."""
    return _registry[name]


def all_event_types() -> list[EventType]:
    """Every registered type, sorted by name."""
    return sorted(_registry.values(), key=lambda item: item.name)


# --- documents ---------------------------------------------------------------
DOCUMENT_CREATED = register("document.created", "A document was created.")
DOCUMENT_VIEWED = register("document.viewed", "A document's details were viewed.")
DOCUMENT_UPDATED = register("document.updated", "A document's metadata was changed.")
DOCUMENT_DELETED = register("document.deleted", "A document was deleted.")
DOCUMENT_VERSION_UPLOADED = register(
    "document.version.uploaded", "A new version of a document was uploaded."
)
DOCUMENT_VERSION_DOWNLOADED = register(
    "document.version.downloaded", "A version's content was downloaded through the application."
)
DOCUMENT_VERSION_DOWNLOAD_URL_ISSUED = register(
    "document.version.download_url_issued",
    "A time-limited direct download URL for a version was issued.",
)
DOCUMENT_VERSION_CHECKSUM_FAILED = register(
    "document.version.checksum_failed",
    "A version's stored content no longer matched its recorded checksum.",
)
DOCUMENT_VERSION_STATUS_CHANGED = register(
    "document.version.status_changed",
    "A version's status changed (draft, approved, superseded, expired).",
)
DOCUMENT_VERSION_RESTORED = register(
    "document.version.restored", "An earlier version was restored as a new version."
)
DOCUMENT_CHECKED_OUT = register("document.checked_out", "A document was checked out for editing.")
DOCUMENT_CHECKED_IN = register("document.checked_in", "A checked-out document was checked in.")
DOCUMENT_LOCK_BROKEN = register(
    "document.lock_broken", "Someone else's check-out lock on a document was broken."
)
DOCUMENT_PERMISSION_GRANTED = register(
    "document.permission.granted", "Access to a document was granted to a user or group."
)
DOCUMENT_PERMISSION_REVOKED = register(
    "document.permission.revoked", "Access to a document was revoked from a user or group."
)
DOCUMENT_ACCESS_LISTED = register(
    "document.access.listed", "Someone asked who can access a document."
)
DOCUMENT_ACCESS_DENIED = register(
    "document.access.denied", "An attempt to use a document was refused."
)

# --- the trail itself --------------------------------------------------------
AUDIT_CHAIN_VERIFIED = register(
    "audit.chain.verified", "The audit trail's hash chain was verified."
)
