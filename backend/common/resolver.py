"""The id resolver every API and portal view uses: "this id → the row, or a 400 naming the field".

A request body names related rows by id (`"customer": 7`). Whether the caller must be able to *see* the
row is the caller's choice, stated by what it passes: `visible(actor, Model.objects.all())` (or a
selector) when the row must be visible, the model itself when the service checks access. Either way a
missing row and a row the caller may not see give the same 400, so ids reveal nothing.

backend/common imports no other package of the project, so the visibility rule comes in as an argument.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db.models import Model, QuerySet

from backend.common.errors import InvalidInput, NotFound

Rows = type[Model] | QuerySet | Callable[[Any], Any]


def _no_such(message: str, field: str) -> InvalidInput:
    return InvalidInput(message, fields={field: [message]})


def resolve(rows: Rows, pk: Any, *, field: str, label: str, message: str | None = None):
    """The row `pk` names among `rows`, or None when `pk` is None; a 400 on `field` ("No such {label}.",
    or `message`) when there is none.

    rows: a model (any row of it), a queryset (only its rows: pass the visible ones when the caller must
    see the row), or a callable pk → row that raises NotFound (a selector such as `customer_get_visible`).
    """
    if pk is None:
        return None
    message = message or f"No such {label}."
    if isinstance(rows, type) and issubclass(rows, Model):
        rows = rows._default_manager.all()
    if isinstance(rows, QuerySet):
        found = rows.filter(pk=pk).first()
        if found is None:
            raise _no_such(message, field)
        return found
    try:
        return rows(pk)
    except NotFound:
        raise _no_such(message, field) from None


def resolve_all(rows: type[Model] | QuerySet, pks: Iterable[Any], *, field: str, label: str) -> list:
    """Every row `pks` names among `rows`, in one query; a 400 on `field` listing the ids that name none
    ("No such {label}: 3, 9.")."""
    if isinstance(rows, type) and issubclass(rows, Model):
        rows = rows._default_manager.all()
    wanted = set(pks)
    found = list(rows.filter(pk__in=wanted))
    missing = wanted - {row.pk for row in found}
    if missing:
        raise _no_such(f"No such {label}: {', '.join(str(pk) for pk in sorted(missing))}.", field)
    return found
