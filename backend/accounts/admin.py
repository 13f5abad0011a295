"""Users, departments and API tokens in the admin.

The pages themselves are read-only (Django's own forms would change roles, groups, departments and
passwords without a policy check or an audit event). Every change is a small form or an admin
action that calls an accounts service, which checks the rule (administrators only, nobody on
themselves) and records the audit event in the same transaction.

Django's Group admin is removed: a department's group carries the document grants made to that
department, and its membership follows the department (accounts.services.user_move_department).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import password_validators_help_text_html, validate_password
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from backend.access.policy.admin import PolicyModelAdmin, admin_may_manage
from backend.accounts import services as accounts
from backend.accounts.models import ApiToken, Department, Role, User
from backend.common.errors import DomainError

if admin.site.is_registered(Group):
    admin.site.unregister(Group)

STAFF_ROLES = [(value, label) for value, label in Role.choices if value != Role.PORTAL]


# --- the forms behind each change ------------------------------------------------------------------


class _PasswordFields(forms.Form):
    password1 = forms.CharField(label=_("Password"), strip=False, widget=forms.PasswordInput(render_value=False),
                                help_text=password_validators_help_text_html())
    password2 = forms.CharField(label=_("Password (again)"), strip=False, widget=forms.PasswordInput)

    def __init__(self, *args, user=None, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords differ."))
        elif first:
            try:
                validate_password(first, user=self.user)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned


class UserCreateForm(_PasswordFields):
    username = forms.RegexField(label=_("User name"), max_length=150, regex=r"^[\w.+-]+$",
                                help_text=_("Letters, digits and . + - _ only."))
    display_name = forms.CharField(label=_("Display name"), max_length=150, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    role = forms.ChoiceField(label=_("Role"), choices=STAFF_ROLES, initial=Role.STAFF)
    department = forms.ModelChoiceField(label=_("Department"), queryset=Department.objects.all(), required=False)
    field_order = ["username", "display_name", "email", "role", "department", "password1", "password2"]


class UserRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=STAFF_ROLES)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, initial={"role": user.role}, **kwargs)


class UserDepartmentForm(forms.Form):
    department = forms.ModelChoiceField(
        label=_("Department"), queryset=Department.objects.all(), required=False,
        help_text=_("Access granted to the old department ends with the move."))

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, initial={"department": user.department_id}, **kwargs)


class UserGroupsForm(forms.Form):
    groups = forms.ModelMultipleChoiceField(
        label=_("Groups"), required=False, widget=forms.CheckboxSelectMultiple,
        queryset=Group.objects.filter(department__isnull=True).order_by("name"),
        help_text=_("Department groups follow the department: move the user to change them."))

    def __init__(self, *args, user=None, **kwargs):
        initial = {"groups": list(user.groups.filter(department__isnull=True).values_list("pk", flat=True))}
        super().__init__(*args, initial=initial, **kwargs)


class DepartmentCreateForm(forms.Form):
    code = forms.SlugField(label=_("Code"), max_length=40)
    name = forms.CharField(label=_("Name"), max_length=120)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)


def _groups_change(actor, user, data):
    wanted = set(data["groups"])
    current = set(user.groups.filter(department__isnull=True))
    return accounts.user_groups_change(actor=actor, user=user, add=wanted - current, remove=current - wanted)


# The pages under a user's admin page that change them through a service:
# URL name -> (form, title, message when done, apply(actor, user, cleaned data)).
USER_OPERATIONS = {
    "role": (UserRoleForm, _("Change role"), _("The role was changed."),
             lambda actor, user, data: accounts.user_role_change(actor=actor, user=user, role=data["role"])),
    "department": (UserDepartmentForm, _("Move to another department"), _("The user was moved."),
                   lambda actor, user, data: accounts.user_move_department(actor=actor, user=user,
                                                                           department=data["department"])),
    "groups": (UserGroupsForm, _("Change groups"), _("The groups were changed."), _groups_change),
    "password": (_PasswordFields, _("Set password"), _("The password was set; the user's API tokens were revoked."),
                 lambda actor, user, data: accounts.user_password_set(actor=actor, user=user,
                                                                      password=data["password1"])),
}


class ServiceFormsMixin:
    """Admin pages of forms that call a service: `_operation` renders the form and applies it."""

    operation_template = "admin/accounts/operation_form.html"

    def _operation(self, request, object_id, *, form_class, title, apply, done):
        if not admin_may_manage(request.user, self.model):
            raise PermissionDenied
        obj = None
        if object_id is not None:
            obj = self.get_object(request, unquote(object_id))
            if obj is None:
                return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        form = form_class(request.POST if request.method == "POST" else None, user=obj)
        if request.method == "POST" and form.is_valid():
            try:
                result = apply(request.user, obj, form.cleaned_data)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(request, done, messages.SUCCESS)
                return HttpResponseRedirect(
                    reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[result.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "subtitle": str(obj) if obj is not None else None,
            "form": form,
            "opts": self.opts,
            "original": obj,
            "media": self.media + form.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.operation_template, context)


# --- users ------------------------------------------------------------------------------------------


@admin.register(User)
class DossierUserAdmin(ServiceFormsMixin, PolicyModelAdmin):
    list_display = ("username", "display_name", "role", "department", "is_active", "last_login")
    list_filter = ("role", "department", "is_active")
    search_fields = ("username", "display_name", "email")
    fields = ("username", "display_name", "first_name", "last_name", "email", "role", "department", "group_names",
              "is_active", "is_staff", "is_superuser", "preferred_language", "api_tokens", "last_login",
              "date_joined")
    readonly_fields = fields
    actions = ["deactivate_users", "activate_users", "revoke_api_tokens"]
    change_form_template = "admin/accounts/user/change_form.html"

    def has_add_permission(self, request, obj=None) -> bool:
        return admin_may_manage(request.user, self.model)

    def has_manage_permission(self, request) -> bool:
        return admin_may_manage(request.user, self.model)

    @admin.display(description=_("groups"))
    def group_names(self, obj: User) -> str:
        return ", ".join(sorted(obj.groups.values_list("name", flat=True))) or "-"

    @admin.display(description=_("API tokens"))
    def api_tokens(self, obj: User) -> str:
        alive = obj.api_tokens.filter(expires_at__gt=timezone.now()).count()
        return str(alive)

    def get_urls(self):
        def view(name, form_class, title, done, apply):
            def operation(request, object_id):
                return self._operation(request, object_id, form_class=form_class, title=str(title), done=str(done),
                                       apply=apply)

            return path(f"<path:object_id>/{name}/", self.admin_site.admin_view(operation),
                        name=f"accounts_user_{name}")

        return [view(name, *operation) for name, operation in USER_OPERATIONS.items()] + super().get_urls()

    def add_view(self, request, form_url="", extra_context=None):
        return self._operation(
            request, None, form_class=UserCreateForm, title=gettext("Add user"), done=gettext("The user was added."),
            apply=lambda actor, _user, data: accounts.user_create(
                actor=actor, username=data["username"], password=data["password1"], role=data["role"],
                department=data["department"], display_name=data["display_name"], email=data["email"]))

    def _each(self, request, queryset, apply, done: str) -> None:
        changed, refused = 0, []
        for user in queryset:
            try:
                if apply(user):
                    changed += 1
            except DomainError as exc:
                refused.append(f"{user.username}: {exc.message}")
        self.message_user(request, done % {"count": changed}, messages.SUCCESS)
        for line in refused:
            self.message_user(request, line, messages.ERROR)

    @admin.action(description=_("Deactivate the selected users (ends their sessions and API tokens)"),
                  permissions=["manage"])
    def deactivate_users(self, request, queryset):
        self._each(request, queryset.filter(is_active=True),
                   lambda user: accounts.user_active_set(actor=request.user, user=user, active=False),
                   gettext("Deactivated %(count)d users."))

    @admin.action(description=_("Activate the selected users"), permissions=["manage"])
    def activate_users(self, request, queryset):
        self._each(request, queryset.filter(is_active=False),
                   lambda user: accounts.user_active_set(actor=request.user, user=user, active=True),
                   gettext("Activated %(count)d users."))

    @admin.action(description=_("Revoke the selected users' API tokens"), permissions=["manage"])
    def revoke_api_tokens(self, request, queryset):
        self._each(request, queryset,
                   lambda user: accounts.api_tokens_revoke(actor=request.user, user=user, reason="admin"),
                   gettext("Revoked the API tokens of %(count)d users."))


# --- departments -------------------------------------------------------------------------------------


@admin.register(Department)
class DepartmentAdmin(ServiceFormsMixin, PolicyModelAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")
    fields = ("code", "name", "group")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return admin_may_manage(request.user, self.model)

    def add_view(self, request, form_url="", extra_context=None):
        return self._operation(
            request, None, form_class=DepartmentCreateForm, title=gettext("Add department"),
            done=gettext("The department was added."),
            apply=lambda actor, _obj, data: accounts.department_create(actor=actor, code=data["code"],
                                                                       name=data["name"]))


# --- API tokens (the keys are not stored: nothing here lets anyone act as someone else) --------------


@admin.register(ApiToken)
class ApiTokenAdmin(PolicyModelAdmin):
    list_display = ("user", "created_at", "expires_at")
    search_fields = ("user__username",)
    fields = ("user", "created_at", "expires_at")
    readonly_fields = fields
