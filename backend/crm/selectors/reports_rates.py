"""The currency rates the reports convert with (CurrencyRate, kept by services/currency_rates.py): the rate
in force on a day for each currency into the reporting currency (settings.REPORTING_CURRENCY), and the
conversion itself. A currency without a rate on that day converts to None: the reports show it on its own
scale and say so, never at a guessed rate."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

from backend.crm.models import CurrencyRate

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Rates:
    """The rates in force on `day` into `reporting`: {currency: (rate, valid_from)}."""

    reporting: str
    day: dt.date
    found: dict = field(default_factory=dict)

    def rate(self, currency: str) -> Decimal | None:
        if currency == self.reporting:
            return Decimal(1)
        entry = self.found.get(currency)
        return entry[0] if entry else None

    def convert(self, amount, currency: str) -> Decimal | None:
        """`amount` of `currency` in the reporting currency, to the cent (half up); None without a rate."""
        rate = self.rate(currency)
        if rate is None or amount is None:
            return None
        return (Decimal(amount) * rate).quantize(CENT, rounding=ROUND_HALF_UP)

    def stated(self) -> list[dict]:
        """The rates used, to state under a chart: [{currency, rate, valid_from}]."""
        return [{"currency": currency, "rate": rate, "valid_from": valid_from}
                for currency, (rate, valid_from) in sorted(self.found.items())]


def rates_on(day: dt.date) -> Rates:
    """Each currency's latest rate into the reporting currency that starts on or before `day`: one query
    (the table holds a handful of rows per currency)."""
    reporting = settings.REPORTING_CURRENCY
    found: dict[str, tuple[Decimal, dt.date]] = {}
    for currency, rate, valid_from in CurrencyRate.objects.filter(in_currency=reporting, valid_from__lte=day) \
            .order_by("currency", "-valid_from").values_list("currency", "rate", "valid_from"):
        found.setdefault(currency, (rate, valid_from))
    return Rates(reporting=reporting, day=day, found=found)


def currency_rates_list(*, limit: int = 200) -> list[CurrencyRate]:
    """The table as staff maintain it, newest first per currency (the rates page)."""
    return list(CurrencyRate.objects.select_related("set_by").order_by("currency", "-valid_from")[:limit])
