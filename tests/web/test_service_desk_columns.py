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
