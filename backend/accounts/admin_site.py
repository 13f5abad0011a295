"""Dossier's Django admin site.

Django's own site lets in anyone with `is_staff` (and lets a superuser do everything), signs people
in with a form that no sign-in limit counts and no audit event records, and changes passwords
without the accounts services (no audit event, API tokens left alive). This site:

* lets in the roles the access policy names (backend.access.policy.admin), whatever `is_staff` or
  `is_superuser` say; what each role may open there is decided per model by the same module;
* sends sign-in to the staff sign-in page (counted, locked out, audited);
* changes the signed-in person's own password through `accounts.services.user_password_set`.

It is installed in place of "django.contrib.admin" (settings.INSTALLED_APPS names
backend.accounts.admin_apps.DossierAdminConfig), so `django.contrib.admin.site` is this site and every app's admin.py
registers on it as usual.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


class DossierAdminSite(admin.AdminSite):
    site_header = gettext_lazy("Dossier administration")
    site_title = gettext_lazy("Dossier administration")

    def has_permission(self, request) -> bool:
        from backend.access.policy.admin import may_use_admin_site

        return may_use_admin_site(request.user)

    def login(self, request, extra_context=None):
        """The staff sign-in page, which counts failures and audits them; then back here."""
        if request.method == "GET" and self.has_permission(request):
            return HttpResponseRedirect(reverse("admin:index", current_app=self.name))
        target = request.GET.get("next") or reverse("admin:index", current_app=self.name)
        return redirect_to_login(target)

    def password_change(self, request, extra_context=None):
        """Change one's own password (old one required) through the accounts service."""
        from backend.accounts import services as accounts

        if request.method == "POST":
            form = PasswordChangeForm(request.user, request.POST)
            if form.is_valid():
                accounts.user_password_set(actor=request.user, user=request.user,
                                           password=form.cleaned_data["new_password1"])
                update_session_auth_hash(request, request.user)
                messages.success(request, _("Your password was changed; your API tokens were revoked."))
                return HttpResponseRedirect(reverse("admin:index", current_app=self.name))
        else:
            form = PasswordChangeForm(request.user)
        context = {
            **self.each_context(request),
            "form": form,
            "form_url": "",
            "title": _("Password change"),
            "subtitle": None,
            **(extra_context or {}),
        }
        request.current_app = self.name
        return TemplateResponse(request, "registration/password_change_form.html", context)
