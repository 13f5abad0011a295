"""Audit event types of the portal's accounts: invitations, activation, disable/enable, portal sign-ins.

Registered by the accounts app until the portal accounts moved here; the names are part of the trail
and did not change. (The share events are registered in backend/documents/audit_events.py.)
"""

from django.utils.translation import gettext_lazy as _

from backend.audit.events import register

register("portal.account.invited", "Staff invited a customer contact to the portal (an e-mail with a link was sent).",
         label=_("Invited a contact to the portal"))
register("portal.account.activated", "A customer contact accepted a portal invitation and set a password.",
         label=_("Activated a portal account"))
register("portal.account.disabled", "Staff disabled a portal user; their sessions ended at once.", label=_("Disabled a portal account"))
register("portal.account.enabled", "Staff enabled a disabled portal user again.", label=_("Enabled a portal account"))
register("portal.invitation.refused", "A portal invitation link was used after it expired, was used or was withdrawn.",
         label=_("Portal invitation link refused"))
register("portal.signed_in", "A portal user signed in.", label=_("Signed in to the portal"))
register("portal.signed_out", "A portal user signed out.", label=_("Signed out of the portal"))
register("portal.sign_in_failed", "A portal sign-in was refused (wrong e-mail or password, disabled or locked).",
         label=_("Portal sign-in refused"))
register("portal.account.locked", "Too many wrong passwords: the portal account is locked for a while.",
         label=_("Portal account locked"))
