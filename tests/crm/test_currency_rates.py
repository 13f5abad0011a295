"""The reports' currency rate table: administrators set and remove rates (audited), everyone else is
refused as if it did not exist; the rate in force on a day is the latest one starting by then; a currency
without one converts to nothing, never at a guess."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from backend.audit.models import AuditEvent
from backend.common.errors import InvalidInput, NotFound
from backend.crm.models import CurrencyRate
from backend.crm.selectors.reports_rates import rates_on
from backend.crm.services.currency_rates import currency_rate_remove, currency_rate_set

pytestmark = pytest.mark.django_db

D = dt.date.fromisoformat


def test_an_administrator_sets_a_rate_and_setting_it_again_for_the_day_replaces_it(people, settings):
    settings.REPORTING_CURRENCY = "CNY"
    # when the admin sets 1 USD = 7.1 CNY from 1 October, then corrects it the same day
    first = currency_rate_set(actor=people["admin"], currency="USD", rate="7.1", valid_from=D("2026-10-01"))
    again = currency_rate_set(actor=people["admin"], currency="USD", rate="7.12", valid_from=D("2026-10-01"))

    # then there is one rate, the corrected one, into CNY, and both writes are in the trail
    assert first.pk == again.pk
    assert list(CurrencyRate.objects.values_list("currency", "in_currency", "rate")) == [
        ("USD", "CNY", Decimal("7.12000000"))]
    events = AuditEvent.objects.filter(event_type="crm.currency_rate.set").order_by("id")
    assert [(e.actor_id, e.detail["rate"], e.detail["previous"]) for e in events] == [
        (people["admin"].pk, "7.10000000", None), (people["admin"].pk, "7.12000000", "7.10000000")]


def test_only_administrators_keep_the_table(people):
    for who in ("owner", "compliance", "engineer"):
        with pytest.raises(NotFound):
            currency_rate_set(actor=people[who], currency="USD", rate="7", valid_from=D("2026-10-01"))
    rate = currency_rate_set(actor=people["admin"], currency="USD", rate="7", valid_from=D("2026-10-01"))
    with pytest.raises(NotFound):
        currency_rate_remove(actor=people["owner"], rate=rate)
    currency_rate_remove(actor=people["admin"], rate=rate)
    assert not CurrencyRate.objects.exists()
    assert AuditEvent.objects.filter(event_type="crm.currency_rate.removed", actor_id=people["admin"].pk).exists()


@pytest.mark.parametrize("currency, rate", [("CNY", "1"), ("GBP", "9"), ("USD", "0"), ("USD", "-2"), ("USD", "x")])
def test_a_rate_into_itself_an_unknown_currency_or_a_non_positive_rate_is_refused(people, settings, currency, rate):
    settings.REPORTING_CURRENCY = "CNY"
    with pytest.raises(InvalidInput):
        currency_rate_set(actor=people["admin"], currency=currency, rate=rate, valid_from=D("2026-10-01"))


def test_the_rate_in_force_is_the_latest_started_and_no_rate_converts_to_nothing(people, settings):
    settings.REPORTING_CURRENCY = "CNY"
    currency_rate_set(actor=people["admin"], currency="USD", rate="7.0", valid_from=D("2026-07-01"))
    currency_rate_set(actor=people["admin"], currency="USD", rate="7.2", valid_from=D("2026-10-01"))

    # on 30 September the July rate holds, from 1 October the October one; before July there is none
    assert rates_on(D("2026-09-30")).rate("USD") == Decimal("7.0")
    october = rates_on(D("2026-10-01"))
    assert october.rate("USD") == Decimal("7.2") and october.rate("CNY") == 1
    assert rates_on(D("2026-06-30")).convert(Decimal("10"), "USD") is None
    # converting rounds half up to the cent: 0.05 USD at 7.2 is 0.36; 1.234 USD at 7.2 is 8.8848 → 8.88
    assert october.convert(Decimal("0.05"), "USD") == Decimal("0.36")
    assert october.convert(Decimal("1.234"), "USD") == Decimal("8.88")
    # EUR has no rate: nothing, not a guess
    assert october.convert(Decimal("100"), "EUR") is None
    # a rate into another reporting currency is not used once the setting changes
    settings.REPORTING_CURRENCY = "USD"
    assert rates_on(D("2026-10-01")).rate("CNY") is None
