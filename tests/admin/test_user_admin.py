"""The admin's user and department pages change people only through the accounts services (audited)."""

from __future__ import annotations

import pytest

from backend.accounts.models import ApiToken, Department, Role, User
from backend.audit.models import AuditEvent
from tests import factories

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Brand-new-passphrase-2026"


@pytest.fixture
def admin_client(client):
    administrator = factories.UserFactory(username="root", role=Role.ADMIN, is_staff=True)
    client.force_login(administrator)
    client.administrator = administrator
    return client


def _event(name: str, **filters) -> AuditEvent:
    return AuditEvent.objects.get(event_type=name, **filters)


def test_the_user_page_is_read_only_and_shows_no_password_hash(admin_client):
    user = factories.UserFactory(username="nina")
    page = admin_client.get(f"/admin/accounts/user/{user.pk}/change/")
    assert page.status_code == 200
    assert user.password.encode() not in page.content and b'name="_save"' not in page.content
    # and each change is a link to a form that calls a service
    for change in ("role", "department", "groups", "password"):
        assert f"/admin/accounts/user/{user.pk}/{change}/".encode() in page.content
    # and the admin's own form cannot change the role
    response = admin_client.post(f"/admin/accounts/user/{user.pk}/change/", {"role": Role.ADMIN, "is_superuser": "on"})
    assert response.status_code == 403
    user.refresh_from_db()
    assert (user.role, user.is_superuser) == (Role.SALES, False)


def test_changing_a_role_in_the_admin_goes_through_the_service(admin_client):
    # given a sales user
    user = factories.UserFactory(username="nina")

    # when the administrator changes the role with the admin's role form
    response = admin_client.post(f"/admin/accounts/user/{user.pk}/role/", {"role": Role.COMPLIANCE})

    # then the role changed, and the change is audited with the administrator as actor
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.role == Role.COMPLIANCE
    assert _event("accounts.user.role_changed", target_id=str(user.pk)).actor_id == admin_client.administrator.pk


def test_an_administrator_cannot_change_their_own_role_in_the_admin(admin_client):
    me = admin_client.administrator
    response = admin_client.post(f"/admin/accounts/user/{me.pk}/role/", {"role": Role.COMPLIANCE})
    assert response.status_code == 200 and b"Nobody may change their own" in response.content
    me.refresh_from_db()
    assert me.role == Role.ADMIN
    assert _event("accounts.change.denied", actor=me).detail == {"action": "user.role", "reason": "self"}


def test_moving_a_department_in_the_admin_removes_the_old_group(admin_client):
    legal, sales = factories.DepartmentFactory(code="legal"), factories.DepartmentFactory(code="sales")
    user = factories.UserFactory(department=legal)
    response = admin_client.post(f"/admin/accounts/user/{user.pk}/department/", {"department": sales.pk})
    assert response.status_code == 302
    assert list(user.groups.values_list("name", flat=True)) == ["dept:sales"]
    assert _event("accounts.user.department_changed", target_id=str(user.pk)).detail["groups_removed"] == ["dept:legal"]


def test_setting_a_password_in_the_admin_revokes_the_users_tokens(admin_client):
    user = factories.UserFactory()
    factories.api_token(user)
    response = admin_client.post(f"/admin/accounts/user/{user.pk}/password/",
                                 {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD) and not ApiToken.objects.filter(user=user).exists()
    assert _event("accounts.user.password_set", target_id=str(user.pk)).actor_id == admin_client.administrator.pk


def test_adding_users_and_departments_in_the_admin_goes_through_the_services(admin_client):
    # when the administrator adds a department, then a user in it
    assert admin_client.post("/admin/accounts/department/add/", {"code": "legal", "name": "Legal"}).status_code == 302
    legal = Department.objects.get(code="legal")
    response = admin_client.post("/admin/accounts/user/add/", {
        "username": "nina", "display_name": "Nina", "email": "nina@example.com", "role": Role.SALES,
        "department": legal.pk, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    # then both exist as the services make them, each with its audit event
    assert response.status_code == 302
    nina = User.objects.get(username="nina")
    assert nina.groups.filter(pk=legal.group_id).exists() and not nina.is_superuser
    assert _event("accounts.department.created", target_id=str(legal.pk)).actor_id == admin_client.administrator.pk
    assert _event("accounts.user.created", target_id=str(nina.pk)).detail["role"] == Role.SALES


def test_the_deactivate_action_goes_through_the_service(admin_client):
    user = factories.UserFactory()
    factories.api_token(user)
    me = admin_client.administrator
    response = admin_client.post("/admin/accounts/user/", {"action": "deactivate_users",
                                                            "_selected_action": [user.pk, me.pk]})
    assert response.status_code == 302
    user.refresh_from_db()
    me.refresh_from_db()
    assert not user.is_active and me.is_active  # nobody deactivates themselves
    assert not ApiToken.objects.filter(user=user).exists()
    assert _event("accounts.user.deactivated", target_id=str(user.pk)).actor_id == me.pk


def test_groups_are_not_editable_in_the_admin(admin_client):
    assert admin_client.get("/admin/auth/group/").status_code == 404


def test_the_admin_sign_in_is_the_staff_sign_in(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/signin/")


def test_changing_ones_own_password_in_the_admin_goes_through_the_service(client):
    compliance = factories.UserFactory(role=Role.COMPLIANCE)
    factories.api_token(compliance)
    client.force_login(compliance)
    response = client.post("/admin/password_change/", {
        "old_password": "pw-for-tests", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302
    compliance.refresh_from_db()
    assert compliance.check_password(NEW_PASSWORD) and not ApiToken.objects.filter(user=compliance).exists()
    assert _event("accounts.user.password_set", actor=compliance).detail["own"] is True
    # and the session goes on
    assert client.get("/admin/").status_code == 200
