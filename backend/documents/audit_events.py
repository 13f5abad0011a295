"""Audit event types of document shares (the portal's reads are recorded by the sharing services)."""

from django.utils.translation import gettext_lazy as _

from backend.audit.events import register

register("document.share.created", "Staff shared a document with a customer's portal users.",
         label=_("Shared a document with a customer"))
register("document.share.revoked", "Staff withdrew a document share from a customer.",
         label=_("Withdrew a document share"))
register("portal.share.viewed", "A portal user opened a shared document's page (refused when the share expired).",
         label=_("Opened a shared document"))
register("portal.share.downloaded", "A portal user downloaded a shared document (refused for view-only shares).",
         label=_("Downloaded a shared document"))
register("document.share.listed", "Staff listed a document's shares with customers (and who opened them).",
         label=_("Listed a document's shares"))
register("portal.share.listed", "A portal user listed the documents shared with their customer.",
         label=_("Listed shared documents in the portal"))
register("document.share.suspended",
         "A share was suspended because its document was raised to confidential or secret and whoever vouched "
         "for the share may not manage it.",
         label=_("Suspended a document share"))
register("document.share.reconfirmed",
         "Someone who may manage the document re-confirmed a share, lifting its suspension; they vouch for it now.",
         label=_("Re-confirmed a document share"))
register("portal.share.refused",
         "A portal user was refused a share that is suspended or whose sharer may no longer share the document.",
         label=_("Refused a suspended document share"))
