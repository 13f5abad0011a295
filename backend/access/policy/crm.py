"""Who may see and change CRM rows.

A customer is visible to its owner and account team, to colleagues in the owner's department, and to
the admin, compliance and service roles; its owner, team and admins may change it (and what hangs off
it: contacts, opportunities, quotes, orders, activities); its owner and admins may reassign it
(manage). Deals, quotes and orders are also changeable by their own owner. Service records are
visible and changeable by the service role and the assigned engineer as well. Products and published
knowledge articles are visible to all staff; products are changed by the roles in PRODUCT_CATALOGUE_ROLES
(administrators unless the deployment names more). A link between a document and a customer shows when
both are visible. Anyone on the staff may read reports (each narrowed to the rows they may see) and
export them.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import Q

from backend.access.policy.actions import Action
from backend.access.policy.documents import document_visibility_q
from backend.access.policy.registry import EVERYTHING, NOTHING, can, register_staff
from backend.access.policy.users import is_active_staff
from backend.accounts.models import Role
from backend.crm.models import (
    AccountTeamMember, Activity, Announcement, ArticleStatus, Competitor, Contact, Customer, DocumentLink, Invoice,
    KnowledgeArticle, Opportunity, Order, Product, Quote, ServiceAttachment, ServiceNote, ServiceRecord,
)
from backend.documents.models import Document

CRM_ACCESS_DENIED = "crm.access.denied"  # registered in backend/crm/audit_events.py

_CUSTOMER_WIDE_ROLES = (Role.ADMIN, Role.COMPLIANCE, Role.SERVICE)


def customer_visibility_q(user, action: Action = Action.VIEW, prefix: str = "") -> Q:
    """Customers (or rows reached through `prefix`, e.g. "customer__") that `user` may `action`."""
    if not is_active_staff(user):
        return NOTHING
    p = prefix
    if user.role == Role.ADMIN:
        return EVERYTHING
    mine = Q(**{f"{p}owner_id": user.pk})
    team_customers = AccountTeamMember.objects.filter(user_id=user.pk).values("customer_id")
    team = Q(**{f"{p}pk__in": team_customers})
    if action == Action.MANAGE:
        return mine
    if action == Action.CHANGE:
        return mine | team
    q = mine | team
    if user.role in _CUSTOMER_WIDE_ROLES:
        return EVERYTHING
    if user.department_id is not None:
        q |= Q(**{f"{p}owner__department_id": user.department_id})
    return q


def _contact_q(user, action: Action) -> Q:
    # Contacts have no owner of their own: they follow their customer only.
    return customer_visibility_q(user, action, prefix="customer__")


def _customer_record_q(user, action: Action) -> Q:
    """Deals, quotes, orders, activities: follow the customer; their own owner may change them."""
    q = customer_visibility_q(user, action, prefix="customer__")
    if action == Action.CHANGE:
        q |= Q(owner_id=user.pk)
    return q


def _invoice_q(user, action: Action) -> Q:
    return Q(order__in=Order.objects.filter(_customer_record_q(user, action)).values("pk"))


def _service_record_q(user, action: Action) -> Q:
    if not is_active_staff(user):
        return NOTHING
    if user.role in (Role.ADMIN, Role.SERVICE):
        return EVERYTHING
    q = Q(engineer_id=user.pk) | customer_visibility_q(user, Action.CHANGE, prefix="customer__")
    if action == Action.VIEW:
        q |= customer_visibility_q(user, Action.VIEW, prefix="customer__")
    return q


def _service_child_q(user, action: Action) -> Q:
    records = ServiceRecord.objects.filter(_service_record_q(user, action)).values("pk")
    return Q(record_id__in=records)


def _article_q(user, action: Action) -> Q:
    if not is_active_staff(user):
        return NOTHING
    if user.role in (Role.ADMIN, Role.SERVICE):
        return EVERYTHING
    q = Q(author_id=user.pk)
    if action == Action.VIEW:
        q |= Q(status=ArticleStatus.PUBLISHED)
    return q


def _staff_read_admin_write(user, action: Action) -> Q | None:
    """Any active staff member reads, administrators change; None where the model's own rule decides."""
    if not is_active_staff(user):
        return NOTHING
    if action == Action.VIEW or user.role == Role.ADMIN:
        return EVERYTHING
    return None


def _product_q(user, action: Action) -> Q:
    """Every member of staff reads the catalogue; its editors (`may_edit_product_catalogue`) change it."""
    if not is_active_staff(user):
        return NOTHING
    return EVERYTHING if action == Action.VIEW or may_edit_product_catalogue(user) else NOTHING


def _competitor_q(user, action: Action) -> Q:
    """Competitors are names every rep may read; a rep adds one while changing a deal they may change
    (the opportunity service checks that), and only administrators rename or change them directly."""
    q = _staff_read_admin_write(user, action)
    return NOTHING if q is None else q


def _announcement_q(user, action: Action) -> Q:
    """Besides administrators, whoever drafted an announcement may change it."""
    q = _staff_read_admin_write(user, action)
    return Q(created_by_id=user.pk) if q is None else q


def _link_q(user, action: Action) -> Q:
    """A link shows when both its document and its customer are visible."""
    documents = Document.objects.filter(document_visibility_q(user, action)).values("pk")
    return Q(document_id__in=documents) & customer_visibility_q(user, Action.VIEW, prefix="customer__")


for _models, _q in (
    ((Customer,), customer_visibility_q),
    ((Contact,), _contact_q),
    ((Opportunity, Quote, Order, Activity), _customer_record_q),
    ((Invoice,), _invoice_q),
    ((ServiceRecord,), _service_record_q),
    ((ServiceNote, ServiceAttachment), _service_child_q),
    ((KnowledgeArticle,), _article_q),
    ((Product,), _product_q),
    ((Competitor,), _competitor_q),
    ((Announcement,), _announcement_q),
    ((DocumentLink,), _link_q),
):
    register_staff(*_models, q=_q, denied_event=CRM_ACCESS_DENIED)


def can_manage_portal_access(user, customer: Customer) -> bool:
    """Invite a customer's contacts to the portal, and disable them: whoever may change the customer."""
    return is_active_staff(user) and can(user, Action.CHANGE, customer)


def may_create_customers(user) -> bool:
    """Add a customer (owned by its creator): any active staff member but compliance, who sees every
    customer and changes none."""
    return is_active_staff(user) and user.role != Role.COMPLIANCE


def may_import_records(user) -> bool:
    """Bring customers, contacts, products, opportunities and old files in from spreadsheets and folders
    (the import command and wizard): active staff whose role is in IMPORT_ROLES (administrators unless the
    deployment names more roles). Each record is still written by its own service, with its own checks."""
    return is_active_staff(user) and user.role in settings.IMPORT_ROLES


def can_publish_announcements(user) -> bool:
    return is_active_staff(user) and user.role in (Role.ADMIN, Role.SALES, Role.SERVICE)


def may_edit_product_catalogue(user) -> bool:
    """Add products to the catalogue and change them (names, prices, floor price, active): active staff
    whose role is in PRODUCT_CATALOGUE_ROLES (administrators unless the deployment names more roles);
    everyone else is told the page or product is not there."""
    return is_active_staff(user) and user.role in settings.PRODUCT_CATALOGUE_ROLES


# The service department (and administrators) open records for any customer they can see and turn
# resolved records into knowledge; only the service department is dispatched.
_SERVICE_DESK_ROLES = (Role.SERVICE, Role.ADMIN)
_ENGINEER_ROLES = (Role.SERVICE,)


def may_open_service_record_for(user, customer: Customer) -> bool:
    """The customer's owner, team and admins; service staff for any customer they can see."""
    if can(user, Action.CHANGE, customer):
        return True
    return getattr(user, "role", None) in _SERVICE_DESK_ROLES and can(user, Action.VIEW, customer)


def may_turn_service_into_knowledge(user) -> bool:
    """Draft a knowledge article from a service record (besides seeing the record)."""
    return getattr(user, "role", None) in _SERVICE_DESK_ROLES


def may_set_service_levels(user) -> bool:
    """Set the service-level targets (response and resolution per priority and type): administrators."""
    return is_active_staff(user) and user.role == Role.ADMIN


def may_be_dispatched_as_engineer(user) -> bool:
    """Who a service record may be dispatched to: an active member of the service department."""
    return bool(user.is_active and user.role in _ENGINEER_ROLES)


def may_export_reports(user) -> bool:
    """Export a report (CSV, audited): anyone on the staff; each report holds only the rows they may see."""
    return is_active_staff(user)
