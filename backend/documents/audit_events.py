"""Audit event types of documents: the constant every call site records with (never the string).

The document types themselves are registered by the audit app (backend/audit/events.py, where the
audit tests use them too) and named here. Those of document shares are registered with the shares, in
backend/sharing/audit_events.py.
"""

from django.utils.translation import gettext_lazy as _

from backend.audit.events import register
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
)

# Registered here (one line a type: the constant = its stable name, a description and a short label).
DOCUMENT_OWNER_TRANSFERRED = register("document.owner.transferred", "A document was handed to another owner.", label=_("Handed a document to another owner"))
DOCUMENT_BULK_APPLIED = register("document.bulk.applied", "A bulk action ran on a selection of documents; the detail lists each document as done, unchanged or refused (and why).", label=_("Ran a bulk action on documents"))
# Retention and disposal review (backend/documents/retention.py).
DOCUMENT_RETENTION_POLICY_SAVED = register("document.retention.policy_saved", "A retention policy was created or changed; the detail gives its scope, event and period (and what changed).", label=_("Saved a retention policy"))
DOCUMENT_RETENTION_PRODUCT_SET = register("document.retention.product_set", "The product a piece of product material describes was set (it is kept while the product is active).", label=_("Set the product of product material"))
DOCUMENT_DISPOSAL_DUE = register("document.disposal.due", "A document reached its disposal date under its retention policy and went to the disposal review.", label=_("Document due for disposal review"))
DOCUMENT_DISPOSAL_EXTENDED = register("document.disposal.extended", "Compliance kept a document due for disposal until a later date, with a reason.", label=_("Kept a document longer"))
DOCUMENT_DISPOSAL_APPROVED = register("document.disposal.approved", "Compliance approved a document's disposal and it was purged: the disposal record (what, under which policy and why, who approved).", label=_("Disposed of a document"))
# The trash and legal holds (backend/documents/trash.py, holds.py).
DOCUMENT_TRASHED = register("document.trashed", "A document was moved to the trash (restorable until the trash window ends).", label=_("Moved a document to the trash"))
DOCUMENT_RESTORED = register("document.restored", "A document was restored from the trash.", label=_("Restored a document from the trash"))
DOCUMENT_PURGED = register("document.purged", "A document was deleted for good (purged from the trash, or an approved disposal); the detail names its versions, objects and why.", label=_("Deleted a document for good"))
LEGAL_HOLD_PLACED = register("document.legal_hold.placed", "A legal hold was placed on a document, a customer's documents or a named matter.", label=_("Placed a legal hold"))
LEGAL_HOLD_LIFTED = register("document.legal_hold.lifted", "A legal hold was lifted.", label=_("Lifted a legal hold"))
LEGAL_HOLD_CHANGED = register("document.legal_hold.changed", "Documents were added to or removed from a matter's legal hold.", label=_("Changed a legal hold's documents"))
# Watermarks (backend/documents/marks.py): a compliance officer looked up the code read off a marked page.
DOCUMENT_VIEW_MARK_RESOLVED = register("document.view_mark.resolved", "Compliance looked up a watermark code (read off a marked page or stamped file); the detail gives the code, whether it was found and the event it marks.", label=_("Looked up a watermark code"))
