"""Writes for users and departments."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import transaction

from backend.accounts.models import Department, Role, User


@transaction.atomic
def department_create(*, code: str, name: str) -> Department:
    group, _ = Group.objects.get_or_create(name=f"dept:{code}")
    return Department.objects.create(code=code, name=name, group=group)


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str | None = None,
    role: str = Role.STAFF,
    department: Department | None = None,
    display_name: str = "",
    email: str = "",
    preferred_language: str = "en",
) -> User:
    user = User(
        username=username,
        role=role,
        department=department,
        display_name=display_name,
        email=email,
        preferred_language=preferred_language,
        is_staff=role == Role.ADMIN,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    if department is not None:
        user.groups.add(department.group)
    return user


@transaction.atomic
def user_move_department(*, user: User, department: Department | None) -> User:
    if user.department_id is not None:
        user.groups.remove(user.department.group)
    user.department = department
    user.save(update_fields=["department"])
    if department is not None:
        user.groups.add(department.group)
    return user
