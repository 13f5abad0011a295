"""The reports' currency rate table (issue 16): administrators set what one unit of a currency is worth in
the reporting currency (settings.REPORTING_CURRENCY) from a day on, or remove a rate. Audited. The reports
read it through selectors/reports_rates.py."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction

from backend.access.policy.reports import may_set_currency_rates
from backend.audit import services as audit
from backend.common.errors import InvalidInput, NotFound
from backend.crm.models import Currency, CurrencyRate

RATE_PLACES = Decimal("0.00000001")


def _rate(value) -> Decimal:
    try:
        rate = Decimal(str(value)).quantize(RATE_PLACES)
    except (InvalidOperation, TypeError, ValueError):
        raise InvalidInput("The rate is not a number.", fields={"rate": ["Give a number, e.g. 7.1234."]}) from None
    if rate <= 0 or rate >= Decimal("10000000000"):
        raise InvalidInput("A rate is a positive number.", fields={"rate": ["Must be more than 0."]})
    return rate


def currency_rate_set(*, actor, currency: str, rate, valid_from: dt.date) -> CurrencyRate:
    """1 `currency` = `rate` reporting currency from `valid_from` on: a new rate, or a new value for the
    rate already set from that day. Administrators only (others: 404)."""
    if not may_set_currency_rates(actor):
        raise NotFound()
    reporting = settings.REPORTING_CURRENCY
    if currency not in Currency.values or currency == reporting:
        raise InvalidInput("Unknown currency.", fields={"currency": [
            f"Choose a currency other than the reporting currency {reporting}."]})
    if not isinstance(valid_from, dt.date):
        raise InvalidInput("Give the first day of the rate.", fields={"valid_from": ["Give a date."]})
    rate = _rate(rate)
    with transaction.atomic():
        row, created = CurrencyRate.objects.select_for_update().get_or_create(
            currency=currency, in_currency=reporting, valid_from=valid_from,
            defaults={"rate": rate, "set_by": actor})
        previous = None if created else str(row.rate)
        if not created:
            row.rate, row.set_by = rate, actor
            row.save(update_fields=["rate", "set_by"])
        audit.record("crm.currency_rate.set", actor=actor, target=row, target_label=str(row),
                     detail={"currency": currency, "in": reporting, "rate": str(rate),
                             "valid_from": valid_from.isoformat(), "previous": previous})
    return row


def currency_rate_remove(*, actor, rate: CurrencyRate) -> None:
    """Remove a rate (administrators). The reports then use the rate before it, or none."""
    if not may_set_currency_rates(actor):
        raise NotFound()
    with transaction.atomic():
        label, pk = str(rate), rate.pk
        detail = {"currency": rate.currency, "in": rate.in_currency, "rate": str(rate.rate),
                  "valid_from": rate.valid_from.isoformat()}
        rate.delete()
        audit.record("crm.currency_rate.removed", actor=actor, target_type="crm.currencyrate", target_id=str(pk),
                     target_label=label, detail=detail)
