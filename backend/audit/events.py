"""The registry of audit event types.

Every event has a stable dotted name (``document.version.downloaded``), a
one-line description and a short translated label, the phrase people read in
the compliance console and exports ("Downloaded a version" / "下载了版本"). Names are part of the trail's meaning: once recorded,
a name is never renamed or reused for something else.

Other apps add their own types in a module named ``audit_events.py``; the
audit app imports every such module when Django starts (like ``admin.py``)::

    # backend/crm/audit_events.py
    from django.utils.translation import gettext_lazy as _

    from backend.audit.events import register

    QUOTE_SENT = register("crm.quote.sent", "A quote was sent to a customer contact.",
                          label=_("Sent a quote"))

and then record with the constant: ``record(QUOTE_SENT, actor=user, target=quote)``.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class EventType:
    name: str
    description: str
    # What the compliance console shows: a short, translatable phrase (gettext_lazy), such as
    # "Downloaded a version" / "下载了版本". Every type has one (tests/audit/test_labels.py).
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


def event_label(name: str) -> str:
    """The label of event type `name` in the active language; the name itself if it is not registered."""
    registered = _registry.get(name)
    return registered.display if registered is not None else name


def all_event_types() -> list[EventType]:
    """Every registered type, sorted by name."""
    return sorted(_registry.values(), key=lambda item: item.name)


# One line a type: its stable name, a description and a short translated label.
# --- documents (their app names them in backend/documents/audit_events.py) -------------------------
DOCUMENT_CREATED = register("document.created", "A document was created.", label=_("Created a document"))
DOCUMENT_VIEWED = register("document.viewed", "A document's details were viewed.", label=_("Viewed a document"))
DOCUMENT_UPDATED = register("document.updated", "A document's metadata was changed.", label=_("Changed a document's details"))
DOCUMENT_DELETED = register("document.deleted", "A document was deleted.", label=_("Deleted a document"))
DOCUMENT_VERSION_UPLOADED = register("document.version.uploaded", "A new version of a document was uploaded.", label=_("Uploaded a version"))
# Only when the bytes are sent as a file (a GET answered 200 or 206): never for HEAD, 304 or 416.
DOCUMENT_VERSION_DOWNLOADED = register("document.version.downloaded", "A version's content was downloaded through the application.", label=_("Downloaded a version"))
# Shown inline in the staff UI's preview frame: a read, but not a download.
DOCUMENT_VERSION_PREVIEWED = register("document.version.previewed", "A version was shown inline in the staff interface's preview (not downloaded).", label=_("Previewed a version"))
DOCUMENT_VERSION_DOWNLOAD_URL_ISSUED = register("document.version.download_url_issued", "A time-limited direct download URL for a version was issued.", label=_("Issued a download link"))
DOCUMENT_VERSION_CHECKSUM_FAILED = register("document.version.checksum_failed", "A version's stored content no longer matched its recorded checksum.", label=_("Stored file failed its checksum"))
DOCUMENT_VERSION_STATUS_CHANGED = register("document.version.status_changed", "A version's status changed (draft, approved, superseded, expired).", label=_("Changed a version's status"))
DOCUMENT_VERSION_RESTORED = register("document.version.restored", "An earlier version was restored as a new version.", label=_("Restored an earlier version"))
DOCUMENT_CHECKED_OUT = register("document.checked_out", "A document was checked out for editing.", label=_("Locked a document for editing"))
DOCUMENT_CHECKED_IN = register("document.checked_in", "A checked-out document was checked in.", label=_("Released a document's editing lock"))
DOCUMENT_LOCK_BROKEN = register("document.lock_broken", "Someone else's check-out lock on a document was broken.", label=_("Broke someone else's editing lock"))
DOCUMENT_PERMISSION_GRANTED = register("document.permission.granted", "Access to a document was granted to a user or group.", label=_("Granted access to a document"))
DOCUMENT_PERMISSION_REVOKED = register("document.permission.revoked", "Access to a document was revoked from a user or group.", label=_("Revoked access to a document"))
DOCUMENT_ACCESS_LISTED = register("document.access.listed", "Someone asked who can access a document.", label=_("Looked up who can access a document"))
DOCUMENT_ACCESS_DENIED = register("document.access.denied", "An attempt to use a document was refused.", label=_("Was refused a document"))
DOCUMENT_LIST_SEARCHED = register("document.list.searched", "Staff listed documents whose title matched a query (the query, filters and what was shown).", label=_("Searched the document list"))

# --- the trail itself ---------------------------------------------------------------------------
AUDIT_CHAIN_VERIFIED = register("audit.chain.verified", "The audit trail's hash chain was verified.", label=_("Verified the audit chain"))
AUDIT_ALERT_RAISED = register("audit.alert.raised", "A compliance alert rule fired (many downloads, secret documents read outside working hours, repeated refusals, a failed chain verification or a missing checkpoint) and the compliance officers were told (backend/audit/alerts.py).", label=_("Raised a compliance alert"))
