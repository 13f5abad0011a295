"""Audit event types of people and their access: portal accounts, invitations, portal sign-ins."""

from backend.audit.events import register

register("portal.account.invited", "Staff invited a customer contact to the portal (an e-mail with a link was sent).")
register("portal.account.activated", "A customer contact accepted a portal invitation and set a password.")
register("portal.account.disabled", "Staff disabled a portal user; their sessions ended at once.")
register("portal.account.enabled", "Staff enabled a disabled portal user again.")
register("portal.invitation.refused", "A portal invitation link was used after it expired, was used or was withdrawn.")
register("portal.signed_in", "A portal user signed in.")
register("portal.signed_out", "A portal user signed out.")
register("portal.sign_in_failed", "A portal sign-in was refused (wrong e-mail or password, disabled or locked).")
register("portal.account.locked", "Too many wrong passwords: the portal account is locked for a while.")
register("staff.sign_in_locked", "Too many failed staff sign-ins for a user name: it must wait before trying again.")
register("api.sign_in_failed", "A sign-in through the API (token or browsable API) was refused.")
