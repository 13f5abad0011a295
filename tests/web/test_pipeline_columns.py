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


def test_a_column_draws_the_newest_deals_the_user_may_see_not_newer_hidden_ones():
    # given a column where another rep's deals (hidden from this rep) are newer than all of this rep's
    rep = UserFactory(role="sales")
    other = UserFactory(role="sales")
    mine = [OpportunityFactory(customer=CustomerFactory(owner=rep), stage="proposal") for _ in range(3)]
    hidden = [OpportunityFactory(customer=CustomerFactory(owner=other), stage="proposal")
              for _ in range(CARDS_PER_STAGE + 2)]
    now = timezone.now()
    for age, deal in enumerate(hidden + mine):  # the hidden ones are the newest
        Opportunity.objects.filter(pk=deal.pk).update(updated_at=now - dt.timedelta(minutes=age))

    # when the rep opens the board
    page = client_for(rep).get("/pipeline/").content.decode()

    # then the column holds exactly the rep's own deals, newest first: the hidden ones took no place
    shown = [int(pk) for pk in re.findall(r'data-card="(\d+)"', page)]
    assert shown == [deal.pk for deal in mine]
    assert re.search(r'data-testid="column-count-proposal">\s*3<', page)


def test_closed_deals_of_the_last_days_only_and_their_cards_move_but_are_not_edited():
    # given a deal lost last week (with its reason, in markup-looking text) and one won long ago but touched today
    rep = UserFactory(role="sales")
    customer = CustomerFactory(owner=rep, name="<b>Jinggong</b>")
    now = timezone.now()
    lost = OpportunityFactory(customer=customer, stage="lost", title="<script>x</script>",
                              lost_reason="Price <too high>", closed_at=now - dt.timedelta(days=7))
    old_win = OpportunityFactory(customer=customer, stage="won", closed_at=now - dt.timedelta(days=400))
    Opportunity.objects.filter(pk=old_win.pk).update(updated_at=now)

    # when the rep opens the board
    page = client_for(rep).get("/pipeline/").content.decode()

    # then the recent loss is drawn, its text escaped, with its reason and a move form but no edit form
    card = page.split(f'data-card="{lost.pk}"')[1].split("</article>")[0]
    assert "&lt;script&gt;x&lt;/script&gt;" in card and "<script>x" not in page
    assert "&lt;b&gt;Jinggong&lt;/b&gt;" in card
    assert '<div class="meta">Price &lt;too high&gt;</div>' in card
    assert f'action="/pipeline/{lost.pk}/stage/"' in card
    assert f'data-testid="card-edit-{lost.pk}"' not in card
    # and the old win is not on the board however recently it changed
    assert f'data-card="{old_win.pk}"' not in page
