"""Audit event types of the portal's domain: document shares (staff sharing, the portal's reads of them)
and portal accounts (invitations, activation, disable/enable, portal sign-ins).

Registered by the documents and accounts apps until shares and portal accounts moved here; the names
are part of the trail and did not change.
"""

from django.utils.translation import gettext_lazy as _

from backend.audit.events import register

# One line a type: its stable name, a description and a short translated label.
# --- portal accounts and sign-ins (backend.sharing.portal_accounts) ------------------------------------
PORTAL_ACCOUNT_INVITED = register("portal.account.invited", "Staff invited a customer contact to the portal (an e-mail with a link was sent).", label=_("Invited a contact to the portal"))
PORTAL_ACCOUNT_ACTIVATED = register("portal.account.activated", "A customer contact accepted a portal invitation and set a password.", label=_("Activated a portal account"))
PORTAL_ACCOUNT_DISABLED = register("portal.account.disabled", "Staff disabled a portal user; their sessions ended at once.", label=_("Disabled a portal account"))
PORTAL_ACCOUNT_ENABLED = register("portal.account.enabled", "Staff enabled a disabled portal user again.", label=_("Enabled a portal account"))
PORTAL_INVITATION_REFUSED = register("portal.invitation.refused", "A portal invitation link was used after it expired, was used or was withdrawn.", label=_("Portal invitation link refused"))
PORTAL_SIGNED_IN = register("portal.signed_in", "A portal user signed in.", label=_("Signed in to the portal"))
PORTAL_SIGNED_OUT = register("portal.signed_out", "A portal user signed out.", label=_("Signed out of the portal"))
PORTAL_SIGN_IN_FAILED = register("portal.sign_in_failed", "A portal sign-in was refused (wrong e-mail or password, disabled or locked).", label=_("Portal sign-in refused"))
PORTAL_ACCOUNT_LOCKED = register("portal.account.locked", "Too many wrong passwords for a portal e-mail address: that address and e-mail (or the e-mail, briefly) must wait.", label=_("Portal account locked"))
PORTAL_PASSWORD_RESET_REQUESTED = register("portal.password_reset.requested", "Someone asked for a portal password reset link for an e-mail address (sent only when an active account has it; the detail says which, the visitor is never told).", label=_("Asked for a portal password reset"))
PORTAL_PASSWORD_RESET_COMPLETED = register("portal.password_reset.completed", "A portal user set a new password through a reset link.", label=_("Reset a portal password"))
PORTAL_PASSWORD_RESET_REFUSED = register("portal.password_reset.refused", "A portal password reset link was used after it expired, was used or was withdrawn.", label=_("Portal password reset link refused"))

# --- document shares (backend.sharing.shares) ---------------------------------------------------------
DOCUMENT_SHARE_CREATED = register("document.share.created", "Staff shared a document with a customer's portal users.", label=_("Shared a document with a customer"))
DOCUMENT_SHARE_REVOKED = register("document.share.revoked", "Staff withdrew a document share from a customer.", label=_("Withdrew a document share"))
PORTAL_SHARE_VIEWED = register("portal.share.viewed", "A portal user opened a shared document's page (refused when the share expired).", label=_("Opened a shared document"))
PORTAL_SHARE_DOWNLOADED = register("portal.share.downloaded", "A portal user downloaded a shared document (refused for view-only shares).", label=_("Downloaded a shared document"))
DOCUMENT_SHARE_LISTED = register("document.share.listed", "Staff listed a document's shares with customers (and who opened them).", label=_("Listed a document's shares"))
PORTAL_SHARE_LISTED = register("portal.share.listed", "A portal user listed the documents shared with their customer.", label=_("Listed shared documents in the portal"))
DOCUMENT_SHARE_SUSPENDED = register("document.share.suspended", "A share was suspended because its document was raised to confidential or secret and whoever vouched for the share may not manage it.", label=_("Suspended a document share"))
DOCUMENT_SHARE_RECONFIRMED = register("document.share.reconfirmed", "Someone who may manage the document re-confirmed a share, lifting its suspension; they vouch for it now.", label=_("Re-confirmed a document share"))
PORTAL_SHARE_REFUSED = register("portal.share.refused", "A portal user was refused a share that is suspended or whose sharer may no longer share the document.", label=_("Refused a suspended document share"))
PORTAL_SHARE_PAGE_SHOWN = register("portal.share.page_shown", "A portal user was shown one page of a shared document, watermarked with their name; the detail gives the share, the page and the mark's code.", label=_("Was shown a page of a shared document"))
