from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from backend.accounts.models import Department, User


@admin.register(User)
class DossierUserAdmin(UserAdmin):
    list_display = ("username", "display_name", "role", "department", "is_active")
    list_filter = ("role", "department", "is_active")
    fieldsets = UserAdmin.fieldsets + (
        ("Dossier", {"fields": ("display_name", "role", "department", "preferred_language")}),
    )


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("code", "name")
