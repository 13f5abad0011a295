"""Reads of customers and what hangs off them."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Count, Prefetch, Q, QuerySet
from django.db.models.functions import Length, Lower

from backend.access.policy import Action, visible
from backend.common.errors import NotFound
from backend.crm.models import OPEN_STAGES, AccountTeamMember, Contact, Customer


def customer_list_visible(*, user, search: str = "", status: str = "", owner_id: int | None = None) -> QuerySet:
    queryset = visible(user, Customer.objects.all(), Action.VIEW).select_related("owner")
    if search:
        queryset = queryset.filter(Q(name__icontains=search) | Q(code__icontains=search))
    if status:
        queryset = queryset.filter(status=status)
    if owner_id:
        queryset = queryset.filter(owner_id=owner_id)
    return queryset.order_by("name", "id")


def customer_get_visible(
    *, user, customer_id: int, action: Action = Action.VIEW, detailed: bool = False
) -> Customer:
    """The customer if `user` may `action` it; NotFound otherwise (missing or not).

    `detailed` also loads the account team, contacts and the open-opportunity count (for active staff
    from queries compiled once per kind of user: backend.crm.selectors.customer_page).
    """
    if detailed and action == Action.VIEW:
        from backend.crm.selectors.customer_page import customer_detailed

        customer = customer_detailed(user=user, customer_id=customer_id)
        if customer is None:
            raise NotFound()
        if customer is not False:
            return customer
    queryset = visible(user, Customer.objects.all(), action).select_related("owner", "owner__department")
    if detailed:
        queryset = queryset.prefetch_related(
            Prefetch("team", queryset=AccountTeamMember.objects.select_related("user").order_by("added_at")),
            Prefetch("contacts", queryset=Contact.objects.order_by("-is_primary", "name")),
        ).annotate(
            open_opportunities=Count("opportunities", filter=Q(opportunities__stage__in=OPEN_STAGES), distinct=True)
        )
    customer = queryset.filter(pk=customer_id).first()
    if customer is None:
        raise NotFound()
    return customer


def contact_get_visible(*, user, customer_id: int, contact_id: int, action: Action = Action.VIEW) -> Contact:
    """The contact of that customer if `user` may `action` it (contacts follow their customer); NotFound
    otherwise."""
    contact = (visible(user, Contact.objects.all(), action).select_related("customer")
               .filter(pk=contact_id, customer_id=customer_id).first())
    if contact is None:
        raise NotFound()
    return contact


# --- the duplicate guard ---------------------------------------------------------------------------

_ASCII_UPPER_TO_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _name_q(name: str) -> Q:
    # lower() in SQL folds Unicode on PostgreSQL but only A-Z on SQLite; match either way, so the unique
    # index (on SQL's lower) never refuses a name this check let through.
    return Q(lower_name=name.lower()) | Q(lower_name=name.translate(_ASCII_UPPER_TO_LOWER))


def customer_duplicate_of(*, name: str, region: str, code: str | None, exclude_pk: int | None = None) -> Customer | None:
    """The customer that makes (name, region) or the code taken, whoever may see it: the uniqueness check
    the create and update services refuse with. Not a read for display (see customer_duplicates_for)."""
    candidates = Customer.objects.select_related("owner").annotate(lower_name=Lower("name"))
    if exclude_pk is not None:
        candidates = candidates.exclude(pk=exclude_pk)
    same = candidates.filter(_name_q(name), region=region).first()
    if same is None and not name.isascii() and connection.vendor != "postgresql":
        # and a non-ASCII name differing only in case (Ä/ä) is the same customer there too
        same = next((row for row in candidates.annotate(name_length=Length("name"))
                     .filter(region=region, name_length=len(name)).iterator()
                     if row.name.lower() == name.lower()), None)
    if same is None and code:
        same = candidates.filter(code=code).first()
    return same


@dataclass(frozen=True)
class DuplicateMatch:
    """An existing customer with the typed name (any region) or code. `blocking`: saving would be refused
    (the same name in the same region, or the same code). When not `visible`, a page may show only that it
    exists and its owner, whom to ask; never its name as stored, region, code, id or anything else."""

    customer: Customer
    visible: bool
    blocking: bool
    by_code: bool


@dataclass(frozen=True)
class DuplicateReport:
    matches: list[DuplicateMatch] = field(default_factory=list)
    similar: list[Customer] = field(default_factory=list)  # visible customers whose names contain the text

    @property
    def blocking(self) -> bool:
        return any(match.blocking for match in self.matches)

    def __bool__(self) -> bool:
        return bool(self.matches or self.similar)


DUPLICATES_SHOWN = 5
DUPLICATES_CONSIDERED = 50  # same-name customers read to find the blocking one among them
SIMILAR_MIN_LENGTH = 2


def customer_duplicates_for(
    *, user, name: str, region: str = "", code: str | None = None, exclude_pk: int | None = None,
) -> DuplicateReport:
    """What the duplicate guard tells `user` while they type a customer's name, region and code: every
    customer with the same name (any region) or the same code, each marked visible or not and blocking
    or not, and up to DUPLICATES_SHOWN visible customers whose names contain the text. Three queries."""
    name, region, code = (name or "").strip(), (region or "").strip(), (code or "").strip() or None
    if not name and not code:
        return DuplicateReport()
    rows = Customer.objects.select_related("owner", "owner__department").annotate(lower_name=Lower("name"))
    if exclude_pk is not None:
        rows = rows.exclude(pk=exclude_pk)
    same = Q(pk__in=[])
    if name:
        same |= _name_q(name)
    if code:
        same |= Q(code=code)
    found = list(rows.filter(same).order_by("name", "id")[:DUPLICATES_CONSIDERED])
    seen = set(visible(user, Customer.objects.filter(pk__in=[row.pk for row in found]), Action.VIEW)
               .values_list("pk", flat=True)) if found else set()
    matches = []
    for row in found:
        by_code = bool(code) and row.code == code
        same_name = bool(name) and row.name.lower() == name.lower()
        matches.append(DuplicateMatch(customer=row, visible=row.pk in seen, by_code=by_code,
                                      blocking=by_code or (same_name and row.region == region)))
    # the ones that block saving first, then those the reader may open
    matches = sorted(matches, key=lambda match: (not match.blocking, not match.visible))[:DUPLICATES_SHOWN]
    similar = []
    if len(name) >= SIMILAR_MIN_LENGTH:
        queryset = customer_list_visible(user=user, search=name).select_related("owner__department")
        queryset = queryset.exclude(pk__in=[row.pk for row in found])
        if exclude_pk is not None:
            queryset = queryset.exclude(pk=exclude_pk)
        similar = list(queryset.order_by(Length("name"), "name", "id")[:DUPLICATES_SHOWN])
    return DuplicateReport(matches=matches, similar=similar)


def customer_field_values(*, user, field_name: str, limit: int = 200) -> list[str]:
    """The values of `field_name` ("industry" or "region") among the customers `user` may see, for the
    form's suggestions: one spelling per region or industry keeps the duplicate check meaningful."""
    if field_name not in ("industry", "region"):
        raise ValueError(field_name)
    return list(visible(user, Customer.objects.all(), Action.VIEW).exclude(**{field_name: ""})
                .order_by(field_name).values_list(field_name, flat=True).distinct()[:limit])
