"""accounts_create_admin: the first administrator of an installation, through the audited service."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_the_first_administrator_is_created_by_command_and_audited(monkeypatch):
    # Django's createsuperuser would make a role-less superuser the admin site no longer lets in
    from io import StringIO

    from django.core.management import call_command

    from backend.accounts.models import Role, User
    from backend.audit.models import AuditEvent

    monkeypatch.setenv("DOSSIER_ADMIN_PASSWORD", "First-admin-pass-2026")
    call_command("accounts_create_admin", "boss", "--email", "boss@example.com", stdout=StringIO())
    boss = User.objects.get(username="boss")
    assert (boss.role, boss.is_staff, boss.is_superuser) == (Role.ADMIN, True, False)
    assert boss.check_password("First-admin-pass-2026")
    assert AuditEvent.objects.filter(event_type="accounts.user.created", actor=None, target_id=str(boss.pk)).exists()
