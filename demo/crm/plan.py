"""The demo company's CRM, as data: customers and their deals, service records, knowledge articles, activities.

The tables are in demo/crm/plan.toml and are read here into the types below. The customers the demo
documents talk about (demo/world.py) come first; more accounts give the reports something to count.
demo/crm/seed.py writes all of it through the CRM services.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from backend.crm.models import CustomerStatus, CustomerTier, DispatchState, Stage
from demo.world import CUSTOMERS

_DATA = tomllib.loads(Path(__file__).with_name("plan.toml").read_text(encoding="utf-8"))

MARKER_CODE = "QH-C-001"  # the first demo customer; its existence means the CRM demo is there


@dataclass(frozen=True)
class Deal:
    """One opportunity and how far it got. `billing` says what happened after a won deal's order."""

    title: str
    items: tuple[tuple[str, int, int], ...]  # (product code, quantity, discount %)
    stage: str
    age_days: int  # how long ago the deal was opened
    lost_reason: str = ""
    billing: str = ""  # paid, partly-overdue, overdue, prepaid, invoiced, open, cancelled
    contract_key: str = ""  # a demo document to attach as the order's contract
    second_rep: str = ""  # a team member who also quoted this customer
    order_number: str = ""
    # The demo's old quote file (a document key of demo/plan, e.g. "quote-huadong") and its number: the seeded
    # quote takes that number and the file; a quote without one gets its PDF drawn from its lines.
    quote_key: str = ""
    quote_number: str = ""


@dataclass(frozen=True)
class CustomerPlan:
    code: str
    name: str
    region: str
    industry: str
    owner: str
    tier: str = CustomerTier.NORMAL
    status: str = CustomerStatus.ACTIVE
    currency: str = "CNY"
    contact: tuple[str, str, str, str] = ("", "", "", "")  # name, title, e-mail, phone
    contact_channel: str = ""  # how the contact prefers to be reached (ContactChannel), "" for no preference
    contact_no_marketing: bool = False  # the contact opted out of marketing
    team: tuple[str, ...] = ()
    age_days: int = 400
    deals: tuple[Deal, ...] = ()


def _company(key: str) -> tuple[str, str]:
    company = CUSTOMERS[key]
    return company.zh, company.city_zh


def _contact(key: str, title: str, domain: str) -> tuple[str, str, str, str]:
    company = CUSTOMERS[key]
    name = company.contact_zh if company.contact_zh != company.contact_en else company.contact_en
    handle = company.contact_en.lower().replace(" ", ".")
    return name, title, f"{handle}@{domain}", company.phone


def _customer(row: dict) -> CustomerPlan:
    """One [[customers]] table: `company` names a customer of the world (its name and city), a `contact`
    table the person there; a plain `contact` list is given as it is."""
    row = dict(row)
    if "company" in row:
        row["name"], row["region"] = _company(row.pop("company"))
    if "contact" in row:
        contact = row["contact"]
        if isinstance(contact, dict):
            row["contact_channel"] = contact.get("channel", "")
            row["contact_no_marketing"] = bool(contact.get("no_marketing", False))
        row["contact"] = (_contact(contact["at"], contact["title"], contact["domain"]) if isinstance(contact, dict)
                          else tuple(contact))
    if "tier" in row:
        row["tier"] = CustomerTier(row["tier"])
    if "status" in row:
        row["status"] = CustomerStatus(row["status"])
    row["team"] = tuple(row.get("team", ()))
    row["deals"] = tuple(_deal(deal) for deal in row.get("deals", ()))
    return CustomerPlan(**row)


def _deal(row: dict) -> Deal:
    return Deal(**{**row, "items": tuple(tuple(item) for item in row["items"]), "stage": Stage(row["stage"])})


PLAN: tuple[CustomerPlan, ...] = tuple(_customer(row) for row in _DATA["customers"])
assert PLAN[0].code == MARKER_CODE

QUOTE_FILES: tuple[tuple[str, str], ...] = tuple((key, code) for key, code in _DATA["quote_files"])

SPARE_PARTS: tuple[tuple[str, str, Decimal], ...] = tuple(
    (code, name, Decimal(price)) for code, name, price in _DATA["spare_parts"]
)


@dataclass(frozen=True)
class ServicePlan:
    customer: str  # customer code
    title: str
    type: str
    priority: str
    state: str
    product: str
    description: str
    resolution: str = ""
    satisfaction: int | None = None
    engineer: str = "tom.becker"
    opened_by: str = ""  # the customer's owner when empty
    days_ago: int = 30
    hours: tuple[int, int, int, int] = (2, 6, 48, 72)  # dispatch, confirm, resolve, close after opening


def _service(row: dict) -> ServicePlan:
    row = {**row, "state": DispatchState(row["state"])}
    if "hours" in row:
        row["hours"] = tuple(row["hours"])
    return ServicePlan(**row)


SERVICE: tuple[ServicePlan, ...] = tuple(_service(row) for row in _DATA["service"])


@dataclass(frozen=True)
class ArticlePlan:
    title: str
    body: str
    product: str
    visibility: str
    author: str
    publish: bool = True


ARTICLES: tuple[ArticlePlan, ...] = tuple(ArticlePlan(**row) for row in _DATA["articles"])


@dataclass(frozen=True)
class ActivityPlan:
    customer: str
    who: str
    kind: str
    subject: str
    days: int  # occurred this many days ago (or, for reminders, due in this many days; negative = overdue)
    done: bool = False


ACTIVITIES: tuple[ActivityPlan, ...] = tuple(ActivityPlan(*row) for row in _DATA["activities"])
