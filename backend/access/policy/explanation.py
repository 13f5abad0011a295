"""The shape of "who can access this document, and through which rule" (document_access_explanation)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class AccessRule:
    """One reason some principal can access a document."""

    principal_type: str  # "user", "group", "department", "role", "everyone", "customer"
    principal_id: int | None
    principal_label: str
    actions: tuple[str, ...]
    via: str  # "owner", "grant", "classification:public", "department", "role:admin", "share", ...
    members: tuple[dict, ...] = field(default_factory=tuple)
    # For via="share": the share the customer's portal users read the document through.
    share: ShareAccess | None = None


@dataclass(frozen=True)
class ShareAccess:
    """A share as "who can access this" explains it."""

    id: int
    downloadable: bool  # False: view-only (pages rendered as images; the file is never sent)
    version: int | None  # the pinned version's number; None: follows the valid version
    expires_at: object  # datetime | None
    expired: bool
    suspended: bool
    suspended_at: object  # datetime | None
    suspended_reason: str
    voucher: dict  # {"id", "label"}: who re-confirmed the share, else who created it
    vouched: bool  # the voucher may still share the document (may_vouch_for_share)
    in_force: bool  # portal users can open it now: not expired, not suspended, vouched for
