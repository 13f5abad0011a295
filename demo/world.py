"""The little world the demo's documents talk about: our company, its machine tools, its customers.

Plain data, kept as tables in demo/world.toml and read here into the types below; the CRM demo
(demo/crm/) turns the same customers and products into CRM records.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path


@dataclass(frozen=True)
class Company:
    zh: str
    en: str
    city_zh: str
    city_en: str
    address_zh: str
    address_en: str
    contact_zh: str
    contact_en: str
    phone: str

    def name(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en

    def address(self, lang: str) -> str:
        return self.address_zh if lang == "zh" else self.address_en

    def contact(self, lang: str) -> str:
        return self.contact_zh if lang == "zh" else self.contact_en


@dataclass(frozen=True)
class Spec:
    zh: str
    en: str
    value: str


@dataclass(frozen=True)
class Product:
    code: str
    name_zh: str
    name_en: str
    price: Decimal  # list price in CNY, incl. 13% VAT
    summary_zh: str
    summary_en: str
    features_zh: tuple[str, ...] = ()
    features_en: tuple[str, ...] = ()
    specs: tuple[Spec, ...] = ()

    def name(self, lang: str) -> str:
        return self.name_zh if lang == "zh" else self.name_en


def _product(row: dict) -> Product:
    return Product(
        code=row["code"], name_zh=row["name_zh"], name_en=row["name_en"], price=Decimal(row["price"]),
        summary_zh=row.get("summary_zh", ""), summary_en=row.get("summary_en", ""),
        features_zh=tuple(row.get("features_zh", ())), features_en=tuple(row.get("features_en", ())),
        specs=tuple(Spec(*spec) for spec in row.get("specs", ())),
    )


_DATA = tomllib.loads(Path(__file__).with_name("world.toml").read_text(encoding="utf-8"))

SELLER: Company = Company(**_DATA["seller"])
CUSTOMERS: dict[str, Company] = {key: Company(**row) for key, row in _DATA["customers"].items()}
PRODUCTS: dict[str, Product] = {key: _product(row) for key, row in _DATA["products"].items()}
# Options and services that appear on quotes next to the machines.
EXTRAS: dict[str, Product] = {key: _product(row) for key, row in _DATA["extras"].items()}
PAYMENT_TERMS: dict[str, tuple[str, str]] = {key: (zh, en) for key, (zh, en) in _DATA["payment_terms"].items()}
