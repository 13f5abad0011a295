"""Who may open which page of the Django admin, and which rows it shows them.

The admin is a back office for looking things up; every write of Dossier goes through the services
(access check, audit event in the same transaction), so the admin's own add/change/delete forms
are closed for every model. The few writes the admin offers (users, departments) are small forms
that call the accounts services, which check the policy again.

Access is keyed on the role, never on Django's `is_staff`, `is_superuser` or model permissions:

* the admin site: the admin and compliance roles (active staff only);
* users, departments, API tokens (no keys: only their hashes are stored), tags and the CRM: the
  admin role;
* documents: the admin and compliance roles, each seeing only the documents `visible()` gives them
  (a confidential or secret document is not there for an administrator either);
* the audit trail: the compliance role, as in the staff UI's audit console.

Rows are narrowed with the policy's `visible()` wherever the policy's rule table has the model, and
through the parent row (a quote's lines follow the quote) where it has not.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet

from backend.access.policy.actions import Action
from backend.access.policy.registry import has_rules, visible
from backend.access.policy.users import is_active_staff
from backend.accounts.models import Role

ADMIN_SITE_ROLES = frozenset({Role.ADMIN, Role.COMPLIANCE})

# model label -> roles that may view its admin pages
_VIEW_ROLES: dict[str, frozenset[str]] = {
    "accounts.user": frozenset({Role.ADMIN}),
    "accounts.department": frozenset({Role.ADMIN}),
    "accounts.apitoken": frozenset({Role.ADMIN}),
    "documents.document": frozenset({Role.ADMIN, Role.COMPLIANCE}),
    "documents.tag": frozenset({Role.ADMIN}),
    "audit.auditevent": frozenset({Role.COMPLIANCE}),
    # e-mail and SMS deliveries with their attempts and last error (backend/notifications): admins see failures
    "notifications.deliveryrecord": frozenset({Role.ADMIN}),
}
_APP_VIEW_ROLES: dict[str, frozenset[str]] = {
    "crm": frozenset({Role.ADMIN}),
}

# Models whose admin offers forms that call the accounts services (the services check again).
_MANAGE_ROLES: dict[str, frozenset[str]] = {
    "accounts.user": frozenset({Role.ADMIN}),
    "accounts.department": frozenset({Role.ADMIN}),
}

# Models without a rule of their own in the policy: visible when their parent row is.
_PARENT: dict[str, tuple[str, str]] = {
    # label: (lookup of the parent's id, parent model label)
    "crm.accountteammember": ("customer_id", "crm.customer"),
    "crm.opportunitystagechange": ("opportunity_id", "crm.opportunity"),
    "crm.quoteline": ("quote_id", "crm.quote"),
    "crm.orderline": ("order_id", "crm.order"),
    "crm.payment": ("order_id", "crm.order"),
}


def may_use_admin_site(user) -> bool:
    return is_active_staff(user) and user.role in ADMIN_SITE_ROLES


def _roles_for(label: str) -> frozenset[str]:
    return _VIEW_ROLES.get(label) or _APP_VIEW_ROLES.get(label.split(".", 1)[0], frozenset())


def admin_may_view(user, model) -> bool:
    return may_use_admin_site(user) and user.role in _roles_for(model._meta.label_lower)


def admin_may_manage(user, model) -> bool:
    """May `user` use the admin's service-backed forms for `model` (the services decide each case)."""
    return may_use_admin_site(user) and user.role in _MANAGE_ROLES.get(model._meta.label_lower, frozenset())


def admin_queryset(user, queryset: QuerySet) -> QuerySet:
    """The rows of `queryset` the admin may show `user`: none unless they may view the model at all."""
    model = queryset.model
    label = model._meta.label_lower
    if not admin_may_view(user, model):
        return queryset.none()
    if has_rules(model):
        return visible(user, queryset, Action.VIEW)
    if label in _PARENT:
        lookup, parent_label = _PARENT[label]
        from django.apps import apps

        parent = apps.get_model(parent_label)
        return queryset.filter(**{f"{lookup}__in": visible(user, parent._default_manager.all(), Action.VIEW)
                                  .values("pk")})
    if label in _VIEW_ROLES:
        return queryset  # accounts, tags and the audit trail: the role rule above is the whole rule
    raise TypeError(f"no admin access rule for {model.__name__}")


class _NoForms:
    """Django's add, change and delete forms, closed for everyone (superusers included)."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class PolicyModelAdmin(_NoForms, admin.ModelAdmin):
    """A read-only admin page whose access and rows come from this module, for every registered model.

    Django's add/change/delete forms are closed for everyone (superusers included); writes the admin
    offers are separate views calling the services (see backend/accounts/admin.py).
    """

    list_per_page = 50
    show_full_result_count = False  # no COUNT(*) over large tables on every page

    def has_module_permission(self, request) -> bool:
        return admin_may_view(request.user, self.model)

    def has_view_permission(self, request, obj=None) -> bool:
        return admin_may_view(request.user, self.model)

    def get_queryset(self, request):
        return admin_queryset(request.user, super().get_queryset(request))

    def get_list_select_related(self, request):
        """The foreign keys the list shows, joined in its one query (unless the page names its own)."""
        if self.list_select_related:
            return self.list_select_related
        foreign_keys = {field.name for field in self.model._meta.concrete_fields if field.many_to_one}
        return tuple(name for name in self.list_display if name in foreign_keys)


class PolicyInline(_NoForms, admin.TabularInline):
    """Rows shown inside a visible parent's page, read-only (every field in `fields`)."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields or ()

    def has_view_permission(self, request, obj=None) -> bool:
        return admin_may_view(request.user, self.parent_model)
