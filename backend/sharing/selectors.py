"""Reads of portal accounts, for the staff who manage them (the customer page and the CRM API)."""

from __future__ import annotations

from django.db.models import OuterRef, Subquery

from backend.access.policy import Action, visible
from backend.common.errors import NotFound
from backend.crm.models import Contact, Customer
from backend.sharing.models import PortalAccount, PortalInvitation


def _open_invitation_expiry() -> Subquery:
    """The expiry of an account's current invitation (not used, not withdrawn), or NULL."""
    return Subquery(
        PortalInvitation.objects.filter(account_id=OuterRef("pk"), used_at__isnull=True, withdrawn_at__isnull=True)
        .order_by("-created_at", "-id")
        .values("expires_at")[:1]
    )


def portal_accounts_by_contact(*, user, customer: Customer) -> dict[int, PortalAccount]:
    """The portal accounts of `customer`'s contacts, keyed by contact id. One query.

    Each account carries `invitation_expires_at`: when its open invitation expires (None when
    there is none). Empty when `user` may not see the customer.
    """
    visible_customers = visible(user, Customer.objects.filter(pk=customer.pk), Action.VIEW).values("pk")
    accounts = (
        PortalAccount.objects.filter(customer_id__in=visible_customers)
        .annotate(invitation_expires_at=_open_invitation_expiry())
        .only("id", "contact_id", "customer_id", "invited_at", "activated_at", "disabled_at", "last_signin_at")
    )
    return {account.contact_id: account for account in accounts}


def portal_contact_get(*, user, customer_id: int, contact_id: int) -> Contact:
    """A contact of a customer `user` may see (with its customer loaded); NotFound otherwise."""
    contact = (
        visible(user, Contact.objects.filter(customer_id=customer_id), Action.VIEW)
        .select_related("customer")
        .filter(pk=contact_id)
        .first()
    )
    if contact is None:
        raise NotFound()
    return contact


def portal_account_for_contact(*, user, contact: Contact) -> PortalAccount:
    """The contact's portal account (`contact` came from portal_contact_get); NotFound when it has none."""
    account = (
        PortalAccount.objects.filter(contact_id=contact.pk, customer_id=contact.customer_id)
        .filter(customer_id__in=visible(user, Customer.objects.all(), Action.VIEW).values("pk"))
        .select_related("user", "customer", "contact")
        .annotate(invitation_expires_at=_open_invitation_expiry())
        .first()
    )
    if account is None:
        raise NotFound()
    return account
