"""Marketing campaigns (市场活动), their materials and invitees, and the leads they bring.

    campaign_create(actor=..., theme=..., type=..., starts_on=..., budget=..., ...)
    campaign_material_add(actor=..., campaign=..., document=...)
    campaign_invite(actor=..., campaign=..., customer=..., contact=None)
    lead_record(actor=..., name=..., region=..., source=..., campaign=..., assign_to=rep)
    lead_assign(actor=..., lead=..., rep=...)

Who may do what is in backend/access/policy/marketing.py. A lead is a prospect customer made through
customer_create (so the duplicate guard answers as everywhere else: a 409 naming the existing customer's
owner) and owned by whoever recorded it until it is assigned; assigning it is customer_reassign (the
customer's one owner or an administrator hands it over), so a lead never takes a customer from a rep.
Every write is audited in its own transaction.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_noop

from backend.access.policy import Action
from backend.access.policy.marketing import may_run_campaigns
from backend.access.services import require
from backend.accounts.models import Role, User
from backend.audit import services as audit
from backend.common.errors import Conflict, InvalidInput, NotFound
from backend.common.text import clean_line, clean_multiline
from backend.crm.models import (
    Campaign, CampaignMaterial, CampaignParticipant, CampaignStatus, CampaignType, Contact, Currency, Customer,
    CustomerStatus, CustomerTier, Lead, LeadGrade, LeadSource, LeadStatus, ParticipantStatus,
)
from backend.crm.services.common import money
from backend.crm.services.customers import contact_create, customer_create, customer_reassign
from backend.notifications.services import notify

THEME_LENGTH = 200
REGION_LENGTH = 100
EDITABLE = ("theme", "type", "starts_on", "ends_on", "region", "budget", "currency", "status", "description")


def _clean_campaign(fields: dict) -> dict:
    cleaned = dict(fields)
    errors: dict[str, list[str]] = {}
    for key in ("theme", "region"):
        if key in cleaned:
            cleaned[key] = clean_line(cleaned[key])
    if "description" in cleaned:
        cleaned["description"] = clean_multiline(cleaned["description"])
    if "theme" in cleaned and not cleaned["theme"]:
        errors["theme"] = ["A theme is required."]
    elif len(cleaned.get("theme", "")) > THEME_LENGTH:
        errors["theme"] = [f"At most {THEME_LENGTH} characters."]
    if len(cleaned.get("region", "")) > REGION_LENGTH:
        errors["region"] = [f"At most {REGION_LENGTH} characters."]
    for key, choices in (("type", CampaignType), ("status", CampaignStatus), ("currency", Currency)):
        if key in cleaned and cleaned[key] not in choices.values:
            errors[key] = [f"Choose one of: {', '.join(choices.values)}."]
    if "starts_on" in cleaned and not isinstance(cleaned["starts_on"], dt.date):
        errors["starts_on"] = ["Enter a date."]
    if cleaned.get("ends_on") is not None and not isinstance(cleaned["ends_on"], dt.date):
        errors["ends_on"] = ["Enter a date."]
    if "budget" in cleaned:
        try:
            cleaned["budget"] = money(cleaned["budget"] if cleaned["budget"] is not None else 0, field="budget")
        except InvalidInput as error:
            errors.update(error.extra.get("fields") or {})
    if errors:
        raise InvalidInput("The campaign details are invalid.", fields=errors)
    return cleaned


def _require_dates(starts_on: dt.date, ends_on: dt.date | None) -> None:
    if ends_on is not None and ends_on < starts_on:
        raise InvalidInput("The campaign cannot end before it starts.",
                           fields={"ends_on": ["The end must not be before the start."]})


def campaign_create(
    *, actor, theme: str, starts_on: dt.date, type: str = CampaignType.OTHER, ends_on: dt.date | None = None,
    region: str = "", budget: Decimal | str | int = 0, currency: str = Currency.CNY,
    status: str = CampaignStatus.PLANNED, description: str = "",
) -> Campaign:
    """Start a campaign owned by `actor` (a member of MARKETING_ROLES; anyone else gets a 404)."""
    if not may_run_campaigns(actor):
        raise NotFound()
    fields = _clean_campaign({"theme": theme, "type": type, "starts_on": starts_on, "ends_on": ends_on,
                              "region": region, "budget": budget, "currency": currency, "status": status,
                              "description": description})
    _require_dates(fields["starts_on"], fields["ends_on"])
    now = timezone.now()
    with transaction.atomic():
        campaign = Campaign.objects.create(**fields, owner=actor, created_at=now, updated_at=now)
        audit.record("crm.campaign.created", actor=actor, target=campaign,
                     detail={"theme": campaign.theme, "type": campaign.type, "region": campaign.region,
                             "budget": str(campaign.budget), "currency": campaign.currency})
    return campaign


def campaign_update(*, actor, campaign: Campaign, **changes) -> Campaign:
    """Change a campaign (its owner or an administrator); audited with what changed, old and new."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise InvalidInput(f"Cannot change {', '.join(sorted(unknown))} here.")
    require(actor=actor, action=Action.CHANGE, obj=campaign)
    fields = _clean_campaign(changes)
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        _require_dates(fields.get("starts_on", locked.starts_on), fields.get("ends_on", locked.ends_on)
                       if "ends_on" in fields else locked.ends_on)
        diff = {key: [getattr(locked, key), value] for key, value in fields.items() if getattr(locked, key) != value}
        if diff:
            for key, (_, value) in diff.items():
                setattr(locked, key, value)
            locked.updated_at = timezone.now()
            locked.save()
            audit.record("crm.campaign.updated", actor=actor, target=locked,
                         detail={"changes": {key: [str(old), str(new)] for key, (old, new) in diff.items()}})
    return locked


# --- materials ---------------------------------------------------------------------------------------


def campaign_material_add(*, actor, campaign: Campaign, document) -> CampaignMaterial:
    """Add a document the actor may see to a campaign they may change. Adding it twice is a 409."""
    require(actor=actor, action=Action.CHANGE, obj=campaign)
    require(actor=actor, action=Action.VIEW, obj=document)
    try:
        with transaction.atomic():
            material = CampaignMaterial.objects.create(campaign=campaign, document=document, added_by=actor)
            audit.record("crm.campaign.material_added", actor=actor, target=campaign,
                         detail={"document": document.pk, "title": document.title})
    except IntegrityError:
        raise Conflict("This document is already among the campaign's materials.") from None
    return material


def campaign_material_remove(*, actor, material: CampaignMaterial) -> None:
    campaign = material.campaign
    require(actor=actor, action=Action.CHANGE, obj=campaign)
    with transaction.atomic():
        document_id = material.document_id
        material.delete()
        audit.record("crm.campaign.material_removed", actor=actor, target=campaign,
                     detail={"document": document_id})


# --- invitees ----------------------------------------------------------------------------------------


def campaign_invite(*, actor, campaign: Campaign, customer: Customer, contact: Contact | None = None,
                    attended: bool = False) -> CampaignParticipant:
    """Invite a customer the actor may see (and, optionally, one of its contacts) to a campaign they may
    change. A contact who opted out of marketing is not invited (a 400 saying so); inviting twice is a 409."""
    require(actor=actor, action=Action.CHANGE, obj=campaign)
    require(actor=actor, action=Action.VIEW, obj=customer)
    if contact is not None:
        if contact.customer_id != customer.pk:
            raise InvalidInput("The contact belongs to another customer.",
                               fields={"contact": ["Pick a contact of this customer."]})
        if contact.marketing_opt_out:
            raise InvalidInput("This contact opted out of marketing; they are not invited.",
                               fields={"contact": ["This contact opted out of marketing."]})
    status = ParticipantStatus.ATTENDED if attended else ParticipantStatus.INVITED
    try:
        with transaction.atomic():
            participant = CampaignParticipant.objects.create(campaign=campaign, customer=customer, contact=contact,
                                                             status=status, added_by=actor)
            audit.record("crm.campaign.invited", actor=actor, target=campaign, customer_id=customer.pk,
                         detail={"customer": customer.pk, "contact": contact.pk if contact else None,
                                 "status": status})
    except IntegrityError:
        raise Conflict("This customer or contact is already invited.") from None
    return participant


def campaign_attendance_set(*, actor, participant: CampaignParticipant, attended: bool) -> CampaignParticipant:
    """Mark an invitee as attending (or back to invited)."""
    require(actor=actor, action=Action.CHANGE, obj=participant.campaign)
    status = ParticipantStatus.ATTENDED if attended else ParticipantStatus.INVITED
    with transaction.atomic():
        locked = CampaignParticipant.objects.select_for_update().get(pk=participant.pk)
        if locked.status != status:
            locked.status = status
            locked.save(update_fields=["status"])
            audit.record("crm.campaign.attendance", actor=actor, target=locked.campaign,
                         customer_id=locked.customer_id,
                         detail={"customer": locked.customer_id, "contact": locked.contact_id, "status": status})
    return locked


# --- leads -------------------------------------------------------------------------------------------


def _require_rep(rep: User) -> None:
    """A lead goes to an active colleague who may own customers (not compliance, never a portal user)."""
    if not rep.is_active or rep.role in (Role.PORTAL, Role.COMPLIANCE):
        raise InvalidInput("Assign the lead to an active sales colleague.",
                           fields={"assign_to": ["Choose an active colleague who can own customers."]})


def lead_record(
    *, actor, name: str, region: str = "", source: str = LeadSource.OTHER, campaign: Campaign | None = None,
    grade: str = LeadGrade.WARM, note: str = "", industry: str = "", contact_name: str = "",
    contact_phone: str = "", contact_email: str = "", assign_to: User | None = None,
) -> Lead:
    """Record a lead: a prospect customer (the duplicate guard applies: a 409 naming the existing customer
    and its owner) with its source and campaign, and its first contact; assigned at once to `assign_to`
    when given. Only members of MARKETING_ROLES record leads."""
    if not may_run_campaigns(actor):
        raise NotFound()
    errors: dict[str, list[str]] = {}
    if source not in LeadSource.values:
        errors["source"] = [f"Choose one of: {', '.join(LeadSource.values)}."]
    if grade not in LeadGrade.values:
        errors["grade"] = [f"Choose one of: {', '.join(LeadGrade.values)}."]
    if source == LeadSource.CAMPAIGN and campaign is None:
        errors["campaign"] = ["Name the campaign the lead came from."]
    if errors:
        raise InvalidInput("The lead is invalid.", fields=errors)
    if campaign is not None:
        require(actor=actor, action=Action.VIEW, obj=campaign)
    if assign_to is not None:
        _require_rep(assign_to)
    with transaction.atomic():
        customer = customer_create(actor=actor, name=name, region=region, industry=industry,
                                   tier=CustomerTier.PROSPECT, status=CustomerStatus.PROSPECT)
        if clean_line(contact_name):
            contact_create(actor=actor, customer=customer, name=contact_name, phone=contact_phone,
                           email=contact_email, is_primary=True)
        lead = Lead.objects.create(customer=customer, source=source, campaign=campaign, grade=grade,
                                   note=clean_multiline(note), recorded_by=actor)
        audit.record("crm.lead.recorded", actor=actor, target=lead, customer_id=customer.pk,
                     detail={"source": source, "campaign": campaign.pk if campaign else None, "grade": grade})
        if assign_to is not None:
            lead = lead_assign(actor=actor, lead=lead, rep=assign_to)
    return lead


def lead_assign(*, actor, lead: Lead, rep: User) -> Lead:
    """Hand a lead (its customer) to `rep`: the customer's owner or an administrator does it (the
    one-owner rule: customer_reassign). The rep sees it on their home page."""
    _require_rep(rep)
    require(actor=actor, action=Action.MANAGE, obj=lead.customer)
    with transaction.atomic():
        locked = Lead.objects.select_for_update().select_related("customer").get(pk=lead.pk)
        customer_reassign(actor=actor, customer=locked.customer, new_owner=rep, note="lead assigned")
        if locked.assigned_to_id == rep.pk:
            return locked
        previous = locked.assigned_to_id
        locked.assigned_to = rep
        locked.assigned_at = timezone.now()
        locked.status = LeadStatus.NEW
        locked.save(update_fields=["assigned_to", "assigned_at", "status"])
        notify(kind="sales.lead_assigned", recipients=[rep],
               title=(gettext_noop("New lead for you: %(name)s"), {"name": locked.customer.name}),
               body=(gettext_noop("%(who)s assigned you a lead (%(source)s, %(grade)s). It is on your home page."),
                     {"who": str(actor), "source": LeadSource(locked.source).label,
                      "grade": LeadGrade(locked.grade).label}),
               link=reverse("web:customer", args=[locked.customer_id]), target=locked,
               once_key=f"lead-{locked.pk}-{rep.pk}")
        audit.record("crm.lead.assigned", actor=actor, target=locked, customer_id=locked.customer_id,
                     detail={"to": rep.username, "previous": previous})
    return locked


def lead_status_set(*, actor, lead: Lead, status: str) -> Lead:
    """The rep (whoever may change the customer) marks the lead contacted, qualified or disqualified."""
    if status not in LeadStatus.values:
        raise InvalidInput("The lead status is invalid.",
                           fields={"status": [f"Choose one of: {', '.join(LeadStatus.values)}."]})
    require(actor=actor, action=Action.CHANGE, obj=lead)
    with transaction.atomic():
        locked = Lead.objects.select_for_update().get(pk=lead.pk)
        if locked.status != status:
            previous = locked.status
            locked.status = status
            locked.save(update_fields=["status"])
            audit.record("crm.lead.status_changed", actor=actor, target=locked, customer_id=locked.customer_id,
                         detail={"from": previous, "to": status})
    return locked
