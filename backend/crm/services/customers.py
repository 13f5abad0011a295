"""Customers, their account teams and contacts."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from backend.access.policy import Action
from backend.access.policy.crm import may_create_customers
from backend.access.services import require
from backend.accounts.models import Role, User
from backend.audit import services as audit
from backend.common.errors import Conflict, InvalidInput, NotFound
from backend.common.text import clean_line
from backend.crm.models import (
    AccountTeamMember, Contact, ContactChannel, Customer, CustomerStatus, CustomerTier, DocumentLink,
)
from backend.crm.selectors.customers import DuplicateReport, customer_duplicate_of, customer_duplicates_for
from backend.crm.services.common import require_editable
from indexing import hooks as search_index

_EDITABLE = ("name", "code", "industry", "region", "tier", "status")


def _clean_fields(fields: dict) -> dict:
    errors: dict[str, list[str]] = {}
    # Names and codes are one clean line: no control, bidi-override or zero-width characters (a carriage
    # return in a name once reached an e-mail subject).
    cleaned = {key: (clean_line(value) if isinstance(value, str) else value) for key, value in fields.items()}
    if "name" in cleaned and not cleaned["name"]:
        errors["name"] = ["A name is required."]
    if "code" in cleaned:
        cleaned["code"] = cleaned["code"] or None
    if "tier" in cleaned and cleaned["tier"] not in CustomerTier.values:
        errors["tier"] = [f"Choose one of: {', '.join(CustomerTier.values)}."]
    if "status" in cleaned and cleaned["status"] not in CustomerStatus.values:
        errors["status"] = [f"Choose one of: {', '.join(CustomerStatus.values)}."]
    if errors:
        raise InvalidInput("The customer details are invalid.", fields=errors)
    return cleaned


_PORTAL_OWNER = "A customer's portal user cannot own a customer; choose a colleague."
_PORTAL_TEAM_MEMBER = "A customer's portal user cannot be on an account team; choose a colleague."


def _require_colleague(user: User, field: str, message: str, *, inactive: str = "This user is inactive.") -> None:
    """Owners and account-team members are active colleagues: through the access rules that follow a
    customer's owner and team, a customer's portal user would reach other customers' records. 400 naming
    `field`: `inactive` for an inactive user, `message` for a portal user."""
    if not user.is_active:
        raise InvalidInput(inactive, fields={field: ["This user is inactive."]})
    if user.role == Role.PORTAL:
        raise InvalidInput(message, fields={field: [message]})


def _duplicate_of(*, name: str, region: str, code: str | None, exclude_pk: int | None = None) -> Customer | None:
    return customer_duplicate_of(name=name, region=region, code=code, exclude_pk=exclude_pk)


def _duplicate_conflict(existing: Customer) -> Conflict:
    since = timezone.localtime(existing.owner_since)
    return Conflict(
        f"“{existing.name}” ({existing.region or 'no region'}) already exists, owned by {existing.owner} "
        f"since {since:%Y-%m-%d}. Ask them to add you to the account team instead of creating a duplicate.",
        reason="duplicate_customer",
        owner={"id": existing.owner_id, "name": str(existing.owner)},
        owner_since=existing.owner_since.isoformat(),
    )


def customer_create(
    *,
    actor,
    name: str,
    region: str = "",
    code: str | None = None,
    industry: str = "",
    tier: str = CustomerTier.NORMAL,
    status: str = CustomerStatus.PROSPECT,
    owner: User | None = None,
) -> Customer:
    """Create a customer owned by `owner` (default: the actor). Duplicates are a 409 naming the owner."""
    if not may_create_customers(actor):
        raise NotFound()
    fields = _clean_fields(
        {"name": name, "region": region, "code": code, "industry": industry, "tier": tier, "status": status}
    )
    existing = _duplicate_of(name=fields["name"], region=fields["region"], code=fields["code"])
    if existing is not None:
        raise _duplicate_conflict(existing)
    owner = owner or actor
    _require_colleague(owner, "owner", _PORTAL_OWNER)
    now = timezone.now()
    try:
        with transaction.atomic():
            customer = Customer.objects.create(**fields, owner=owner, owner_since=now, created_at=now, updated_at=now)
            audit.record("crm.customer.created", actor=actor, target=customer, customer_id=customer.pk,
                         detail={"name": customer.name, "region": customer.region, "owner": owner.username})
    except IntegrityError:
        existing = _duplicate_of(name=fields["name"], region=fields["region"], code=fields["code"])
        if existing is not None:
            raise _duplicate_conflict(existing) from None
        raise
    return customer


def customer_update(*, actor, customer: Customer, **changes) -> Customer:
    require_editable(changes, _EDITABLE)
    require(actor=actor, action=Action.CHANGE, obj=customer)
    fields = _clean_fields({k: v for k, v in changes.items() if v is not None})
    merged = {f: fields.get(f, getattr(customer, f)) for f in ("name", "region", "code")}
    existing = _duplicate_of(**merged, exclude_pk=customer.pk)
    if existing is not None:
        raise _duplicate_conflict(existing)
    with transaction.atomic():
        locked = Customer.objects.select_for_update().get(pk=customer.pk)
        diff = {f: [getattr(locked, f), v] for f, v in fields.items() if getattr(locked, f) != v}
        if diff:
            for field, (_, value) in diff.items():
                setattr(locked, field, value)
            locked.updated_at = timezone.now()
            locked.save()
            if "name" in diff:
                # Search shows and finds documents by their customers' names (queued in this transaction).
                linked = list(DocumentLink.objects.filter(customer=locked).values_list("document_id", flat=True))
                search_index.index_documents_changed(document_ids=linked, reason="customer renamed")
            audit.record("crm.customer.updated", actor=actor, target=locked, customer_id=locked.pk,
                         detail={"changes": diff})
    return locked


def customer_reassign(*, actor, customer: Customer, new_owner: User, note: str = "") -> Customer:
    """Hand a customer to another rep. Access that follows the customer moves with it at once."""
    require(actor=actor, action=Action.MANAGE, obj=customer)
    _require_colleague(new_owner, "owner", _PORTAL_OWNER, inactive="The new owner is inactive.")
    with transaction.atomic():
        locked = Customer.objects.select_for_update().select_related("owner").get(pk=customer.pk)
        if locked.owner_id == new_owner.pk:
            return locked
        previous = locked.owner
        now = timezone.now()
        locked.owner = new_owner
        locked.owner_since = now
        locked.updated_at = now
        locked.save(update_fields=["owner", "owner_since", "updated_at"])
        audit.record("crm.customer.reassigned", actor=actor, target=locked, customer_id=locked.pk,
                     detail={"from": previous.username, "to": new_owner.username, "note": note})
    return locked


def customer_team_add(*, actor, customer: Customer, user: User, role: str = "") -> AccountTeamMember:
    require(actor=actor, action=Action.MANAGE, obj=customer)
    _require_colleague(user, "user", _PORTAL_TEAM_MEMBER, inactive="That user is inactive.")
    with transaction.atomic():
        member, created = AccountTeamMember.objects.get_or_create(customer=customer, user=user,
                                                                  defaults={"role": role})
        if not created and member.role != role:
            member.role = role
            member.save(update_fields=["role"])
        audit.record("crm.customer.team_changed", actor=actor, target=customer, customer_id=customer.pk,
                     detail={"added": user.username, "role": role})
    return member


def customer_team_remove(*, actor, customer: Customer, user: User) -> None:
    require(actor=actor, action=Action.MANAGE, obj=customer)
    with transaction.atomic():
        removed, _ = AccountTeamMember.objects.filter(customer=customer, user=user).delete()
        if not removed:
            raise NotFound("That user is not on the account team.")
        audit.record("crm.customer.team_changed", actor=actor, target=customer, customer_id=customer.pk,
                     detail={"removed": user.username})


_CONTACT_EDITABLE = ("name", "title", "email", "phone", "is_primary", "preferred_channel", "marketing_opt_out")


def _clean_contact(fields: dict) -> tuple[dict, dict[str, list[str]]]:
    """A contact's fields cleaned, or a 400 naming each wrong field. The preferred channel needs the
    address it names: e-mail needs an e-mail address, phone a number."""
    cleaned = dict(fields)
    for key in ("name", "title", "phone"):
        if key in cleaned:
            cleaned[key] = clean_line(cleaned[key])
    if "email" in cleaned:
        cleaned["email"] = clean_line(cleaned["email"])
    if "preferred_channel" in cleaned:
        cleaned["preferred_channel"] = cleaned["preferred_channel"] or ""
    for key in ("is_primary", "marketing_opt_out"):
        if key in cleaned:
            cleaned[key] = bool(cleaned[key])
    errors: dict[str, list[str]] = {}
    if "name" in cleaned and not cleaned["name"]:
        errors["name"] = ["A name is required."]
    if cleaned.get("email"):
        try:
            validate_email(cleaned["email"])
        except ValidationError:
            errors["email"] = ["Enter a valid e-mail address."]
    channel = cleaned.get("preferred_channel")
    if channel and channel not in ContactChannel.values:
        errors["preferred_channel"] = [f"Choose one of: {', '.join(ContactChannel.values)}."]
    return cleaned, errors


def _require_channel_reachable(contact_fields: dict, errors: dict) -> None:
    channel = contact_fields.get("preferred_channel")
    if channel == ContactChannel.EMAIL and not contact_fields.get("email"):
        errors.setdefault("preferred_channel", []).append("E-mail is the preferred channel: add an e-mail address.")
    if channel == ContactChannel.PHONE and not contact_fields.get("phone"):
        errors.setdefault("preferred_channel", []).append("Phone is the preferred channel: add a phone number.")
    if errors:
        raise InvalidInput("The contact details are invalid.", fields=errors)


def contact_create(
    *, actor, customer: Customer, name: str, title: str = "", email: str = "", phone: str = "",
    is_primary: bool = False, preferred_channel: str = "", marketing_opt_out: bool = False,
) -> Contact:
    """Add a contact person to `customer` (whoever may change the customer). A primary contact takes the
    place of the previous one; an opt-out records when it was set."""
    require(actor=actor, action=Action.CHANGE, obj=customer)
    fields, errors = _clean_contact({"name": name, "title": title, "email": email, "phone": phone,
                                     "is_primary": is_primary, "preferred_channel": preferred_channel,
                                     "marketing_opt_out": marketing_opt_out})
    _require_channel_reachable(fields, errors)
    now = timezone.now()
    with transaction.atomic():
        if fields["is_primary"]:
            Contact.objects.filter(customer=customer, is_primary=True).update(is_primary=False)
        contact = Contact.objects.create(customer=customer, **fields, created_at=now, updated_at=now,
                                         marketing_opt_out_at=now if fields["marketing_opt_out"] else None)
        audit.record("crm.contact.created", actor=actor, target=contact, customer_id=customer.pk,
                     detail={"name": contact.name, "preferred_channel": contact.preferred_channel,
                             "marketing_opt_out": contact.marketing_opt_out})
    return contact


def contact_update(*, actor, contact: Contact, **changes) -> Contact:
    """Change a contact's details and preferences (whoever may change its customer). Audited with what
    changed, old and new; setting the marketing opt-out records when, clearing it forgets when."""
    require_editable(changes, _CONTACT_EDITABLE)
    require(actor=actor, action=Action.CHANGE, obj=contact.customer)
    fields, errors = _clean_contact({key: value for key, value in changes.items() if value is not None})
    with transaction.atomic():
        locked = Contact.objects.select_for_update().get(pk=contact.pk)
        merged = {key: fields.get(key, getattr(locked, key)) for key in _CONTACT_EDITABLE}
        _require_channel_reachable(merged, errors)
        diff = {key: [getattr(locked, key), value] for key, value in fields.items() if getattr(locked, key) != value}
        if not diff:
            return locked
        now = timezone.now()
        if diff.get("is_primary", [None, False])[1]:
            Contact.objects.filter(customer_id=locked.customer_id, is_primary=True).exclude(pk=locked.pk).update(
                is_primary=False)
        for key, (_, value) in diff.items():
            setattr(locked, key, value)
        if "marketing_opt_out" in diff:
            locked.marketing_opt_out_at = now if locked.marketing_opt_out else None
        locked.updated_at = now
        locked.save()
        audit.record("crm.contact.updated", actor=actor, target=locked, customer_id=locked.customer_id,
                     detail={"name": locked.name, "changes": diff})
    return locked


def customer_view(*, actor, customer_id: int) -> Customer:
    """A customer's record opened by staff (details, account team, contacts), as customer_get_visible(detailed=True)
    returns it: an audited read (`crm.customer.viewed`), as document_view is for documents."""
    from backend.crm.selectors.customers import customer_get_visible

    customer = customer_get_visible(user=actor, customer_id=customer_id, detailed=True)
    audit.record("crm.customer.viewed", actor=actor, target=customer, customer_id=customer.pk)
    return customer


def customer_duplicate_check(
    *, actor, name: str, region: str = "", code: str | None = None, exclude_pk: int | None = None,
) -> DuplicateReport:
    """The duplicate guard's answer for what `actor` typed (customer_duplicates_for). When it tells them
    that a customer they may not see exists, and who owns it, that disclosure is audited
    (`crm.customer.duplicate_disclosed`, one row per hidden customer, with what was typed), so compliance
    can see who learned of whose customers this way."""
    if not may_create_customers(actor):
        raise NotFound()
    report = customer_duplicates_for(user=actor, name=name, region=region, code=code, exclude_pk=exclude_pk)
    hidden = [match for match in report.matches if not match.visible]
    if hidden:
        with transaction.atomic():
            for match in hidden:
                audit.record("crm.customer.duplicate_disclosed", actor=actor, target=match.customer,
                             customer_id=match.customer.pk,
                             detail={"typed_name": name[:200], "typed_region": region[:100],
                                     "typed_code": (code or "")[:40], "by_code": match.by_code,
                                     "owner": match.customer.owner.username})
    return report
