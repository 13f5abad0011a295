"""Reads for the handover of a leaving rep's book: who holds one, and what it holds.

A book is what a rep holds: the customers they own, their open opportunities (not won or lost), their
open quotes (draft or sent), their open reminders (Activity kind reminder, not done) and their places on
account teams. Each part is one query, narrowed by the access policy to the rows the reader may manage
(visible(..., MANAGE)), so the page lists exactly what the service would move.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q, QuerySet

from backend.access.policy import Action, customer_visibility_q, visible
from backend.access.policy.handover import may_hand_over_book_of, may_hand_over_books
from backend.accounts.models import Role, User
from backend.common.errors import NotFound
from backend.crm.models import (
    OPEN_QUOTE_STATUSES, OPEN_STAGES, AccountTeamMember, Activity, ActivityKind, Customer, Opportunity, Quote,
)

# The parts of a book, in the order the page shows them.
KINDS: tuple[str, ...] = ("customer", "opportunity", "quote", "reminder", "team")


@dataclass(frozen=True)
class BookRow:
    """One thing that moves: `kind` (one of KINDS), the row itself, and the customer it belongs to."""

    kind: str
    obj: object
    customer: Customer

    @property
    def pk(self) -> int:
        return self.obj.pk

    @property
    def key(self) -> str:
        """The row's name in a form and a plan: "customer-12", "team-40"."""
        return f"{self.kind}-{self.obj.pk}"


@dataclass
class Book:
    rep: User
    parts: dict[str, list[BookRow]] = field(default_factory=dict)

    @property
    def rows(self) -> list[BookRow]:
        return [row for kind in KINDS for row in self.parts.get(kind, [])]

    @property
    def keys(self) -> set[str]:
        return {row.key for row in self.rows}

    def __len__(self) -> int:
        return sum(len(rows) for rows in self.parts.values())


def open_customers(rep_id: int) -> QuerySet:
    return Customer.objects.filter(owner_id=rep_id)


def open_opportunities(rep_id: int) -> QuerySet:
    return Opportunity.objects.filter(owner_id=rep_id, stage__in=OPEN_STAGES)


def open_quotes(rep_id: int) -> QuerySet:
    return Quote.objects.filter(owner_id=rep_id, status__in=OPEN_QUOTE_STATUSES)


def open_reminders(rep_id: int) -> QuerySet:
    return Activity.objects.filter(owner_id=rep_id, kind=ActivityKind.REMINDER, done=False)


def team_places(rep_id: int) -> QuerySet:
    return AccountTeamMember.objects.filter(user_id=rep_id)


def book_querysets(*, user, rep_id: int) -> dict[str, QuerySet]:
    """Each part of `rep_id`'s book as a queryset of the rows `user` may manage (not yet evaluated)."""
    return {
        "customer": visible(user, open_customers(rep_id), Action.MANAGE),
        "opportunity": visible(user, open_opportunities(rep_id), Action.MANAGE),
        "quote": visible(user, open_quotes(rep_id), Action.MANAGE),
        "reminder": visible(user, open_reminders(rep_id), Action.MANAGE),
        # Account-team places have no rule of their own: they follow their customer.
        "team": team_places(rep_id).filter(customer_visibility_q(user, Action.MANAGE, prefix="customer__")),
    }


def handover_book(*, user, rep: User) -> Book:
    """What `rep` holds that `user` may hand over (NotFound unless the policy lets `user` hand it over).
    Five queries, whatever the size of the book."""
    if not may_hand_over_book_of(user, rep):
        raise NotFound()
    sets = book_querysets(user=user, rep_id=rep.pk)
    book = Book(rep=rep)
    customers = list(sets["customer"].order_by("name", "id"))
    book.parts["customer"] = [BookRow("customer", customer, customer) for customer in customers]
    opportunities = sets["opportunity"].select_related("customer").order_by("customer__name", "expected_close", "id")
    book.parts["opportunity"] = [BookRow("opportunity", o, o.customer) for o in opportunities]
    quotes = sets["quote"].select_related("customer").order_by("customer__name", "number")
    book.parts["quote"] = [BookRow("quote", q, q.customer) for q in quotes]
    reminders = sets["reminder"].select_related("customer").order_by("due_at", "id")
    book.parts["reminder"] = [BookRow("reminder", a, a.customer) for a in reminders]
    places = sets["team"].select_related("customer", "customer__owner").order_by("customer__name", "id")
    book.parts["team"] = [BookRow("team", m, m.customer) for m in places]
    return book


def handover_reps(*, user) -> list[User]:
    """The colleagues with a book `user` may hand over (inactive ones too: they may have left already),
    by name. Empty for whoever may not hand over books."""
    if not may_hand_over_books(user):
        return []
    holders = (
        Q(pk__in=Customer.objects.values("owner_id"))
        | Q(pk__in=Opportunity.objects.filter(stage__in=OPEN_STAGES).values("owner_id"))
        | Q(pk__in=Quote.objects.filter(status__in=OPEN_QUOTE_STATUSES).values("owner_id"))
        | Q(pk__in=Activity.objects.filter(kind=ActivityKind.REMINDER, done=False).values("owner_id"))
        | Q(pk__in=AccountTeamMember.objects.values("user_id"))
    )
    return list(User.objects.exclude(role=Role.PORTAL).exclude(pk=user.pk).filter(holders)
                .select_related("department").order_by("-is_active", "display_name", "username"))


def handover_rep_get(*, user, rep_id: int | None) -> User:
    """The rep whose book `user` may hand over (inactive ones too); NotFound otherwise."""
    rep = User.objects.select_related("department").filter(pk=rep_id).first() if rep_id else None
    if rep is None or not may_hand_over_book_of(user, rep):
        raise NotFound()
    return rep


def handover_recipients(*, user, ids) -> list[User]:
    """The active colleagues among `ids` a book may go to, in the order given (unknown ids are dropped)."""
    if not may_hand_over_books(user):
        return []
    wanted = [int(pk) for pk in dict.fromkeys(ids)]
    found = {u.pk: u for u in User.objects.filter(pk__in=wanted, is_active=True).exclude(role=Role.PORTAL)
             .select_related("department")}
    return [found[pk] for pk in wanted if pk in found]


def handover_plan_users(*, user, ids) -> dict[int, User]:
    """The users a posted plan names, by id, whatever their state: the service says why one may not take
    over (inactive, a portal user, the leaving rep) next to the row. Empty for whoever may not hand over."""
    if not may_hand_over_books(user):
        return {}
    return User.objects.in_bulk([int(pk) for pk in set(ids)])
