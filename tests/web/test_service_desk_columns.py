"""The service desk draws the newest (or most urgent) records of each state and counts all of them: a desk of
thousands of records stays one page the server renders quickly."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from backend.accounts.models import Role
from backend.crm.models import ServiceRecord
from backend.web.views.service_desk import RECORDS_PER_STATE
from tests.crm.factories import CustomerFactory, ServiceRecordFactory
from tests.factories import UserFactory
from tests.fixtures.clients import client_for

pytestmark = pytest.mark.django_db


def test_a_full_state_shows_its_newest_records_and_counts_every_one():
    # given more records waiting for dispatch than a column shows, and one resolved record
    manager = UserFactory(role=Role.ADMIN)
    customer = CustomerFactory()
    extra = 3
    waiting = [ServiceRecordFactory(customer=customer) for _ in range(RECORDS_PER_STATE + extra)]
    now = timezone.now()
    for age, record in enumerate(waiting):  # waiting[0] is the newest
        ServiceRecord.objects.filter(pk=record.pk).update(created_at=now - dt.timedelta(hours=age))
    resolved = ServiceRecordFactory(customer=customer, dispatch_state="resolved")

    # when the manager opens the desk
    page = client_for(manager).get("/service/").content.decode()

    # then the column shows its newest records only, counts them all and says how many more there are
    shown = {int(pk) for pk in re.findall(r'href="/service/(\d+)/"', page)}
    assert {record.pk for record in waiting[:RECORDS_PER_STATE]} <= shown
    assert not {record.pk for record in waiting[RECORDS_PER_STATE:]} & shown
    assert resolved.pk in shown
    assert re.search(r'data-testid="desk-count-not_dispatched">%d<' % len(waiting), page)
    assert re.search(r'data-testid="desk-more-not_dispatched">And %d more records, older than these' % extra, page)
    assert 'data-testid="desk-more-resolved"' not in page
    assert re.search(r'data-testid="desk-count-resolved">1<', page)


def test_the_counts_follow_the_desks_filters():
    # given an engineer with one confirmed record among others' records
    engineer = UserFactory(role=Role.SERVICE)
    customer = CustomerFactory()
    ServiceRecordFactory(customer=customer, dispatch_state="confirmed", engineer=engineer)
    ServiceRecordFactory.create_batch(2, customer=customer, dispatch_state="confirmed",
                                      engineer=UserFactory(role=Role.SERVICE))

    # when the engineer shows only what is assigned to them
    page = client_for(engineer).get("/service/?mine=1").content.decode()

    # then the column counts their record only
    assert re.search(r'data-testid="desk-count-confirmed">1<', page)


def test_each_card_offers_the_step_its_state_and_reader_allow_with_its_text_escaped():
    # given an engineer and records in every state: one waiting, one dispatched to the engineer, one to
    # someone else, one confirmed (with markup-looking text) and one resolved
    manager = UserFactory(role=Role.ADMIN)
    engineer = UserFactory(role=Role.SERVICE, username="desk.engineer", display_name="<i>Eng</i>")
    customer = CustomerFactory(name="<b>Jinggong</b>")
    waiting = ServiceRecordFactory(customer=customer, title="<script>leak</script>")
    mine = ServiceRecordFactory(customer=customer, dispatch_state="dispatched", engineer=engineer)
    theirs = ServiceRecordFactory(customer=customer, dispatch_state="dispatched", engineer=UserFactory(role=Role.SERVICE))
    confirmed = ServiceRecordFactory(customer=customer, dispatch_state="confirmed", engineer=engineer)
    resolved = ServiceRecordFactory(customer=customer, dispatch_state="resolved", resolution="Valve <replaced> " * 20)

    # when the manager and the engineer open the desk
    page = client_for(manager, language="en").get("/service/").content.decode()

    def card(record, html=page):
        return html.split(f'href="/service/{record.pk}/"')[1].split("</article>")[0]

    # then the text is escaped, and each card has its own step's form
    assert "&lt;script&gt;leak&lt;/script&gt;" in card(waiting) and "<script>leak" not in page
    assert "&lt;b&gt;Jinggong&lt;/b&gt;" in card(waiting)
    assert f'action="/service/{waiting.pk}/dispatch/"' in card(waiting)
    assert f'<option value="{engineer.pk}">&lt;i&gt;Eng&lt;/i&gt;</option>' in card(waiting)
    assert "Engineer: &lt;i&gt;Eng&lt;/i&gt;" in card(mine)
    assert f'action="/service/{confirmed.pk}/resolve/"' in card(confirmed) and 'name="resolution"' in card(confirmed)
    assert f'action="/service/{resolved.pk}/close/"' in card(resolved)
    assert "Valve &lt;replaced&gt;" in card(resolved) and "…" in card(resolved)
    # and only the engineer dispatched is offered "confirm"
    assert "/confirm/" not in card(mine) and "/confirm/" not in card(theirs)
    desk = client_for(engineer, language="en").get("/service/").content.decode()
    assert f'action="/service/{mine.pk}/confirm/"' in card(mine, desk)
    assert f"/service/{theirs.pk}/confirm/" not in desk


def test_a_cards_date_is_the_day_in_the_sites_time_zone(settings):
    # given a record created late in the evening UTC, when it is already the next day where the site is
    from django.utils.formats import date_format

    settings.TIME_ZONE = "Asia/Shanghai"
    manager = UserFactory(role=Role.ADMIN)
    record = ServiceRecordFactory(customer=CustomerFactory())
    created = dt.datetime(2026, 3, 1, 20, 30, tzinfo=dt.timezone.utc)  # 2026-03-02 04:30 in Shanghai
    ServiceRecord.objects.filter(pk=record.pk).update(created_at=created)

    # when the manager opens the desk
    page = client_for(manager, language="en").get("/service/").content.decode()

    # then the card shows the local day, as every other date on the page
    card = page.split(f'href="/service/{record.pk}/"')[1].split("</article>")[0]
    assert date_format(dt.date(2026, 3, 2), "SHORT_DATE_FORMAT") in card
    assert date_format(dt.date(2026, 3, 1), "SHORT_DATE_FORMAT") not in card
