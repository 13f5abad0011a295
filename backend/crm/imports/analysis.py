"""The dry run: each row of a file cleaned, checked and matched against the rows before it and against
the database, with the decision suggested for it (a duplicate is merged, a row that cannot be imported is
skipped, the rest are created), and the cleaning report's counts.

The database is read once per kind of key (names, codes, phones, e-mails) into `RecordIndex`, so a file of
100,000 rows is checked in memory; the commit keeps the same index up to date as it writes, and the CRM's
own duplicate guard (customer_create's) still refuses an exact duplicate at the last moment."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db.models import Q

from backend.accounts.models import Role, User
from backend.crm.imports.cleaning import email_address, email_key, name_key, normalised, phone_key, phone_number
from backend.crm.imports.fields import fields_of
from backend.crm.models import (
    OPEN_STAGES, Contact, Currency, Customer, CustomerStatus, CustomerTier, ImportDecision, ImportEntity,
    Opportunity, Product, Stage,
)

# Issue codes (the report names each one in the reader's language: backend.crm.imports.runs.ISSUE_LABELS).
MISSING = "missing"
NORMALISED = "normalised"
INVALID_PHONE = "invalid_phone"
INVALID_EMAIL = "invalid_email"
INVALID_NUMBER = "invalid_number"
INVALID_DATE = "invalid_date"
INVALID_CHOICE = "invalid_choice"
UNKNOWN_OWNER = "unknown_owner"
UNKNOWN_CUSTOMER = "unknown_customer"
DUPLICATE_IN_FILE = "duplicate_in_file"
DUPLICATE_IN_DATABASE = "duplicate_in_database"

_TIERS = {"a": CustomerTier.KEY, "key": CustomerTier.KEY, "重点": CustomerTier.KEY, "重点客户": CustomerTier.KEY,
          "a类": CustomerTier.KEY, "b": CustomerTier.NORMAL, "normal": CustomerTier.NORMAL, "普通": CustomerTier.NORMAL,
          "b类": CustomerTier.NORMAL, "普通客户": CustomerTier.NORMAL, "c": CustomerTier.PROSPECT,
          "prospect": CustomerTier.PROSPECT, "潜在": CustomerTier.PROSPECT, "c类": CustomerTier.PROSPECT,
          "潜在客户": CustomerTier.PROSPECT}
_STATUSES = {"prospect": CustomerStatus.PROSPECT, "潜在": CustomerStatus.PROSPECT, "意向": CustomerStatus.PROSPECT,
             "active": CustomerStatus.ACTIVE, "活跃": CustomerStatus.ACTIVE, "合作中": CustomerStatus.ACTIVE,
             "成交": CustomerStatus.ACTIVE, "dormant": CustomerStatus.DORMANT, "休眠": CustomerStatus.DORMANT,
             "lost": CustomerStatus.LOST, "流失": CustomerStatus.LOST}
_STAGES = {"lead": Stage.LEAD, "线索": Stage.LEAD, "意向": Stage.LEAD, "qualification": Stage.QUALIFICATION,
           "需求确认": Stage.QUALIFICATION, "资格确认": Stage.QUALIFICATION, "proposal": Stage.PROPOSAL,
           "报价": Stage.PROPOSAL, "方案": Stage.PROPOSAL, "negotiation": Stage.NEGOTIATION, "谈判": Stage.NEGOTIATION,
           "商务谈判": Stage.NEGOTIATION}
_TIER_VALUES = frozenset(CustomerTier.values)
_STATUS_VALUES = frozenset(CustomerStatus.values)
_OPEN_STAGE_VALUES = frozenset(str(stage) for stage in OPEN_STAGES)
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s.*)?$")
_MONEY_NOISE = re.compile(r"[,\s¥￥$€元]|RMB|CNY|USD|EUR", re.IGNORECASE)


@dataclass
class AnalysedRow:
    number: int
    data: dict
    issues: list[str] = field(default_factory=list)
    match: dict = field(default_factory=dict)
    decision: str = ImportDecision.CREATE


# --- the database, read once ---------------------------------------------------------------------------------


class RecordIndex:
    """The keys of the records already in the database (and, during a commit, of those it made), for one
    kind of record."""

    def __init__(self, entity: str):
        self.entity = entity
        self.customer_by_name: dict[tuple[str, str], int] = {}
        self.customers_by_name_any_region: dict[str, list[int]] = {}
        self.customer_by_code: dict[str, int] = {}
        self.customer_by_phone: dict[str, int] = {}
        self.customer_by_email: dict[str, int] = {}
        self.contact_keys: dict[tuple[int, str, str], int] = {}
        self.product_by_code: dict[str, int] = {}
        self.opportunity_by_title: dict[tuple[int, str], int] = {}
        self.users: dict[str, int] = {}
        self._temporary: list[tuple[dict, object]] = []
        self._last_temporary = 0
        self._load()

    def _load(self) -> None:
        for pk, name, region, code in Customer.objects.values_list("pk", "name", "region", "code").iterator(2000):
            self.add_customer(pk, name=name, region=region, code=code)
        if self.entity in (ImportEntity.CUSTOMER, ImportEntity.CONTACT):
            for pk, customer_id, name, phone, email in Contact.objects.values_list(
                    "pk", "customer_id", "name", "phone", "email").iterator(2000):
                self.add_contact(pk, customer_id=customer_id, name=name, phone=phone, email=email)
        if self.entity == ImportEntity.PRODUCT:
            self.product_by_code = {code.casefold(): pk for pk, code in Product.objects.values_list("pk", "code")}
        if self.entity == ImportEntity.OPPORTUNITY:
            for pk, customer_id, title in Opportunity.objects.values_list("pk", "customer_id", "title").iterator(2000):
                self.opportunity_by_title.setdefault((customer_id, name_key(title)), pk)
        if self.entity == ImportEntity.CUSTOMER:
            staff = User.objects.filter(is_active=True).exclude(role=Role.PORTAL)
            for pk, username, email, display_name in staff.values_list("pk", "username", "email", "display_name"):
                for key in (username, email, display_name):
                    if name_key(key):
                        self.users.setdefault(name_key(key), pk)

    def owner(self, user_id: int):
        """The user (read once) a row names as owner."""
        if not hasattr(self, "_owners"):
            self._owners: dict[int, User] = {}
        if user_id not in self._owners:
            self._owners[user_id] = User.objects.filter(pk=user_id).first()
        return self._owners[user_id]

    # A commit's chunk adds the records it is about to insert under temporary (negative) ids, and `settle`
    # puts their real ids in once they are written.

    def _put(self, table: dict, key, pk: int) -> None:
        if key not in table:
            table[key] = pk
            if pk < 0:
                self._temporary.append((table, key))

    def add_customer(self, pk: int, *, name: str, region: str, code: str | None) -> None:
        key = name_key(name)
        self._put(self.customer_by_name, (key, name_key(region)), pk)
        self.customers_by_name_any_region.setdefault(key, []).append(pk)
        if pk < 0:
            self._temporary.append((self.customers_by_name_any_region, key))
        if code:
            self._put(self.customer_by_code, name_key(code), pk)

    def add_contact(self, pk: int, *, customer_id: int, name: str, phone: str, email: str) -> None:
        for kind, key in (("phone", phone_key(phone)), ("email", email_key(email)), ("name", name_key(name))):
            if key:
                if (customer_id, kind, key) not in self.contact_keys:
                    self.contact_keys[(customer_id, kind, key)] = pk
                    if pk < 0 or customer_id < 0:
                        self._temporary.append((self.contact_keys, (customer_id, kind, key)))
                if kind == "phone":
                    self._put(self.customer_by_phone, key, customer_id)
                elif kind == "email":
                    self._put(self.customer_by_email, key, customer_id)

    def add_opportunity(self, pk: int, *, customer_id: int, title: str) -> None:
        self._put(self.opportunity_by_title, (customer_id, name_key(title)), pk)

    def temporary_id(self) -> int:
        """A new temporary id (negative, never given twice) for a record a chunk is about to insert."""
        self._last_temporary -= 1
        return self._last_temporary

    def settle(self, ids: dict[int, int]) -> None:
        """Replace the temporary ids a chunk used by the real ones (`ids`: temporary -> real)."""
        for table, key in self._temporary:
            if table is self.contact_keys:
                pk = table.pop(key, None)
                if pk is not None:
                    table.setdefault((ids.get(key[0], key[0]),) + key[1:], ids.get(pk, pk))
            elif table is self.customers_by_name_any_region:
                table[key] = [ids.get(pk, pk) for pk in table[key]]
            elif key in table:
                table[key] = ids.get(table[key], table[key])
        self._temporary = []

    def customer_for(self, data: dict) -> tuple[int | None, str]:
        """(the existing customer a customer row is, by what) — code, name and region, phone, e-mail."""
        if data.get("code") and name_key(data["code"]) in self.customer_by_code:
            return self.customer_by_code[name_key(data["code"])], "code"
        found = self.customer_by_name.get((name_key(data.get("name", "")), name_key(data.get("region", ""))))
        if found:
            return found, "name"
        if data.get("phone") and phone_key(data["phone"]) in self.customer_by_phone:
            return self.customer_by_phone[phone_key(data["phone"])], "phone"
        if data.get("email") and email_key(data["email"]) in self.customer_by_email:
            return self.customer_by_email[email_key(data["email"])], "email"
        return None, ""

    def customer_named(self, data: dict) -> int | None:
        """The customer a contact or opportunity row names: by its code, by name and region, or by its name
        alone when one customer has it."""
        if data.get("customer_code") and name_key(data["customer_code"]) in self.customer_by_code:
            return self.customer_by_code[name_key(data["customer_code"])]
        key = name_key(data.get("customer", ""))
        if data.get("region"):
            return self.customer_by_name.get((key, name_key(data["region"])))
        candidates = self.customers_by_name_any_region.get(key, [])
        return candidates[0] if len(candidates) == 1 else None

    def contact_for(self, customer_id: int, data: dict) -> tuple[int | None, str]:
        for kind, key in (("email", email_key(data.get("email", ""))), ("phone", phone_key(data.get("phone", ""))),
                          ("name", name_key(data.get("name", "")))):
            if key and (customer_id, kind, key) in self.contact_keys:
                return self.contact_keys[(customer_id, kind, key)], kind
        return None, ""


# --- one row ---------------------------------------------------------------------------------------------


def _text(raw: list[str], mapping: dict[str, int], name: str, issues: list[str]) -> str:
    index = mapping.get(name)
    if index is None or index >= len(raw):
        return ""
    value = raw[index] or ""
    clean = normalised(value)
    if clean != value:
        if NORMALISED not in issues:
            issues.append(NORMALISED)
    return clean


def _money(value: str, name: str, issues: list[str]) -> str:
    if not value:
        return ""
    try:
        amount = Decimal(_MONEY_NOISE.sub("", value))
        if not amount.is_finite() or amount < 0:
            raise InvalidOperation
    except InvalidOperation:
        issues.append(f"{INVALID_NUMBER}:{name}")
        return ""
    return format(amount.quantize(Decimal("0.01")), "f")


def _date(value: str, name: str, issues: list[str]) -> str:
    if not value:
        return ""
    found = _DATE.match(value)
    try:
        if not found:
            raise ValueError
        return dt.date(int(found.group(1)), int(found.group(2)), int(found.group(3))).isoformat()
    except ValueError:
        issues.append(f"{INVALID_DATE}:{name}")
        return ""


def _choice(value: str, choices: dict, name: str, issues: list[str], *, values) -> str:
    if not value:
        return ""
    key = name_key(value)
    if key in values:
        return key
    if key in choices:
        return str(choices[key])
    issues.append(f"{INVALID_CHOICE}:{name}")
    return ""


def _contact_fields(data: dict, issues: list[str]) -> None:
    if data.get("phone"):
        data["phone"], valid = phone_number(data["phone"])
        if not valid:
            issues.append(INVALID_PHONE)
            data["phone"] = ""
    if data.get("email"):
        data["email"], valid = email_address(data["email"])
        if not valid:
            issues.append(INVALID_EMAIL)
            data["email"] = ""


def clean_row(entity: str, raw: list[str], mapping: dict[str, int], index: RecordIndex) -> tuple[dict, list[str]]:
    issues: list[str] = []
    data = {field.name: _text(raw, mapping, field.name, issues) for field in fields_of(entity)}
    for field in fields_of(entity):
        if field.required and not data[field.name]:
            issues.append(f"{MISSING}:{field.name}")
    if entity in (ImportEntity.CUSTOMER, ImportEntity.CONTACT):
        _contact_fields(data, issues)
    if entity == ImportEntity.CUSTOMER:
        data["tier"] = _choice(data["tier"], _TIERS, "tier", issues, values=_TIER_VALUES)
        data["status"] = _choice(data["status"], _STATUSES, "status", issues, values=_STATUS_VALUES)
        if data["owner"]:
            owner_id = index.users.get(name_key(data["owner"]))
            if owner_id is None:
                issues.append(UNKNOWN_OWNER)
            data["owner_id"] = owner_id
    if entity == ImportEntity.PRODUCT:
        for name in ("list_price", "floor_price"):
            data[name] = _money(data[name], name, issues)
        if data["list_price"] == "" and f"{MISSING}:list_price" not in issues:
            issues.append(f"{MISSING}:list_price")
    if entity in (ImportEntity.PRODUCT, ImportEntity.OPPORTUNITY):
        currency = data["currency"].upper().replace("RMB", "CNY").replace("人民币", "CNY").replace("美元", "USD")
        currency = currency.replace("欧元", "EUR")
        if currency and currency not in Currency.values:
            issues.append(f"{INVALID_CHOICE}:currency")
            currency = ""
        data["currency"] = currency or Currency.CNY
    if entity == ImportEntity.OPPORTUNITY:
        data["amount"] = _money(data["amount"], "amount", issues)
        data["expected_close"] = _date(data["expected_close"], "expected_close", issues)
        data["stage"] = _choice(data["stage"], _STAGES, "stage", issues, values=_OPEN_STAGE_VALUES)
    return data, issues


# --- the whole file --------------------------------------------------------------------------------------


def _file_key(entity: str, data: dict, customer_id: int | None) -> list[tuple]:
    """The keys by which two rows of one file are the same record."""
    if entity == ImportEntity.CUSTOMER:
        keys = [("name", name_key(data["name"]), name_key(data["region"]))]
        if data["code"]:
            keys.append(("code", name_key(data["code"])))
        if data["phone"]:
            keys.append(("phone", data["phone"].split(" ")[0]))
        if data["email"]:
            keys.append(("email", data["email"].casefold()))
        return keys
    if entity == ImportEntity.CONTACT:
        owner = customer_id or ("?", name_key(data["customer"]), name_key(data["region"]))
        keys = [("name", owner, name_key(data["name"]))]
        if data["email"]:
            keys.append(("email", owner, data["email"].casefold()))
        if data["phone"]:
            keys.append(("phone", owner, data["phone"].split(" ")[0]))
        return keys
    if entity == ImportEntity.PRODUCT:
        return [("code", data["code"].casefold())]
    owner = customer_id or ("?", name_key(data["customer"]), name_key(data["region"]))
    return [("title", owner, name_key(data["title"]))]


def database_match(entity: str, data: dict, index: RecordIndex) -> tuple[int | None, str, int | None]:
    """(existing record id, by what, its customer id) for a cleaned row."""
    if entity == ImportEntity.CUSTOMER:
        pk, by = index.customer_for(data)
        return pk, by, pk
    if entity == ImportEntity.PRODUCT:
        pk = index.product_by_code.get(data["code"].casefold()) if data["code"] else None
        return pk, "code" if pk else "", None
    customer_id = index.customer_named(data)
    if customer_id is None:
        return None, "", None
    if entity == ImportEntity.CONTACT:
        pk, by = index.contact_for(customer_id, data)
        return pk, by, customer_id
    pk = index.opportunity_by_title.get((customer_id, name_key(data["title"])))
    return pk, "title" if pk else "", customer_id


def analyse(entity: str, raw_rows, mapping: dict[str, int], index: RecordIndex) -> tuple[list[AnalysedRow], dict]:
    """Every row cleaned, matched and given a suggested decision; and the report's counts."""
    seen: dict[tuple, int] = {}
    rows: list[AnalysedRow] = []
    for number, raw in raw_rows:
        data, issues = clean_row(entity, raw, mapping, index)
        row = AnalysedRow(number=number, data=data, issues=issues)
        pk, by, customer_id = database_match(entity, data, index)
        if entity in (ImportEntity.CONTACT, ImportEntity.OPPORTUNITY) and data.get("customer") and customer_id is None:
            issues.append(UNKNOWN_CUSTOMER)
        if pk is not None:
            issues.append(DUPLICATE_IN_DATABASE)
            row.match = {"in": "database", "id": pk, "by": by}
        keys = _file_key(entity, data, customer_id)
        first = next((seen[key] for key in keys if key in seen), None)
        if first is not None:
            issues.append(DUPLICATE_IN_FILE)
            row.match = row.match or {"in": "file", "row": first}
            row.match["row"] = first
        else:
            for key in keys:
                seen.setdefault(key, number)
        blocked = any(issue.startswith(MISSING) for issue in issues) or UNKNOWN_CUSTOMER in issues
        if blocked:
            row.decision = ImportDecision.SKIP
        elif DUPLICATE_IN_DATABASE in issues or DUPLICATE_IN_FILE in issues:
            row.decision = ImportDecision.MERGE
        rows.append(row)
    return rows, report_of(rows)


def report_of(rows) -> dict:
    """Counts: rows, each decision, and each issue (by its code, without the field it names)."""
    issues = Counter(issue.split(":")[0] for row in rows for issue in set(row.issues))
    decisions = Counter(row.decision for row in rows)
    return {"rows": len(rows), "decisions": dict(decisions), "issues": dict(issues)}


def visible_customer_ids(user, ids) -> set[int]:
    from backend.access.policy import Action, visible

    ids = list(ids)
    found: set[int] = set()
    for start in range(0, len(ids), 5000):
        chunk = ids[start:start + 5000]
        found |= set(visible(user, Customer.objects.filter(Q(pk__in=chunk)), Action.VIEW).values_list("pk", flat=True))
    return found
