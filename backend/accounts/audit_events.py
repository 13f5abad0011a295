"""Audit event types of people and their access: portal accounts, invitations, portal sign-ins."""

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
register("staff.sign_in_locked", "Too many failed staff sign-ins for a user name: it must wait before trying again.",
         label=_("Staff sign-in locked"))
register("api.sign_in_failed", "A sign-in through the API (token or browsable API) was refused.",
         label=_("API sign-in refused"))

# --- staff users, departments, groups and API tokens (backend.accounts.services) -------------------
USER_CREATED = register("accounts.user.created", "An administrator created a staff user.",
                        label=_("Created a user"))
USER_ROLE_CHANGED = register("accounts.user.role_changed", "An administrator changed a user's role.",
                             label=_("Changed a user's role"))
USER_DEPARTMENT_CHANGED = register(
    "accounts.user.department_changed",
    "An administrator moved a user to another department (the old department's group membership was removed).",
    label=_("Moved a user to another department"))
USER_GROUPS_CHANGED = register("accounts.user.groups_changed", "An administrator changed a user's groups.",
                               label=_("Changed a user's groups"))
USER_PASSWORD_SET = register("accounts.user.password_set",
                             "A user's password was set, by the user or an administrator; their API tokens were revoked.",
                             label=_("Set a user's password"))
USER_ACTIVATED = register("accounts.user.activated", "An administrator activated a user.",
                          label=_("Activated a user"))
USER_DEACTIVATED = register("accounts.user.deactivated",
                            "An administrator deactivated a user; their sessions and API tokens ended.",
                            label=_("Deactivated a user"))
DEPARTMENT_CREATED = register("accounts.department.created", "An administrator created a department.",
                              label=_("Created a department"))
ACCOUNTS_CHANGE_DENIED = register(
    "accounts.change.denied",
    "A change to users, departments or groups was refused (not an administrator, or a change to oneself).",
    label=_("User change refused"))
API_SIGNED_IN = register("api.signed_in", "A staff user signed in through the API and was issued a token.",
                         label=_("API token sign-in"))
API_TOKENS_REVOKED = register("api.tokens.revoked",
                              "A user's API tokens were revoked (password set, deactivated, disabled or by hand).",
                              label=_("Revoked API tokens"))
