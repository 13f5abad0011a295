"""The compliance console finds people, documents and customers by name, never by id.

One lookup per kind, `(actor, text) -> list[Named]`, used both by the console's pickers
(`/compliance/pick/<kind>/`, the JSON of P2's picker contract) and by its filters when a name was typed
without picking from the list. Wider than the general pickers, as the console's job is reviewing:

* people: staff **and** portal users, active or not (a person who has left still has a trail);
* documents: every document, as compliance may review any document's access (policy
  `can_review_access`); only titles and ids are shown, never content;
* customers: those the actor may see (compliance sees every customer).

A typed text resolves when exactly one row matches it exactly (user name, e-mail, title, customer name
or code, "#id"), else when exactly one row contains it; several rows are reported by name so the reader
can pick one. Each lookup is one query with a LIMIT.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from django.db.models import Q, QuerySet, Value
from django.db.models.functions import Concat

from backend.access.policy import Action, may_open_compliance_console, visible
from backend.accounts.models import User
from backend.crm.models import Customer
from backend.documents.models import Document

LIMIT = 20
KINDS = ("user", "document", "customer")
# "王芳 (wang.fang)", "上海精工机械有限公司 (SH-JG)": the label a picker shows, typed back.
_LABELLED = re.compile(r"^(?P<name>.+?)\s*\((?P<key>[^()]+)\)$")


@dataclass(frozen=True)
class Named:
    id: int
    label: str
    detail: str = ""

    def as_json(self) -> dict:
        return asdict(self)


def _id_of(text: str) -> int | None:
    digits = text.strip().lstrip("#")
    return int(digits) if digits.isdigit() and len(digits) < 10 else None


def _user_label(user: User) -> str:
    shown = str(user)
    return f"{shown} ({user.username})" if shown != user.username else user.username


def _users(actor) -> QuerySet:
    return User.objects.annotate(
        first_last=Concat("first_name", Value(" "), "last_name"),
        last_first=Concat("last_name", "first_name"),
    ).select_related("department")


def _user_rows(users) -> list[Named]:
    return [Named(u.pk, _user_label(u), " · ".join(
        part for part in (str(u.get_role_display()), u.department.name if u.department else "") if part))
        for u in users]


def users_named(actor, text: str, *, exact: bool = False) -> list[Named]:
    text = text.strip()[:150]
    if not text or not may_open_compliance_console(actor):
        return []
    if exact:
        q = Q(username__iexact=text) | Q(email__iexact=text) | Q(display_name__iexact=text)
        match = _LABELLED.match(text)
        if match:
            q |= Q(username__iexact=match["key"].strip())
    else:
        q = (Q(username__icontains=text) | Q(display_name__icontains=text) | Q(first_name__icontains=text)
             | Q(last_name__icontains=text) | Q(first_last__icontains=text) | Q(last_first__icontains=text))
        if _id_of(text) is not None:
            q |= Q(pk=_id_of(text))
    return _user_rows(_users(actor).filter(q).order_by("username")[:LIMIT])


def documents_named(actor, text: str, *, exact: bool = False) -> list[Named]:
    text = text.strip()[:300]
    if not text or not may_open_compliance_console(actor):
        return []
    q = Q(title__iexact=text) if exact else Q(title__icontains=text)
    if not exact and _id_of(text) is not None:
        q |= Q(pk=_id_of(text))
    rows = Document.objects.filter(q).order_by("-updated_at", "-id").only(
        "id", "title", "kind", "classification")[:LIMIT]
    return [Named(d.pk, d.title, f"#{d.pk} · {d.get_kind_display()} · {d.get_classification_display()}")
            for d in rows]


def customers_named(actor, text: str, *, exact: bool = False) -> list[Named]:
    text = text.strip()[:200]
    if not text or not may_open_compliance_console(actor):
        return []
    if exact:
        q = Q(name__iexact=text) | Q(code__iexact=text)
        match = _LABELLED.match(text)
        if match:
            q |= Q(name__iexact=match["name"].strip(), code__iexact=match["key"].strip())
    else:
        q = Q(name__icontains=text) | Q(code__icontains=text)
        if _id_of(text) is not None:
            q |= Q(pk=_id_of(text))
    rows = visible(actor, Customer.objects.all(), Action.VIEW).filter(q).order_by("name", "id")[:LIMIT]
    return [Named(c.pk, f"{c.name} ({c.code})" if c.code else c.name, c.region or "") for c in rows]


LOOKUPS = {"user": users_named, "document": documents_named, "customer": customers_named}


def named_by_id(actor, kind: str, pk: int) -> Named | None:
    """The row with this id as the console names it (None when there is none): one primary-key probe."""
    if not may_open_compliance_console(actor):
        return None
    if kind == "user":
        rows = _user_rows(User.objects.filter(pk=pk).select_related("department"))
    elif kind == "document":
        rows = [Named(d.pk, d.title, f"#{d.pk} · {d.get_kind_display()} · {d.get_classification_display()}")
                for d in Document.objects.filter(pk=pk).only("id", "title", "kind", "classification")]
    else:
        rows = [Named(c.pk, f"{c.name} ({c.code})" if c.code else c.name, c.region or "")
                for c in visible(actor, Customer.objects.all(), Action.VIEW).filter(pk=pk)]
    return rows[0] if rows else None


def resolve(actor, kind: str, text: str) -> list[Named]:
    """What a typed name means: the exact matches if any, else the rows containing it (at most LIMIT)."""
    wanted = _id_of(text)
    if wanted is not None:
        row = named_by_id(actor, kind, wanted)
        if row is not None:
            return [row]
    lookup = LOOKUPS[kind]
    return lookup(actor, text, exact=True) or lookup(actor, text)
