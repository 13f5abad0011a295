"""Audit event types of staff users, departments, groups, API tokens and staff sign-ins.

Those of portal accounts, invitations and portal sign-ins are registered by the sharing app
(backend/sharing/audit_events.py); their names did not change when they moved.
"""

from django.utils.translation import gettext_lazy as _

from backend.audit.events import register

# (name, description, label), one row a type; a row binds the constant its call sites record with.
_EVENTS = [
    ("staff.sign_in_locked", "Too many failed staff sign-ins for a user name: it must wait before trying again.", _("Staff sign-in locked")),
    ("api.sign_in_failed", "A sign-in through the API (token or browsable API) was refused.", _("API sign-in refused")),
    (USER_CREATED := "accounts.user.created", "An administrator created a staff user.", _("Created a user")),
    (USER_ROLE_CHANGED := "accounts.user.role_changed", "An administrator changed a user's role.", _("Changed a user's role")),
    (USER_DEPARTMENT_CHANGED := "accounts.user.department_changed", "An administrator moved a user to another department (the old department's group membership was removed).", _("Moved a user to another department")),
    (USER_GROUPS_CHANGED := "accounts.user.groups_changed", "An administrator changed a user's groups.", _("Changed a user's groups")),
    (USER_PASSWORD_SET := "accounts.user.password_set", "A user's password was set, by the user or an administrator; their API tokens were revoked.", _("Set a user's password")),
    (USER_ACTIVATED := "accounts.user.activated", "An administrator activated a user.", _("Activated a user")),
    (USER_DEACTIVATED := "accounts.user.deactivated", "An administrator deactivated a user; their sessions and API tokens ended.", _("Deactivated a user")),
    (DEPARTMENT_CREATED := "accounts.department.created", "An administrator created a department.", _("Created a department")),
    (ACCOUNTS_CHANGE_DENIED := "accounts.change.denied", "A change to users, departments or groups was refused (not an administrator, or a change to oneself).", _("User change refused")),
    (API_SIGNED_IN := "api.signed_in", "A staff user signed in through the API and was issued a token.", _("API token sign-in")),
    (API_TOKENS_REVOKED := "api.tokens.revoked", "A user's API tokens were revoked (password set, deactivated, disabled or by hand).", _("Revoked API tokens")),
]
for _name, _description, _label in _EVENTS:
    register(_name, _description, label=_label)
