"""The pipeline board draws the newest deals of each column, and counts and totals all of them: a board
of thousands of deals stays one page the server renders quickly."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from backend.crm.models import Opportunity
from backend.web.views.pipeline import CARDS_PER_STAGE
from tests.crm.factories import CustomerFactory, OpportunityFactory
from tests.factories import UserFactory
from tests.fixtures.clients import client_for

pytestmark = pytest.mark.django_db


def test_a_full_column_shows_its_newest_cards_and_counts_and_totals_every_deal():
    # given a rep with more qualifying deals than a column shows, and one proposal
    rep = UserFactory(role="sales")
    customer = CustomerFactory(owner=rep)
    extra = 4
    deals = [OpportunityFactory(customer=customer, stage="qualification", amount=Decimal("10.00"))
             for _ in range(CARDS_PER_STAGE + extra)]
    now = timezone.now()
    for age, deal in enumerate(deals):  # deals[0] is the newest
        Opportunity.objects.filter(pk=deal.pk).update(updated_at=now - dt.timedelta(hours=age))
    proposal = OpportunityFactory(customer=customer, stage="proposal")

    # when the rep opens the board
    page = client_for(rep).get("/pipeline/").content.decode()

    # then the qualification column shows its newest cards only, and says how many more there are
    shown = {int(pk) for pk in re.findall(r'data-card="(\d+)"', page)}
    assert {deal.pk for deal in deals[:CARDS_PER_STAGE]} <= shown
    assert not {deal.pk for deal in deals[CARDS_PER_STAGE:]} & shown
    assert proposal.pk in shown
    assert re.search(r'data-testid="column-count-qualification">\s*%d<' % len(deals), page)
    assert re.search(r'data-testid="column-more-qualification">And %d more deals' % extra, page)
    assert 'data-testid="column-more-proposal"' not in page
    # and the column's total is of every deal, not only the cards drawn
    assert f"{10 * len(deals):,}" in page


def test_each_card_offers_every_stage_with_its_own_selected():
    # given a rep's deal in negotiation and one in the lead stage
    rep = UserFactory(role="sales")
    customer = CustomerFactory(owner=rep)
    negotiating = OpportunityFactory(customer=customer, stage="negotiation")
    lead = OpportunityFactory(customer=customer, stage="lead")

    # when the rep opens the board
    page = client_for(rep).get("/pipeline/").content.decode()

    # then each card's move form posts to that deal and its stage list has every stage, its own chosen
    for deal in (negotiating, lead):
        card = page.split(f'data-card="{deal.pk}"')[1].split("</article>")[0]
        assert f'action="/pipeline/{deal.pk}/stage/"' in card
        options = re.findall(r'<option value="(\w+)"( selected)?>', card)
        assert [value for value, _ in options] == ["lead", "qualification", "proposal", "negotiation", "won", "lost"]
        assert [value for value, chosen in options if chosen] == [deal.stage]
