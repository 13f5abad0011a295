"""What a planned demo document is, and the tools every area of the plan drafts with.

A plan only describes: its files are rendered when a version has to be uploaded, and every random choice
comes from one seeded `Draw`, so the plan is the same on every machine and every run.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import partial

from backend.access.policy import Action
from backend.documents.models import Classification as CL
from backend.documents.models import DocumentKind as K
from demo.compose.lines import Line
from demo.compose.quotes import QuoteTerms, quote_workbook
from demo.files.body import MARKINGS, Body
from demo.files.office import render_docx
from demo.files.pdf import render_pdf
from demo.files.text import render_csv, render_text
from demo.world import EXTRAS, PRODUCTS

SEED = 2026
KEY_PREFIX = "demo:"
# The plan's last document. Its existence means a seed once ran to the end.
FINAL_KEY = "demo-guide"

ZERO = Decimal(0)
CONFIDENTIAL = MARKINGS[CL.CONFIDENTIAL]


@dataclass(frozen=True)
class DocumentPlan:
    key: str
    title: str
    kind: str
    classification: str
    owner: str
    versions: tuple[VersionPlan, ...]
    description: str = ""
    tags: tuple[str, ...] = ()
    grants: tuple[GrantPlan, ...] = ()
    checked_out_by: str | None = None

    @property
    def idempotency_key(self) -> str:
        return KEY_PREFIX + self.key


@dataclass(frozen=True)
class VersionPlan:
    filename: str
    render: Callable[[], bytes]  # rendered only when the version has to be uploaded
    comment: str = ""
    by: str | None = None  # the uploader; the owner when None
    approve: Approval | None = None


@dataclass(frozen=True)
class Approval:
    by: str
    valid_days: int | None = None  # valid until today + N days
    expired_on: dt.date | None = None  # an approval that has already run out

    def valid_until(self, today: dt.date) -> dt.date | None:
        if self.expired_on is not None:
            return min(self.expired_on, today - dt.timedelta(days=1))
        if self.valid_days is not None:
            return today + dt.timedelta(days=self.valid_days)
        return None


@dataclass(frozen=True)
class GrantPlan:
    level: Action
    user: str | None = None
    department: str | None = None


def as_pdf(body: Body) -> Callable[[], bytes]:
    return partial(render_pdf, body)


def as_docx(body: Body) -> Callable[[], bytes]:
    return partial(render_docx, body)


def as_text(body: Body) -> Callable[[], bytes]:
    return partial(render_text, body)


def as_csv(rows) -> Callable[[], bytes]:
    return partial(render_csv, rows)


class Draw:
    """The plan's random choices, all from one seeded generator."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def day(self, first_month: int, last_month: int, year: int = 2026) -> dt.date:
        start = dt.date(year, first_month, 1)
        end = dt.date(year + (last_month == 12), last_month % 12 + 1, 1) - dt.timedelta(days=1)
        day = start + dt.timedelta(days=self.rng.randint(0, (end - start).days))
        while day.weekday() >= 5:  # documents are written on working days
            day -= dt.timedelta(days=1)
        return max(day, start)

    def discount(self, low: int, high: int) -> Decimal:
        return Decimal(self.rng.randint(low, high)) / 100

    def quantity(self, low: int, high: int) -> int:
        return self.rng.randint(low, high)

    def choice(self, items):
        return self.rng.choice(items)


def quote_lines(*items: tuple[str, int, Decimal], currency_rate: Decimal = Decimal(1)) -> tuple[Line, ...]:
    """(product or extra code, quantity, discount) -> quote lines at list price (converted for export)."""
    lines = []
    for code, quantity, discount in items:
        product = PRODUCTS.get(code) or EXTRAS[code]
        price = (product.price / currency_rate).quantize(Decimal("100")) if currency_rate != 1 else product.price
        lines.append(Line(product, quantity, price, discount))
    return tuple(lines)


def workbook_quote(key: str, terms: QuoteTerms, *, owner: str, filename: str, model: str) -> DocumentPlan:
    """A quote kept as its one workbook: internal, titled 报价单 <number> <customer>, tagged with the model."""
    return DocumentPlan(
        key=key, kind=K.QUOTE, classification=CL.INTERNAL, owner=owner,
        title=f"报价单 {terms.number} {terms.customer.zh}", tags=("报价单", terms.customer.zh, model),
        versions=(VersionPlan(filename, partial(quote_workbook, terms, author=owner)),),
    )


def with_discount(lines: tuple[Line, ...], machines: Decimal) -> tuple[Line, ...]:
    """The same lines with a new discount on the machines (services keep theirs)."""
    machine_codes = {product.code for product in PRODUCTS.values()}
    return tuple(
        Line(line.item, line.quantity, line.unit_price, machines if line.item.code in machine_codes else line.discount)
        for line in lines
    )
