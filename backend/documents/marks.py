"""Per-viewer marks: who saw a document's pages (or downloaded it), when, from where, under a short code.

    issue_mark(viewer=, version=, request_meta=, purpose=, event=None) -> ViewerMark
    bind_mark(mark, event)                   the audit event of that view or download, for resolve_mark
    resolve_mark(actor=, code=) -> ResolvedMark   compliance: a code read off a page -> the view it marks

A mark is what `backend.documents.watermark` draws across a page image (staff previews, portal share
pages) and what stamped downloads stamp into a PDF (backend/documents/stamping.py). Each mark has a new
code (8 characters of Crockford's base32: no I, L, O or U, so it reads back unambiguously from a photo
or a printout), remembered as a `ViewMark` row with the audit event of the view or download it was made
for. Call `issue_mark` inside the same transaction as that event's `record()` and bind the event (pass
`event=`, or `bind_mark` once it is recorded): the code and the event commit or roll back together.

`resolve_mark` is for the compliance role only (the compliance console's rule), and every lookup is
itself recorded (`document.view_mark.resolved`), found or not.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from backend.access.policy import may_open_compliance_console
from backend.audit import services as audit
from backend.audit.context import current_request_context
from backend.audit.models import AuditEvent, canonical_ip
from backend.common.display_time import in_display_zone
from backend.common.errors import NotFound, PermissionDenied
from backend.documents.audit_events import DOCUMENT_VIEW_MARK_RESOLVED
from backend.documents.models import Classification, DocumentVersion, MarkPurpose, ViewMark

# Crockford's base32 alphabet: digits and letters without I, L, O, U.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 8
# What a reader may type for a look-alike character (Crockford's decoding rules).
_LOOK_ALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
# The classification as the mark shows it: Chinese and English side by side, whoever reads it.
_CLASSIFICATION_EN = {
    Classification.PUBLIC: "PUBLIC",
    Classification.INTERNAL: "INTERNAL",
    Classification.CONFIDENTIAL: "CONFIDENTIAL",
    Classification.SECRET: "SECRET",
}


@dataclass(frozen=True)
class ViewerMark:
    code: str  # 8 characters of Crockford base32, unique: finds the ViewMark row and its audit event
    viewer: str  # "王芳 (wang.fang)"; a portal user: "contact name <email> · Customer"
    when: datetime  # aware
    address: str  # the client's IP address ("" when unknown)
    classification: str  # "机密 / CONFIDENTIAL"

    @property
    def when_text(self) -> str:
        """The instant in the display zone (the site's TIME_ZONE by default): "2026-12-07 14:03"."""
        return f"{in_display_zone(self.when):%Y-%m-%d %H:%M}"

    def lines(self) -> list[str]:
        """The text drawn or stamped: who, when and from where, the classification and the code."""
        second = " · ".join(part for part in (self.when_text, self.address) if part)
        third = " · ".join(part for part in (self.classification, self.code) if part)
        return [self.viewer, second, third]


@dataclass(frozen=True)
class ResolvedMark:
    """What a code found: the mark's row and the audit event of the view or download it marked."""

    mark: ViewMark
    event: AuditEvent | None

    @property
    def code(self) -> str:
        return self.mark.code

    @property
    def document_id(self) -> int | None:
        return self.mark.version.document_id if self.mark.version_id else None


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(text: str) -> str:
    """What someone typed or read off a page, as a code: upper case, no spaces or dashes, look-alikes fixed."""
    cleaned = "".join(ch for ch in (text or "").upper() if ch not in " -_\t\n")
    return cleaned.translate(_LOOK_ALIKES)


def classification_label(classification: str) -> str:
    """"机密 / CONFIDENTIAL": the classification in Chinese and English (readable in both languages)."""
    if classification not in _CLASSIFICATION_EN:
        return ""
    with translation.override("zh-hans"):
        chinese = str(Classification(classification).label)
    return f"{chinese} / {_CLASSIFICATION_EN[classification]}"


def viewer_label(viewer) -> str:
    """Staff: "display name (account)". A portal user: "contact name <email> · Customer"."""
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return "?"
    account = getattr(viewer, "portal_account", None) if getattr(viewer, "is_portal_user", False) else None
    if account is not None:
        contact = account.contact
        email = contact.email or viewer.email
        person = f"{contact.name} <{email}>" if email else contact.name
        return f"{person} · {account.customer}"
    name, username = str(viewer), viewer.get_username()
    return username if name == username else f"{name} ({username})"


def _address(request_meta: Mapping[str, Any] | None) -> str:
    """The client's address: given as "address", else the request's (through trusted proxies, as the
    audit middleware read it), else REMOTE_ADDR of a request's META."""
    meta = request_meta or {}
    found = meta.get("address") or current_request_context().ip or meta.get("REMOTE_ADDR") or ""
    return canonical_ip(str(found)) or "" if found else ""


def issue_mark(*, viewer, version: DocumentVersion, request_meta: Mapping[str, Any] | None = None,
               purpose: str, event: AuditEvent | None = None) -> ViewerMark:
    """A new mark for `viewer` seeing (or downloading) `version`, remembered under its new code. Call it in
    the transaction that records the view's audit event; pass that `event` here or to `bind_mark`."""
    purpose = MarkPurpose(purpose)
    document = version.document
    label, address, when = viewer_label(viewer), _address(request_meta), timezone.now()
    while True:
        code = new_code()
        try:
            with transaction.atomic():
                ViewMark.objects.create(
                    code=code, event=event, version=version,
                    viewer=viewer if getattr(viewer, "is_authenticated", False) else None,
                    viewer_label=label[:300], document_title=document.title[:300], purpose=purpose,
                    address=address or None, classification=document.classification, created=when,
                )
        except IntegrityError:  # 32**8 codes: a repeat is rare, but possible
            continue
        return ViewerMark(code=code, viewer=label, when=when, address=address,
                          classification=classification_label(document.classification))


def bind_mark(mark: ViewerMark, event: AuditEvent | None) -> None:
    """The audit event of the view or download `mark` was made for (None when the trail is off: nothing to bind)."""
    if event is not None:
        ViewMark.objects.filter(code=mark.code).update(event=event)


def resolve_mark(*, actor, code: str) -> ResolvedMark:
    """Who viewed what, when and from where, for a code read off a page or a stamped file. Compliance only
    (anyone else: PermissionDenied, 404); NotFound for a code never issued. Every lookup is recorded."""
    if not may_open_compliance_console(actor):
        raise PermissionDenied()
    wanted = normalise_code(code)
    found = (ViewMark.objects.select_related("event", "version", "viewer").filter(code=wanted).first()
             if wanted else None)
    with transaction.atomic():
        audit.record(DOCUMENT_VIEW_MARK_RESOLVED, actor=actor, outcome="success" if found else "failure",
                     target=found.version.document if found and found.version_id else None,
                     detail={"code": wanted[:32], "found": found is not None,
                             "event": found.event_id if found else None})
    if found is None:
        raise NotFound("No watermark has this code.")
    return ResolvedMark(mark=found, event=found.event)
