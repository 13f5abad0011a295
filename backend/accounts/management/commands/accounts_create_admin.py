"""Create the first administrator of a new installation, through the accounts service (audited).

    ./manage.py accounts_create_admin USERNAME [--email E] [--display-name N]

The password is asked for (or read from DOSSIER_ADMIN_PASSWORD for scripted installs). Use this
instead of Django's createsuperuser: Dossier's admin site and policy go by role, not by is_superuser.
"""

from __future__ import annotations

import getpass
import os

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from backend.accounts.models import Role
from backend.accounts.services import user_create
from backend.common.errors import DomainError


class Command(BaseCommand):
    help = "Create a user with the admin role (the system as the actor; audited)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--email", default="")
        parser.add_argument("--display-name", default="")

    def handle(self, *args, username, email, display_name, **options):
        password = os.environ.get("DOSSIER_ADMIN_PASSWORD") or getpass.getpass("Password: ")
        try:
            validate_password(password)
            user = user_create(actor=None, username=username, password=password, role=Role.ADMIN, email=email,
                               display_name=display_name)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"Created the administrator {user.username}.")
