"""The products quoted per deal (OpportunityProduct) equal, after every kind of quote write, what the quote
lines say, and the deals won and lost per day and product (ClosedDealProductDay) what the pairs of the closed
deals say after every stage move and quote; the rebuilds recompute them from rows written directly; the lost
analysis by product reads them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from backend.common.errors import Conflict
from backend.crm.models import ClosedDealProductDay, OpportunityProduct, Quote, QuoteLine, Stage
from backend.crm.reports import Period
from backend.crm.selectors.reports import lost_analysis
from backend.crm.services.opportunities import opportunity_stage_change
from backend.crm.services.opportunity_products import (
    closed_deal_products_from_rows,
    closed_deal_products_rebuild,
    opportunity_products_from_rows,
    opportunity_products_rebuild,
)
from backend.crm.services.quotes import quote_create, quote_revise, quote_status_change
from tests.crm.factories import OpportunityFactory, ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def products(db):
    return [ProductFactory(code=f"P{n}", list_price=Decimal("100.00")) for n in range(1, 5)]


def _kept() -> set[tuple[int, int]]:
    return set(OpportunityProduct.objects.values_list("opportunity_id", "product_id"))


def _assert_kept_equals_rows():
    assert _kept() == opportunity_products_from_rows()


def _days() -> dict[tuple, dict]:
    """The kept day rows that count something (a reopened deal's day is taken back to zeros)."""
    return {(row.day, row.product_id): {"won": row.won, "lost": row.lost}
            for row in ClosedDealProductDay.objects.all() if row.won or row.lost}


def _assert_days_equal_rows():
    assert _days() == closed_deal_products_from_rows()


def _lines(*products):
    return [{"product": product.pk, "quantity": "1"} for product in products]


def test_the_set_follows_every_quote_write(people, products):
    p1, p2, p3, p4 = products
    owner, customer = people["owner"], people["customer"]
    deal = OpportunityFactory(customer=customer, owner=owner)
    other = OpportunityFactory(customer=customer, owner=owner)
    # given nothing quoted yet
    assert _kept() == set()
    # when a quote for the deal is drafted naming P1 twice and P2
    first, _ = quote_create(actor=owner, customer=customer, opportunity=deal, lines=_lines(p1, p1, p2))
    # then the deal holds P1 and P2, once each
    assert _kept() == {(deal.pk, p1.pk), (deal.pk, p2.pk)}
    _assert_kept_equals_rows()
    # when a quote with no deal names P3: no deal was quoted it
    quote_create(actor=owner, customer=customer, lines=_lines(p3))
    assert _kept() == {(deal.pk, p1.pk), (deal.pk, p2.pk)}
    _assert_kept_equals_rows()
    # when a second quote for the deal names P2 again and P3
    quote_create(actor=owner, customer=customer, opportunity=deal, lines=_lines(p2, p3))
    assert _kept() == {(deal.pk, p1.pk), (deal.pk, p2.pk), (deal.pk, p3.pk)}
    _assert_kept_equals_rows()
    # when the first quote is revised to P4 only: the superseded quote still showed P1 and P2
    quote_status_change(actor=owner, quote=first, status="sent")
    quote_revise(actor=owner, quote=first, lines=_lines(p4))
    assert _kept() == {(deal.pk, p1.pk), (deal.pk, p2.pk), (deal.pk, p3.pk), (deal.pk, p4.pk)}
    _assert_kept_equals_rows()
    # when another deal is quoted P1 and its quote rejected: the rejected quote counts too
    rejected, _ = quote_create(actor=owner, customer=customer, opportunity=other, lines=_lines(p1))
    quote_status_change(actor=owner, quote=rejected, status="sent")
    quote_status_change(actor=owner, quote=rejected, status="rejected")
    assert (other.pk, p1.pk) in _kept() and (other.pk, p2.pk) not in _kept()
    _assert_kept_equals_rows()


def test_a_refused_quote_leaves_the_set_as_it_was(people, products):
    # given a deal quoted P1
    p1, p2 = products[:2]
    owner, customer = people["owner"], people["customer"]
    deal = OpportunityFactory(customer=customer, owner=owner)
    quote_create(actor=owner, customer=customer, opportunity=deal, lines=_lines(p1), number="Q-1")
    # when a second quote naming P2 is refused (its number is taken): one transaction, nothing kept
    with pytest.raises(Conflict):
        quote_create(actor=owner, customer=customer, opportunity=deal, lines=_lines(p2), number="Q-1")
    # then P2 was not recorded as quoted
    assert _kept() == {(deal.pk, p1.pk)}
    _assert_kept_equals_rows()


def test_the_rebuild_recomputes_the_set_from_lines_written_directly(people, products):
    # given lines written straight to the table (as the bench seeds COPY them), bypassing the services
    p1, p2, p3 = products[:3]
    customer = people["customer"]
    deal = OpportunityFactory(customer=customer, owner=people["owner"])
    quoted = Quote.objects.create(customer=customer, opportunity=deal, number="Q-D-1", owner=people["owner"])
    loose = Quote.objects.create(customer=customer, number="Q-D-2", owner=people["owner"])
    for quote, product in ((quoted, p1), (quoted, p1), (quoted, p2), (loose, p3)):
        QuoteLine.objects.create(quote=quote, product=product, quantity=1, unit_price=1, line_total=1)
    OpportunityProduct.objects.create(opportunity=deal, product=p3)  # a stale pair the lines do not back
    assert _kept() != opportunity_products_from_rows()
    # when the set is rebuilt
    count = opportunity_products_rebuild()
    # then it holds the deal's products from its lines, and nothing else
    assert count == 2
    assert _kept() == {(deal.pk, p1.pk), (deal.pk, p2.pk)} == opportunity_products_from_rows()


def test_a_deleted_deal_takes_its_pairs_with_it(people, products):
    # given a deal quoted P1 (its quote stays, without a deal, when the deal goes)
    owner, customer = people["owner"], people["customer"]
    deal = OpportunityFactory(customer=customer, owner=owner)
    quote_create(actor=owner, customer=customer, opportunity=deal, lines=_lines(products[0]))
    # when the deal is deleted
    deal.delete()
    # then no pair names it
    assert _kept() == set()
    _assert_kept_equals_rows()


def test_the_lost_analysis_by_product_counts_the_deals_quoted_each_product(people, products):
    # given a won and a lost deal closed in the quarter, both quoted P1, the lost one P2 in two quotes
    p1, p2, p3 = products[:3]
    owner, customer = people["owner"], people["customer"]
    closed_at = timezone.make_aware(dt.datetime(2026, 5, 10, 12))
    won = OpportunityFactory(customer=customer, owner=owner, stage=Stage.WON, closed_at=closed_at)
    lost = OpportunityFactory(customer=customer, owner=owner, stage=Stage.LOST, closed_at=closed_at)
    later = OpportunityFactory(customer=customer, owner=owner, stage=Stage.LOST,
                               closed_at=timezone.make_aware(dt.datetime(2026, 8, 1, 12)))
    quote_create(actor=owner, customer=customer, opportunity=won, lines=_lines(p1))
    quote_create(actor=owner, customer=customer, opportunity=lost, lines=_lines(p1, p2))
    quote_create(actor=owner, customer=customer, opportunity=lost, lines=_lines(p2, p2))
    quote_create(actor=owner, customer=customer, opportunity=later, lines=_lines(p3))  # closed after the quarter
    # when the admin reads the quarter's lost analysis
    summary = lost_analysis(user=people["admin"], period=Period(dt.date(2026, 4, 1), dt.date(2026, 6, 30))).summary
    # then each product counts the deals closed in the quarter that were quoted it, each deal once
    assert [(row["label"], row["won"], row["lost"]) for row in summary["by_product"]] == [
        ("P1", 1, 1), ("P2", 0, 1)]


def test_the_days_closed_follow_closing_reopening_and_quoting_a_closed_deal(people, products):
    p1, p2, p3, p4 = products
    owner, customer, admin = people["owner"], people["customer"], people["admin"]
    deal = OpportunityFactory(customer=customer, owner=owner)
    first, _ = quote_create(actor=owner, customer=customer, opportunity=deal, lines=_lines(p1, p2))
    # given an open deal quoted P1 and P2: nothing closed
    assert _days() == {}
    # when it is won: both count on the day it closed
    deal = opportunity_stage_change(actor=owner, opportunity=deal, stage=Stage.WON)
    day = timezone.localtime(deal.closed_at).date()
    assert _days() == {(day, p1.pk): {"won": 1, "lost": 0}, (day, p2.pk): {"won": 1, "lost": 0}}
    _assert_days_equal_rows()
    # when the won deal is quoted P2 again and P3: only P3 is new to it
    quote_create(actor=owner, customer=customer, opportunity=deal, lines=_lines(p2, p3))
    assert _days()[(day, p2.pk)] == {"won": 1, "lost": 0} and _days()[(day, p3.pk)] == {"won": 1, "lost": 0}
    _assert_days_equal_rows()
    # when it is reopened: it counts nowhere
    deal = opportunity_stage_change(actor=owner, opportunity=deal, stage=Stage.NEGOTIATION, reopen=True)
    assert _days() == {}
    _assert_days_equal_rows()
    # when it is lost, then its first quote revised to P4 (after being sent)
    deal = opportunity_stage_change(actor=owner, opportunity=deal, stage=Stage.LOST, lost_reason="价格")
    quote_status_change(actor=owner, quote=first, status="sent")
    quote_revise(actor=owner, quote=first, lines=_lines(p4))
    day = timezone.localtime(deal.closed_at).date()
    assert _days() == {(day, p.pk): {"won": 0, "lost": 1} for p in (p1, p2, p3, p4)}
    _assert_days_equal_rows()
    # and everyone's lost analysis by product (from the days) is what the rep's own (from the pairs) says
    period = Period(day - dt.timedelta(days=1), day)
    by_days = lost_analysis(user=admin, period=period).summary["by_product"]
    by_pairs = lost_analysis(user=owner, period=period).summary["by_product"]
    assert by_days == by_pairs
    assert [(row["label"], row["won"], row["lost"]) for row in by_days] == [
        ("P1", 0, 1), ("P2", 0, 1), ("P3", 0, 1), ("P4", 0, 1)]
    # (and the day after it closed holds none of it)
    assert lost_analysis(user=admin, period=Period(day + dt.timedelta(days=1), None)).summary["by_product"] == []


def test_the_days_rebuild_from_the_pairs_of_deals_written_directly(people, products):
    # given closed deals and pairs written straight to the tables (as the bench seeds COPY them)
    p1, p2 = products[:2]
    customer = people["customer"]
    closed_at = timezone.make_aware(dt.datetime(2026, 5, 10, 23, 30))  # (late: the local date, not UTC's)
    won = OpportunityFactory(customer=customer, owner=people["owner"], stage=Stage.WON, closed_at=closed_at)
    lost = OpportunityFactory(customer=customer, owner=people["owner"], stage=Stage.LOST, closed_at=closed_at)
    open_deal = OpportunityFactory(customer=customer, owner=people["owner"])
    OpportunityProduct.objects.bulk_create([OpportunityProduct(opportunity=deal, product=product) for deal, product in
                                            ((won, p1), (lost, p1), (lost, p2), (open_deal, p2))])
    ClosedDealProductDay.objects.create(day=dt.date(2026, 5, 1), product=p2, won=3)  # stale
    # when rebuilt
    assert closed_deal_products_rebuild() == 2
    # then the day holds the deals closed on it per product, the open deal nowhere
    assert _days() == {(dt.date(2026, 5, 10), p1.pk): {"won": 1, "lost": 1},
                       (dt.date(2026, 5, 10), p2.pk): {"won": 0, "lost": 1}} == closed_deal_products_from_rows()
