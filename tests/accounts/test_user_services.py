"""Staff users, departments and groups change only through the accounts services: administrators only,
nobody on themselves, every change audited in its own transaction, and no stale department grant."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from backend.access.policy import Action, can
from backend.access.services import document_permission_grant
from backend.accounts import services as accounts
from backend.accounts.models import Role, User
from backend.audit.models import AuditEvent
from backend.common.errors import InvalidInput, PermissionDenied
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    return {"admin": factories.UserFactory(username="root", role=Role.ADMIN),
            "sales": factories.UserFactory(username="sam", role=Role.SALES)}


def _events(name: str, **filters):
    return AuditEvent.objects.filter(event_type=name, **filters)


def test_moving_a_department_ends_the_old_departments_grants(people):
    # given a confidential document granted to the legal department, and a member of legal
    legal, sales = factories.DepartmentFactory(code="legal"), factories.DepartmentFactory(code="sales")
    owner = factories.UserFactory(department=legal)
    member = factories.UserFactory(department=legal)
    secret = factories.document(owner, title="Merger plan", classification="secret")
    document_permission_grant(actor=owner, document=secret, level="view", group=legal.group)
    assert can(member, Action.VIEW, secret)

    # when an administrator moves the member to sales
    moved = accounts.user_move_department(actor=people["admin"], user=member, department=sales)

    # then the old group is gone with the move, the document is closed to them, and the move is audited
    assert set(moved.groups.values_list("name", flat=True)) == {"dept:sales"}
    member = User.objects.get(pk=member.pk)
    assert not can(member, Action.VIEW, secret)
    event = _events("accounts.user.department_changed", target_id=str(member.pk)).get()
    assert event.actor_id == people["admin"].pk
    assert event.detail == {"from": "legal", "to": "sales", "groups_removed": ["dept:legal"]}


def test_a_move_also_clears_department_groups_joined_by_other_means(people):
    # given a user who was put into another department's group directly (the state the admin used to allow)
    legal = factories.DepartmentFactory(code="legal")
    user = factories.UserFactory()
    user.groups.add(legal.group)

    # when they are moved (even to no department)
    accounts.user_move_department(actor=people["admin"], user=user, department=None)

    # then no department group is left
    assert not user.groups.exists()


def test_department_groups_cannot_be_changed_on_their_own(people):
    legal = factories.DepartmentFactory(code="legal")
    user = factories.UserFactory()
    with pytest.raises(InvalidInput):
        accounts.user_groups_change(actor=people["admin"], user=user, add=[legal.group])
    assert not user.groups.filter(pk=legal.group_id).exists()


def test_other_groups_change_with_an_audit_event(people):
    reviewers = Group.objects.create(name="reviewers")
    user = factories.UserFactory()
    accounts.user_groups_change(actor=people["admin"], user=user, add=[reviewers])
    assert user.groups.filter(pk=reviewers.pk).exists()
    accounts.user_groups_change(actor=people["admin"], user=user, remove=[reviewers])
    assert not user.groups.filter(pk=reviewers.pk).exists()
    details = [e.detail for e in _events("accounts.user.groups_changed").order_by("id")]
    assert details == [{"added": ["reviewers"], "removed": []}, {"added": [], "removed": ["reviewers"]}]


@pytest.mark.parametrize("change", ["role", "department", "groups", "deactivate", "password", "create"])
def test_only_administrators_manage_users_and_refusals_are_audited(people, change):
    # given a sales user trying to change someone else
    actor, other = people["sales"], factories.UserFactory(username="victim")
    calls = {
        "role": lambda: accounts.user_role_change(actor=actor, user=other, role=Role.ADMIN),
        "department": lambda: accounts.user_move_department(actor=actor, user=other, department=None),
        "groups": lambda: accounts.user_groups_change(actor=actor, user=other, add=[Group.objects.create(name="g")]),
        "deactivate": lambda: accounts.user_active_set(actor=actor, user=other, active=False),
        "password": lambda: accounts.user_password_set(actor=actor, user=other, password="Taken-over-123"),
        "create": lambda: accounts.user_create(actor=actor, username="sock", role=Role.ADMIN),
    }
    # when they try, then it is refused, nothing changed, and the refusal is on the trail
    with pytest.raises(PermissionDenied):
        calls[change]()
    other.refresh_from_db()
    assert other.role == Role.SALES and other.is_active and other.check_password("pw-for-tests")
    assert not User.objects.filter(username="sock").exists()
    assert _events("accounts.change.denied", actor=actor, outcome="denied", detail__reason="not_admin").exists()


@pytest.mark.parametrize("change", ["role", "department", "groups", "deactivate"])
def test_nobody_raises_themselves_not_even_an_administrator(people, change):
    admin = people["admin"]
    legal = factories.DepartmentFactory(code="legal")
    calls = {
        "role": lambda: accounts.user_role_change(actor=admin, user=admin, role=Role.COMPLIANCE),
        "department": lambda: accounts.user_move_department(actor=admin, user=admin, department=legal),
        "groups": lambda: accounts.user_groups_change(actor=admin, user=admin, add=[Group.objects.create(name="g")]),
        "deactivate": lambda: accounts.user_active_set(actor=admin, user=admin, active=False),
    }
    with pytest.raises(PermissionDenied):
        calls[change]()
    admin.refresh_from_db()
    assert admin.role == Role.ADMIN and admin.is_active and admin.department_id != legal.pk
    assert _events("accounts.change.denied", actor=admin, detail__reason="self").exists()


def test_portal_users_are_not_managed_here(people):
    portal = factories.UserFactory(role=Role.PORTAL, department=None)
    with pytest.raises(PermissionDenied):
        accounts.user_role_change(actor=people["admin"], user=portal, role=Role.SALES)
    with pytest.raises(InvalidInput):
        accounts.user_create(actor=people["admin"], username="p@example.com", role=Role.PORTAL)


def test_each_change_writes_its_audit_event(people):
    # given an administrator and a department
    admin = people["admin"]
    department = accounts.department_create(actor=admin, code="legal", name="Legal")

    # when they create a user and change each thing about them
    user = accounts.user_create(actor=admin, username="nina", role=Role.SALES, department=department,
                                password="First-pass-2026")
    accounts.user_role_change(actor=admin, user=user, role=Role.COMPLIANCE)
    accounts.user_password_set(actor=admin, user=user, password="Second-pass-2026")
    accounts.user_active_set(actor=admin, user=user, active=False)
    accounts.user_active_set(actor=admin, user=user, active=True)

    # then every change is on the trail, by the administrator, about that user
    assert _events("accounts.department.created", actor=admin, target_id=str(department.pk)).exists()
    for name in ("accounts.user.created", "accounts.user.role_changed", "accounts.user.password_set",
                 "accounts.user.deactivated", "accounts.user.activated"):
        assert _events(name, actor=admin, target_id=str(user.pk)).count() == 1, name
    assert _events("accounts.user.role_changed").get().detail == {"from": "sales", "to": "compliance"}
    # and the user is what the changes made them: compliance may use the admin site
    user.refresh_from_db()
    assert (user.role, user.is_staff, user.is_superuser) == (Role.COMPLIANCE, True, False)
    assert user.groups.filter(pk=department.group_id).exists()
    assert user.check_password("Second-pass-2026")


def test_a_failed_change_leaves_no_event(people):
    # given a user name that is taken
    factories.UserFactory(username="taken")
    before = AuditEvent.objects.count()
    with pytest.raises(Exception):
        accounts.user_create(actor=people["admin"], username="taken")
    assert AuditEvent.objects.count() == before
