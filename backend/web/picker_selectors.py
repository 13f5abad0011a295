"""The pickers' reads: at most PICK_LIMIT rows a user may see, found by part of a Chinese or English name.

One function per kind, each `(user, text) -> list[Choice]`, narrowed by the access policy in SQL
(`visible()` for documents and CRM rows; the staff directory for users and groups: every active member
of staff may find colleagues and groups to grant access to, portal users nobody). Matching is a
case-insensitive substring (`icontains`), so "芳", "wang", "Wang Fang" and "王芳" all find 王芳 (people and
customers whose name starts with the text come first, so the one being typed is not cut off); a number
also finds the row with that id (the no-JavaScript form posts the id typed in the text box).

Cost: each kind is one query with LIMIT 20. Users and groups are small tables; customers, quotes and
orders are matched on a handful of short columns; documents on their title. `icontains` cannot use a
B-tree index, so at 10,000 customers a picker query scans them (a few milliseconds); a pg_trgm GIN
index on the matched columns is the step for much larger tables.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from django.contrib.auth.models import Group
from django.db.models import Case, IntegerField, Q, Value, When
from django.db.models.functions import Concat
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from backend.access.policy import Action, is_active_staff, visible
from backend.accounts.models import Role, User
from backend.crm.models import Customer, Opportunity, Order, Product, Quote, ServiceRecord
from backend.documents.models import Document

PICK_LIMIT = 20


@dataclass(frozen=True)
class Choice:
    id: int
    label: str
    detail: str

    def as_json(self) -> dict:
        return asdict(self)


def _id_q(text: str) -> Q:
    """A number also matches the row with that id ("#12" or "12")."""
    digits = text.lstrip("#")
    return Q(pk=int(digits)) if digits.isdigit() and len(digits) < 10 else Q(pk__in=[])


def _starts_first(*fields: str, text: str) -> Case:
    """0 when one of `fields` starts with `text` (the name the user is typing), else 1: sorted first."""
    return Case(*(When(**{f"{field}__istartswith": text}, then=Value(0)) for field in fields),
                default=Value(1), output_field=IntegerField())


def _joined(*parts: str) -> str:
    return " · ".join(str(part) for part in parts if part)


def _first(text: str) -> str:
    return text.strip()[:100]


def pick_users(user, text: str) -> list[Choice]:
    """Active staff (never portal users, never the disabled): by user name, display name, first or last
    name, or the full name in either order, with or without a space (王芳, 芳 王, Fang Wang, wang fang)."""
    text = _first(text)
    if not text or not is_active_staff(user):
        return []
    rows = (
        User.objects.filter(is_active=True).exclude(role=Role.PORTAL)
        .annotate(
            first_last=Concat("first_name", Value(" "), "last_name"),
            last_first=Concat("last_name", Value(" "), "first_name"),
            last_first_joined=Concat("last_name", "first_name"),
        )
        .filter(Q(username__icontains=text) | Q(display_name__icontains=text) | Q(first_name__icontains=text)
                | Q(last_name__icontains=text) | Q(first_last__icontains=text) | Q(last_first__icontains=text)
                | Q(last_first_joined__icontains=text) | Q(email__iexact=text) | _id_q(text))
        .annotate(rank=_starts_first("username", "display_name", "last_first_joined", "first_last", text=text))
        .select_related("department")
        .order_by("rank", "username")[:PICK_LIMIT]
    )
    return [Choice(u.pk, f"{u} ({u.username})" if str(u) != u.username else u.username,
                   _joined(u.get_role_display(), u.department.name if u.department else ""))
            for u in rows]


def pick_groups(user, text: str) -> list[Choice]:
    """Groups (each department owns one): by group name, department name or code."""
    text = _first(text)
    if not text or not is_active_staff(user):
        return []
    rows = (
        Group.objects.filter(Q(name__icontains=text) | Q(department__name__icontains=text)
                             | Q(department__code__icontains=text) | _id_q(text))
        .select_related("department").order_by("name")[:PICK_LIMIT]
    )
    choices = []
    for group in rows:
        department = getattr(group, "department", None)
        if department is not None:
            choices.append(Choice(group.pk, department.name, _("Department")))
        else:
            choices.append(Choice(group.pk, group.name, _("Group")))
    return choices


def pick_customers(user, text: str) -> list[Choice]:
    text = _first(text)
    if not text:
        return []
    rows = (
        visible(user, Customer.objects.all(), Action.VIEW)
        .filter(Q(name__icontains=text) | Q(code__icontains=text) | _id_q(text))
        .annotate(rank=_starts_first("name", "code", text=text))
        .order_by("rank", "name", "id")[:PICK_LIMIT]
    )
    return [Choice(c.pk, f"{c.name} ({c.code})" if c.code else c.name, _joined(c.region, c.get_status_display()))
            for c in rows]


def pick_opportunities(user, text: str) -> list[Choice]:
    text = _first(text)
    if not text:
        return []
    rows = (
        visible(user, Opportunity.objects.all(), Action.VIEW)
        .filter(Q(title__icontains=text) | Q(customer__name__icontains=text) | _id_q(text))
        .select_related("customer").order_by("-id")[:PICK_LIMIT]
    )
    return [Choice(o.pk, o.title, _joined(o.customer.name, o.get_stage_display())) for o in rows]


def pick_quotes(user, text: str) -> list[Choice]:
    text = _first(text)
    if not text:
        return []
    rows = (
        visible(user, Quote.objects.all(), Action.VIEW)
        .filter(Q(number__icontains=text) | Q(customer__name__icontains=text) | _id_q(text))
        .select_related("customer").order_by("-id")[:PICK_LIMIT]
    )
    return [Choice(q.pk, q.number, _joined(q.customer.name, q.get_status_display())) for q in rows]


def pick_orders(user, text: str) -> list[Choice]:
    text = _first(text)
    if not text:
        return []
    rows = (
        visible(user, Order.objects.all(), Action.VIEW)
        .filter(Q(number__icontains=text) | Q(customer__name__icontains=text) | _id_q(text))
        .select_related("customer").order_by("-id")[:PICK_LIMIT]
    )
    return [Choice(o.pk, o.number, _joined(o.customer.name, o.get_status_display())) for o in rows]


def pick_service_records(user, text: str) -> list[Choice]:
    text = _first(text)
    if not text:
        return []
    rows = (
        visible(user, ServiceRecord.objects.all(), Action.VIEW)
        .filter(Q(title__icontains=text) | Q(customer__name__icontains=text) | _id_q(text))
        .select_related("customer").order_by("-id")[:PICK_LIMIT]
    )
    return [Choice(r.pk, f"{r.title} (#{r.pk})", _joined(r.customer.name, r.get_dispatch_state_display()))
            for r in rows]


def pick_documents(user, text: str) -> list[Choice]:
    text = _first(text)
    if not text:
        return []
    rows = (
        visible(user, Document.objects.all(), Action.VIEW)
        .filter(Q(title__icontains=text) | _id_q(text))
        # newest first along doc_created_idx: a common word stops after 20 visible rows instead of sorting
        # every match (bench/pages.py: 100,000 documents, "Doc" took a seq scan and a sort of all of them)
        .order_by("-created_at", "-id")[:PICK_LIMIT]
    )
    return [Choice(d.pk, d.title, _joined(f"#{d.pk}", d.get_kind_display(), d.get_classification_display()))
            for d in rows]


def pick_products(user, text: str) -> list[Choice]:
    """Active catalogue products (what a quote line may name): by code or by the Chinese or English name.
    The label is the code and the name in the page's language; the detail the other name and the list price."""
    text = _first(text)
    if not text:
        return []
    rows = (
        visible(user, Product.objects.filter(active=True), Action.VIEW)
        .filter(Q(code__icontains=text) | Q(name__icontains=text) | Q(name_en__icontains=text) | _id_q(text))
        .annotate(rank=_starts_first("code", "name", "name_en", text=text))
        .order_by("rank", "code")[:PICK_LIMIT]
    )
    language = get_language()
    choices = []
    for product in rows:
        name = product.name_in(language)
        other = product.name if name != product.name else product.name_en
        choices.append(Choice(product.pk, f"{product.code} {name}",
                              _joined(other, f"{product.list_price} {product.currency}")))
    return choices


PICKERS = {
    "user": pick_users,
    "group": pick_groups,
    "customer": pick_customers,
    "opportunity": pick_opportunities,
    "quote": pick_quotes,
    "order": pick_orders,
    "service_record": pick_service_records,
    "document": pick_documents,
    "product": pick_products,
}
