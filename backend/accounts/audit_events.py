"""Audit event types of staff users, departments, groups, API tokens and staff sign-ins.

Those of portal accounts, invitations and portal sign-ins are registered by the sharing app
(backend/sharing/audit_events.py); their names did not change when they moved.
"""

from django.utils.translation import gettext_lazy as _

from backend.audit.events import register

# One line a type: its stable name, a description and a short translated label.
STAFF_SIGN_IN_LOCKED = register("staff.sign_in_locked", "Too many failed staff sign-ins for a user name: it must wait before trying again.", label=_("Staff sign-in locked"))
API_SIGN_IN_FAILED = register("api.sign_in_failed", "A sign-in through the API (token or browsable API) was refused.", label=_("API sign-in refused"))

# --- staff users, departments, groups and API tokens (backend.accounts.services) -------------------
USER_CREATED = register("accounts.user.created", "An administrator created a staff user.", label=_("Created a user"))
USER_ROLE_CHANGED = register("accounts.user.role_changed", "An administrator changed a user's role.", label=_("Changed a user's role"))
USER_DEPARTMENT_CHANGED = register("accounts.user.department_changed", "An administrator moved a user to another department (the old department's group membership was removed).", label=_("Moved a user to another department"))
USER_GROUPS_CHANGED = register("accounts.user.groups_changed", "An administrator changed a user's groups.", label=_("Changed a user's groups"))
USER_PASSWORD_SET = register("accounts.user.password_set", "A user's password was set, by the user or an administrator; their API tokens were revoked.", label=_("Set a user's password"))
USER_ACTIVATED = register("accounts.user.activated", "An administrator activated a user.", label=_("Activated a user"))
USER_DEACTIVATED = register("accounts.user.deactivated", "An administrator deactivated a user; their sessions and API tokens ended.", label=_("Deactivated a user"))
DEPARTMENT_CREATED = register("accounts.department.created", "An administrator created a department.", label=_("Created a department"))
ACCOUNTS_CHANGE_DENIED = register("accounts.change.denied", "A change to users, departments or groups was refused (not an administrator, or a change to oneself).", label=_("User change refused"))
API_SIGNED_IN = register("api.signed_in", "A staff user signed in through the API and was issued a token.", label=_("API token sign-in"))
API_TOKENS_REVOKED = register("api.tokens.revoked", "A user's API tokens were revoked (password set, deactivated, disabled or by hand).", label=_("Revoked API tokens"))
