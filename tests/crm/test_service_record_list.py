"""Service records by dispatch state (the service desk's columns): newest first, every record once, and no
DISTINCT (which made PostgreSQL sort every record of a state before taking the first 60)."""

from __future__ import annotations

import pytest

from backend.crm.models import DispatchState
from backend.crm.selectors.service import service_record_list_visible
from tests.crm.factories import ServiceRecordFactory

pytestmark = pytest.mark.django_db


def test_records_of_some_states_come_once_each_newest_first_without_distinct(people):
    # given three records waiting for dispatch and one already dispatched, for the owner's customer
    waiting = [ServiceRecordFactory(customer=people["customer"]) for _ in range(3)]
    ServiceRecordFactory(customer=people["customer"], dispatch_state=DispatchState.DISPATCHED,
                         engineer=people["engineer"])

    # when the engineer lists the records waiting for dispatch
    records = service_record_list_visible(user=people["engineer"],
                                          filters={"dispatch_state": [DispatchState.NOT_DISPATCHED]})

    # then each comes once, newest first, from a query that does not de-duplicate what cannot repeat
    assert [record.pk for record in records] == [record.pk for record in reversed(waiting)]
    assert records.query.distinct is False
