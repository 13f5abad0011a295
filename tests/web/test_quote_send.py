"""The quote page's "Make the PDF" and "Send to the customer" (issue 15).

World (tests/web/world.py): 王芳 (rep) owns the customer; 李雷 (team) is on its account team and owns the
open quote Q-2026-0002 (no file yet); 陈静 (colleague) sees the quote but changes nothing; 张伟 (outsider)
has nothing to do with it.
"""

from __future__ import annotations

import pytest
from django.test import Client

from backend.audit.models import AuditEvent
from backend.crm.models import Quote, QuoteStatus
from backend.sharing.shares import share_list_for_portal
from tests.fixtures.clients import client_for
from tests.portal_factories import portal_user

pytestmark = pytest.mark.django_db


def test_the_owner_makes_the_pdf_and_the_page_links_it(world):
    # given the team rep's open quote without a file
    quote = world.open_quote
    team = client_for(world.users["team"])
    assert b'data-testid="quote-pdf-make"' in team.get(f"/quotes/{quote.pk}/").content
    # when he makes the English PDF
    response = team.post(f"/quotes/{quote.pk}/pdf/", {"language": "en"}, follow=True)
    # then the page says which version it is and links the quote document
    assert response.status_code == 200
    quote.refresh_from_db()
    assert quote.document_id is not None
    assert "is version 1 of its document" in response.content.decode()
    assert f'href="/documents/{quote.document_id}/"' in response.content.decode()
    assert AuditEvent.objects.filter(event_type="crm.quote.pdf_generated", target_id=str(quote.pk)).exists()
    # and making it again adds version 2
    team.post(f"/quotes/{quote.pk}/pdf/", {"language": "zh-hans"})
    assert quote.document.versions.count() == 2


@pytest.mark.parametrize("who", ["colleague", "outsider"])
def test_who_may_not_change_the_quote_gets_a_404_and_no_pdf(world, who):
    quote = world.open_quote
    user = client_for(world.users[who])
    assert user.post(f"/quotes/{quote.pk}/pdf/").status_code == 404
    assert user.post(f"/quotes/{quote.pk}/send/").status_code == 404
    quote.refresh_from_db()
    assert quote.document_id is None and quote.status == QuoteStatus.DRAFT
    assert not AuditEvent.objects.filter(event_type__in=["crm.quote.pdf_generated", "crm.quote.sent"]).exists()


def test_the_actions_need_a_signed_in_user_and_a_post(world):
    quote = world.open_quote
    assert Client().post(f"/quotes/{quote.pk}/send/").status_code == 302
    assert client_for(world.users["team"]).get(f"/quotes/{quote.pk}/send/").status_code == 405
    assert client_for(world.users["team"]).post("/quotes/999999/pdf/").status_code == 404


def test_sending_shares_the_pdf_with_the_portal_and_marks_the_quote_sent_in_chinese(world):
    # given a portal user of the customer and the team rep's draft quote
    quote = world.open_quote
    reader = portal_user(world.customer)
    team = client_for(world.users["team"], language="zh-hans")
    assert "发送给客户" in team.get(f"/quotes/{quote.pk}/").content.decode()
    # when he sends it from the Chinese page
    response = team.post(f"/quotes/{quote.pk}/send/", {"language": "zh-hans"}, follow=True)
    # then the quote is sent, the page says so in Chinese, and the portal user has its PDF
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.SENT
    assert f"报价单 {quote.number} 已发送" in response.content.decode()
    assert [s.document_id for s in share_list_for_portal(user=reader)] == [quote.document_id]
    assert AuditEvent.objects.filter(event_type="crm.quote.sent", target_id=str(quote.pk)).exists()
    # and the send button is gone; sending again is refused with a sentence, not a 500
    assert 'data-testid="quote-send"' not in response.content.decode()
    again = team.post(f"/quotes/{quote.pk}/send/", follow=True)
    assert again.status_code == 200 and "只有草稿状态的报价单才能发送给客户" in again.content.decode()
    assert Quote.objects.get(pk=quote.pk).status == QuoteStatus.SENT
