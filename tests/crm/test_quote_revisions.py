"""Quote revisions keep the old quote and its history; the editor's preview checks each line on its own and
warns as quote_create does; a net price below the product's floor is a warning."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError

from backend.audit.models import AuditEvent
from backend.common.errors import Conflict, InvalidInput, NotFound
from backend.crm.models import Quote, QuoteLine, QuoteStatus
from backend.crm.selectors.quotes import quote_page, quote_revisions
from backend.crm.services.quotes import quote_create, quote_preview, quote_revise, quote_status_change
from tests.crm.factories import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def lathe(db):
    return ProductFactory(code="QH-CNC-200", name="数控车床", name_en="CNC lathe", list_price=Decimal("1000.00"),
                          floor_price=Decimal("800.00"))


def _draft(people, lathe, *, price="1000", quantity="2"):
    quote, _ = quote_create(actor=people["owner"], customer=people["customer"], number="Q-2026-0100",
                            lines=[{"product": lathe.pk, "quantity": quantity, "unit_price": price}])
    return quote


def test_a_revision_is_a_new_quote_and_the_old_one_is_kept_superseded(people, lathe):
    # given a sent quote with one line
    old = _draft(people, lathe)
    quote_status_change(actor=people["owner"], quote=old, status="sent")
    # when the owner revises it with two lines
    new, _ = quote_revise(actor=people["owner"], quote=old, lines=[
        {"product": lathe.pk, "quantity": "2", "unit_price": "950"},
        {"product": lathe.pk, "quantity": "1", "unit_price": "900", "discount_percent": "5"}])
    # then the revision has its own number, lines and the chain's first quote
    assert new.number == "Q-2026-0100-R2" and new.revision == 2 and new.original_id == old.pk
    assert new.customer_id == old.customer_id and new.owner_id == old.owner_id and new.status == QuoteStatus.DRAFT
    assert QuoteLine.objects.filter(quote=new).count() == 2
    # and the old quote keeps its line and prices, superseded
    old.refresh_from_db()
    assert old.status == QuoteStatus.SUPERSEDED and old.decided_at is not None
    assert list(QuoteLine.objects.filter(quote=old).values_list("unit_price", flat=True)) == [Decimal("1000.00")]
    # and both changes are in the trail
    revised = AuditEvent.objects.get(event_type="crm.quote.revised", target_id=str(new.pk))
    assert revised.detail["revises"] == "Q-2026-0100" and revised.detail["revision"] == 2
    assert AuditEvent.objects.filter(event_type="crm.quote.status_changed", target_id=str(old.pk),
                                     detail__to="superseded").exists()


def test_revising_the_revision_numbers_after_the_first_and_the_chain_lists_all(people, lathe):
    first = _draft(people, lathe)
    second, _ = quote_revise(actor=people["owner"], quote=first, lines=[{"product": lathe.pk, "quantity": "3"}])
    third, _ = quote_revise(actor=people["owner"], quote=second, lines=[{"product": lathe.pk, "quantity": "4"}])
    assert third.number == "Q-2026-0100-R3" and third.original_id == first.pk and third.revision == 3
    chain = quote_revisions(user=people["owner"], quote=second)
    assert [q.number for q in chain] == ["Q-2026-0100", "Q-2026-0100-R2", "Q-2026-0100-R3"]
    assert [q.total for q in chain] == [Decimal("2000.00"), Decimal("3000.00"), Decimal("4000.00")]
    assert [q.status for q in chain] == ["superseded", "superseded", "draft"]


def test_only_an_open_quote_is_revised(people, lathe):
    quote = _draft(people, lathe)
    quote_status_change(actor=people["owner"], quote=quote, status="sent")
    quote_status_change(actor=people["owner"], quote=quote, status="accepted")
    with pytest.raises(Conflict):
        quote_revise(actor=people["owner"], quote=quote, lines=[{"product": lathe.pk, "quantity": "1"}])
    assert Quote.objects.count() == 1 and not AuditEvent.objects.filter(event_type="crm.quote.revised").exists()


def test_a_wrong_line_saves_nothing_and_the_old_quote_stays_open(people, lathe):
    quote = _draft(people, lathe)
    with pytest.raises(InvalidInput) as error:
        quote_revise(actor=people["owner"], quote=quote, lines=[{"product": lathe.pk, "quantity": "1"},
                                                                  {"product": lathe.pk, "quantity": "0"}])
    assert "lines.1.quantity" in error.value.extra["fields"]
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.DRAFT and Quote.objects.count() == 1


def test_who_may_revise_follows_who_may_change_the_quote(people, lathe):
    quote = _draft(people, lathe)
    # the account team may; a department colleague (sees it) and an outsider may not: a 404, recorded
    quote_revise(actor=people["team"], quote=quote, lines=[{"product": lathe.pk, "quantity": "1"}])
    for user in (people["colleague"], people["outsider"], people["compliance"]):
        latest = Quote.objects.get(number="Q-2026-0100-R2")
        with pytest.raises(NotFound):
            quote_revise(actor=user, quote=latest, lines=[{"product": lathe.pk, "quantity": "1"}])
    assert AuditEvent.objects.filter(event_type="crm.access.denied", actor_id=people["colleague"].pk).exists()
    assert quote_page(user=people["colleague"], quote=quote).changeable is False
    assert quote_page(user=people["team"], quote=quote).changeable is True


def test_a_chain_has_one_quote_per_revision_number(people, lathe):
    first = _draft(people, lathe)
    quote_revise(actor=people["owner"], quote=first, lines=[{"product": lathe.pk, "quantity": "1"}])
    with pytest.raises(IntegrityError):
        Quote.objects.create(customer=people["customer"], owner=people["owner"], number="X-1", original=first,
                             revision=2)


def test_below_the_floor_is_a_warning_in_the_products_currency(people, lathe):
    # a net 760 (800 less 5%) is below the floor of 800
    _quote, warnings = quote_create(actor=people["owner"], customer=people["customer"],
                                    lines=[{"product": lathe.pk, "quantity": "1", "unit_price": "800",
                                            "discount_percent": "5"}])
    floor = [w for w in warnings if w.code == "below_floor"]
    assert len(floor) == 1 and floor[0].details["floor_price"] == "800.00"
    assert floor[0].details["new_net_unit_price"] == "760.00"
    # at the floor, no warning; in another currency the floor does not apply
    _quote, warnings = quote_create(actor=people["owner"], customer=people["customer"],
                                    lines=[{"product": lathe.pk, "quantity": "1", "unit_price": "800"}])
    assert not [w for w in warnings if w.code == "below_floor"]
    _quote, warnings = quote_create(actor=people["owner"], customer=people["customer"], currency="USD",
                                    lines=[{"product": lathe.pk, "quantity": "1", "unit_price": "100"}])
    assert not [w for w in warnings if w.code == "below_floor"]


def test_the_preview_checks_each_line_on_its_own_and_saves_nothing(people, lathe):
    # given another rep's open quote for the customer
    quote_create(actor=people["team"], customer=people["customer"],
                 lines=[{"product": lathe.pk, "quantity": "1"}])
    before = Quote.objects.count()
    # when the owner's editor holds a line at the list price, a wrong line and one below the floor
    preview = quote_preview(actor=people["owner"], customer=people["customer"], lines=[
        {"product": lathe.pk, "quantity": "2"},
        {"product": lathe.pk, "quantity": "-1", "unit_price": "10"},
        {"product": str(lathe.code), "quantity": "1", "unit_price": "700"},
    ])
    # then the right lines have totals (a blank price is the list price; a code names the product)
    assert [line.line_total for line in preview.lines] == [Decimal("2000.00"), None, Decimal("700.00")]
    assert preview.lines[0].unit_price == Decimal("1000.00")
    assert "quantity" in preview.lines[1].errors
    assert preview.total == Decimal("2700.00") and preview.gross == Decimal("2700.00") and preview.discount == 0
    # and the warnings are the ones quote_create would give
    assert {w.code for w in preview.warnings} == {"other_rep_open_quote", "below_floor"}
    assert Quote.objects.count() == before


def test_the_preview_is_for_who_may_quote(people, lathe):
    for user in (people["colleague"], people["outsider"]):
        with pytest.raises(NotFound):
            quote_preview(actor=user, customer=people["customer"], lines=[{"product": lathe.pk, "quantity": "1"}])
