"""One "check or 404" for every service: backend.access.services.require records the denial the policy
names for the row's model and raises PermissionDenied (rendered 404)."""

from __future__ import annotations

import pytest

from backend.access.policy import Action
from backend.access.services import require
from backend.audit.models import AuditEvent
from backend.common.errors import PermissionDenied
from backend.crm.services.customers import customer_create
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("row", "event"), [("document", "document.access.denied"),
                                            ("customer", "crm.access.denied")])
def test_a_refusal_is_a_404_and_recorded_under_the_rows_own_event(row, event):
    # given someone else's secret document and customer
    owner, stranger = factories.UserFactory(username="owner"), factories.UserFactory(username="stranger")
    rows = {"document": factories.document(owner, classification="secret"),
            "customer": customer_create(actor=owner, name="Dalian Valves", region="Dalian", owner=owner)}
    # when the stranger asks to change it
    with pytest.raises(PermissionDenied):
        require(actor=stranger, action=Action.CHANGE, obj=rows[row])
    # then the denial is recorded under the event of the row's app, with the action asked for
    denied = AuditEvent.objects.get(outcome="denied", actor=stranger)
    assert (denied.event_type, denied.detail["action"]) == (event, "change")
    # and the owner passes without a trace
    require(actor=owner, action=Action.CHANGE, obj=rows[row])
    assert AuditEvent.objects.filter(outcome="denied").count() == 1
