"""Portal users for tests: a customer's contact with an activated portal account.

Tests of the invitation flow go through the services; everything else builds the account here.
"""

from __future__ import annotations

from django.utils import timezone

from backend.accounts.models import Role
from backend.crm.models import Contact
from backend.sharing.models import PortalAccount
from tests.factories import UserFactory

PORTAL_PASSWORD = "portal-pass-42"


def portal_user(customer, *, email: str | None = None, name: str = "Li Na", invited_by=None, active: bool = True):
    """An activated (or, with active=False, invited but not activated) portal user of `customer`."""
    contact = Contact.objects.create(customer=customer, name=name,
                                     email=email or f"contact{Contact.objects.count() + 1}-{customer.pk}@example.com")
    user = UserFactory(username=contact.email, role=Role.PORTAL, email=contact.email, display_name=name,
                       department=None, is_active=active)
    user.set_password(PORTAL_PASSWORD)
    user.save()
    PortalAccount.objects.create(user=user, contact=contact, customer=customer,
                                 invited_by=invited_by or customer.owner,
                                 activated_at=timezone.now() if active else None)
    return user
