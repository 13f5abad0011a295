"""The announcements page's cards (written by backend/web/templatetags/dossier_announcements.py): whom each
is for, who wrote it and when in the site's zone, its text escaped, and publish or withdraw for who may."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils.formats import date_format

from backend.crm.models import Announcement
from backend.crm.services.announcements import announcement_create
from tests.fixtures.clients import client_for

pytestmark = pytest.mark.django_db


def _card(page: str, announcement) -> str:
    return page.split(f'data-testid="announcement-{announcement.pk}"')[1].split("</article>")[0]


def test_cards_name_their_customers_escape_their_text_and_offer_the_next_step(world, settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    # given a draft for one customer with markup-looking text, and a published one for everybody
    draft = announcement_create(actor=world.rep, title="<b>New</b> hours", body="Line one\n<script>x</script>",
                                customers=[world.customer], publish=False)
    public = announcement_create(actor=world.rep, title="Holiday", body="b", customers=None, publish=True)
    late = dt.datetime(2026, 3, 1, 20, 30, tzinfo=dt.timezone.utc)  # 2026-03-02 04:30 in Shanghai
    Announcement.objects.filter(pk=public.pk).update(published_at=late)

    # when the rep opens the page
    page = client_for(world.rep, language="en").get("/announcements/").content.decode()

    # then the draft names its customer, escapes its text and keeps line breaks, and offers publish
    card = _card(page, draft)
    assert "&lt;b&gt;New&lt;/b&gt; hours" in card and "<script>x" not in page
    assert "Line one<br>&lt;script&gt;" in card
    assert f"For: {world.customer.name}" in card
    assert f'action="/announcements/{draft.pk}/publish/"' in card and "draft" in card
    # and the published one is for all customers, published on the local day, with withdraw
    card = _card(page, public)
    assert "For all customers" in card
    assert "published " + date_format(dt.datetime(2026, 3, 2, 4, 30), "SHORT_DATETIME_FORMAT") in card
    assert f'action="/announcements/{public.pk}/withdraw/"' in card
    # and someone who may not change them reads them without the forms
    other = client_for(world.outsider, language="en").get("/announcements/").content.decode()
    assert f'data-testid="announcement-{public.pk}"' in other and "/withdraw/" not in other
