"""Audit event types of documents: the constant every call site records with (never the string).

The document types themselves are registered by the audit app (backend/audit/events.py, where the
audit tests use them too) and named here; those of document shares are registered here (the portal's
reads are recorded by the sharing services).
"""

from django.utils.translation import gettext_lazy as _

from backend.audit.events import (  # noqa: F401 - the documents' names for them
    DOCUMENT_ACCESS_DENIED,
    DOCUMENT_ACCESS_LISTED,
    DOCUMENT_CHECKED_IN,
    DOCUMENT_CHECKED_OUT,
    DOCUMENT_CREATED,
    DOCUMENT_DELETED,
    DOCUMENT_LIST_SEARCHED,
    DOCUMENT_LOCK_BROKEN,
    DOCUMENT_PERMISSION_GRANTED,
    DOCUMENT_PERMISSION_REVOKED,
    DOCUMENT_UPDATED,
    DOCUMENT_VERSION_CHECKSUM_FAILED,
    DOCUMENT_VERSION_DOWNLOAD_URL_ISSUED,
    DOCUMENT_VERSION_DOWNLOADED,
    DOCUMENT_VERSION_PREVIEWED,
    DOCUMENT_VERSION_RESTORED,
    DOCUMENT_VERSION_STATUS_CHANGED,
    DOCUMENT_VERSION_UPLOADED,
    DOCUMENT_VIEWED,
    register,
)

DOCUMENT_SHARE_CREATED = register("document.share.created", "Staff shared a document with a customer's portal users.",
         label=_("Shared a document with a customer"))
DOCUMENT_SHARE_REVOKED = register("document.share.revoked", "Staff withdrew a document share from a customer.",
         label=_("Withdrew a document share"))
PORTAL_SHARE_VIEWED = register("portal.share.viewed", "A portal user opened a shared document's page (refused when the share expired).",
         label=_("Opened a shared document"))
PORTAL_SHARE_DOWNLOADED = register("portal.share.downloaded", "A portal user downloaded a shared document (refused for view-only shares).",
         label=_("Downloaded a shared document"))
DOCUMENT_SHARE_LISTED = register("document.share.listed", "Staff listed a document's shares with customers (and who opened them).",
         label=_("Listed a document's shares"))
PORTAL_SHARE_LISTED = register("portal.share.listed", "A portal user listed the documents shared with their customer.",
         label=_("Listed shared documents in the portal"))
DOCUMENT_SHARE_SUSPENDED = register("document.share.suspended",
         "A share was suspended because its document was raised to confidential or secret and whoever vouched "
         "for the share may not manage it.",
         label=_("Suspended a document share"))
DOCUMENT_SHARE_RECONFIRMED = register("document.share.reconfirmed",
         "Someone who may manage the document re-confirmed a share, lifting its suspension; they vouch for it now.",
         label=_("Re-confirmed a document share"))
PORTAL_SHARE_REFUSED = register("portal.share.refused",
         "A portal user was refused a share that is suspended or whose sharer may no longer share the document.",
         label=_("Refused a suspended document share"))
