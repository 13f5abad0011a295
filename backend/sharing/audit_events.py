"""Audit event types of the portal's domain: document shares (staff sharing, the portal's reads of them)
and portal accounts (invitations, activation, disable/enable, portal sign-ins).

Registered by the documents and accounts apps until shares and portal accounts moved here; the names
are part of the trail and did not change.
"""

from django.utils.translation import gettext_lazy as _

from backend.audit.events import register

# (name, description, label), one row a type; a row binds the constant its call sites record with.
_EVENTS = [
    ("portal.account.invited", "Staff invited a customer contact to the portal (an e-mail with a link was sent).", _("Invited a contact to the portal")),
    ("portal.account.activated", "A customer contact accepted a portal invitation and set a password.", _("Activated a portal account")),
    ("portal.account.disabled", "Staff disabled a portal user; their sessions ended at once.", _("Disabled a portal account")),
    ("portal.account.enabled", "Staff enabled a disabled portal user again.", _("Enabled a portal account")),
    ("portal.invitation.refused", "A portal invitation link was used after it expired, was used or was withdrawn.", _("Portal invitation link refused")),
    ("portal.signed_in", "A portal user signed in.", _("Signed in to the portal")),
    ("portal.signed_out", "A portal user signed out.", _("Signed out of the portal")),
    ("portal.sign_in_failed", "A portal sign-in was refused (wrong e-mail or password, disabled or locked).", _("Portal sign-in refused")),
    ("portal.account.locked", "Too many wrong passwords: the portal account is locked for a while.", _("Portal account locked")),
    (DOCUMENT_SHARE_CREATED := "document.share.created", "Staff shared a document with a customer's portal users.", _("Shared a document with a customer")),
    (DOCUMENT_SHARE_REVOKED := "document.share.revoked", "Staff withdrew a document share from a customer.", _("Withdrew a document share")),
    (PORTAL_SHARE_VIEWED := "portal.share.viewed", "A portal user opened a shared document's page (refused when the share expired).", _("Opened a shared document")),
    (PORTAL_SHARE_DOWNLOADED := "portal.share.downloaded", "A portal user downloaded a shared document (refused for view-only shares).", _("Downloaded a shared document")),
    (DOCUMENT_SHARE_LISTED := "document.share.listed", "Staff listed a document's shares with customers (and who opened them).", _("Listed a document's shares")),
    (PORTAL_SHARE_LISTED := "portal.share.listed", "A portal user listed the documents shared with their customer.", _("Listed shared documents in the portal")),
    (DOCUMENT_SHARE_SUSPENDED := "document.share.suspended", "A share was suspended because its document was raised to confidential or secret and whoever vouched for the share may not manage it.", _("Suspended a document share")),
    (DOCUMENT_SHARE_RECONFIRMED := "document.share.reconfirmed", "Someone who may manage the document re-confirmed a share, lifting its suspension; they vouch for it now.", _("Re-confirmed a document share")),
    (PORTAL_SHARE_REFUSED := "portal.share.refused", "A portal user was refused a share that is suspended or whose sharer may no longer share the document.", _("Refused a suspended document share")),
]
for _name, _description, _label in _EVENTS:
    register(_name, _description, label=_label)
