"""The service desk's dispatch form: every card waiting for dispatch offers every active engineer, their names
escaped (the options are rendered once per page by the view, not per card by the template)."""

from __future__ import annotations

import re

import pytest

from backend.accounts.models import Role
from backend.crm.services import service as service_services
from tests import factories
from tests.fixtures.clients import client_for

pytestmark = pytest.mark.django_db


def test_every_card_waiting_for_dispatch_offers_every_active_engineer_escaped(world):
    # given two records waiting for dispatch and an engineer whose name holds markup; a disabled engineer
    factories.UserFactory(username="eve.tag", display_name="Eve <b>Tag</b>", role=Role.SERVICE)
    factories.UserFactory(username="gone.engineer", display_name="Gone Engineer", role=Role.SERVICE, is_active=False)
    records = [service_services.service_record_create(actor=world.users["rep"], customer=world.customer,
                                                      title=f"Fault {n}") for n in range(2)]

    # when the service manager opens the desk
    response = client_for(world.users["admin"]).get("/service/")

    # then each of those cards' dispatch select lists the same active engineers, the markup shown as text
    assert response.status_code == 200
    html = response.content.decode()
    selects = re.findall(r'<select name="engineer"[^>]*>(.*?)</select>', html, re.S)
    assert len(selects) >= len(records)
    assert len(set(selects)) == 1
    options = selects[0]
    assert "Eve &lt;b&gt;Tag&lt;/b&gt;" in options and "<b>" not in options
    assert f'value="{world.users["engineer"].pk}"' in options
    assert "Gone Engineer" not in options
