"""The customer answers a sent quote in the portal (issue 15): accept or decline with an optional comment;
the quote's status changes, the answer is audited, and the rep who owns the quote gets an open reminder.

World (tests/portal/world.py): 王芳 (rep) owns customer A, whose portal user is Alice; Bob is B's."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from backend.audit.models import AuditEvent
from backend.common.errors import Conflict, NotFound
from backend.crm.models import Activity, ActivityKind, Product, QuoteStatus
from backend.crm.services.quote_pdf import quote_decide_by_customer, quote_send
from backend.crm.services.quotes import quote_create
from tests.fixtures.clients import portal_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(world):
    """Quote Q-2026-0300 of customer A, sent by 王芳: (quote, share)."""
    product = Product.objects.get(code="CNC-200")
    quote, _ = quote_create(actor=world.staff["rep"], customer=world.a, number="Q-2026-0300",
                            valid_until=timezone.localdate() + dt.timedelta(days=30),
                            lines=[{"product": product.pk, "quantity": "1", "unit_price": "118000"}])
    share = quote_send(actor=world.staff["rep"], quote=quote, language="en")
    quote.refresh_from_db()
    return quote, share


def test_alice_accepts_in_the_portal_and_the_rep_is_told(world, sent):
    quote, share = sent
    alice = portal_client(world.alice, language="zh-hans")
    # given the share's page offers the answer
    page = alice.get(f"/portal/shared/{share.pk}/")
    assert page.status_code == 200 and 'data-testid="quote-answer"' in page.content.decode()
    # when Alice accepts with a comment
    response = alice.post(f"/portal/shared/{share.pk}/answer/",
                          {"decision": "accept", "comment": "请尽快安排发货 Please ship soon"}, follow=True)
    # then the quote is accepted, the page thanks her and no longer asks
    assert response.status_code == 200
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.ACCEPTED and quote.decided_at is not None
    assert 'data-testid="quote-answer"' not in response.content.decode()
    # and 王芳 has an open reminder with the comment
    note = Activity.objects.get(customer=world.a, kind=ActivityKind.REMINDER, owner=world.staff["rep"])
    assert "Q-2026-0300" in note.subject and "accepted" in note.subject and "Please ship soon" in note.body
    assert not note.done
    # and the answer is in the trail, by Alice, with the customer
    event = AuditEvent.objects.get(event_type="crm.quote.decided_by_customer")
    assert (event.actor_id, event.customer_id, event.detail["decision"]) == (world.alice.pk, world.a.pk, "accepted")
    assert AuditEvent.objects.filter(event_type="crm.quote.status_changed", target_id=str(quote.pk),
                                     detail__to="accepted", detail__via="portal").exists()


def test_declining_moves_the_quote_to_rejected_and_a_second_answer_is_refused(world, sent):
    quote, share = sent
    quote_decide_by_customer(actor=world.alice, share=share, accept=False)
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.REJECTED
    with pytest.raises(Conflict):
        quote_decide_by_customer(actor=world.alice, share=share, accept=True)
    response = portal_client(world.alice).post(f"/portal/shared/{share.pk}/answer/", {"decision": "accept"})
    assert response.status_code == 409
    assert Activity.objects.filter(customer=world.a, kind=ActivityKind.REMINDER).count() == 1


def test_another_customers_portal_user_cannot_answer(world, sent):
    quote, share = sent
    assert portal_client(world.bob).post(f"/portal/shared/{share.pk}/answer/",
                                         {"decision": "accept"}).status_code == 404
    with pytest.raises(NotFound):
        quote_decide_by_customer(actor=world.bob, share=share, accept=True)
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.SENT
    assert not AuditEvent.objects.filter(event_type="crm.quote.decided_by_customer").exists()


def test_a_share_of_a_document_that_is_not_a_sent_quote_offers_no_answer(world):
    share = world.shares["brochure"]
    page = portal_client(world.alice).get(f"/portal/shared/{share.pk}/")
    assert 'data-testid="quote-answer"' not in page.content.decode()
    assert portal_client(world.alice).post(f"/portal/shared/{share.pk}/answer/",
                                           {"decision": "accept"}).status_code == 409
