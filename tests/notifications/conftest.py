"""Notification tests: documents keep their bytes in a throw-away local store; a real SMTP server for the
tests that ask for `smtp_server`."""

from tests.fixtures.documents import local_disk_documents  # noqa: F401 - autouse in this folder
from tests.fixtures.smtp import smtp_server  # noqa: F401

import pytest  # noqa: E402


@pytest.fixture
def people(db):
    """owner: the rep who owns `customer`; colleague: a rep of the owner's department (sees the customer, may
    not change it); outsider: a rep of another department (does not see it)."""
    from tests import factories
    from tests.crm.factories import CustomerFactory

    east = factories.DepartmentFactory(code="sales-east")
    north = factories.DepartmentFactory(code="sales-north")
    cast = {
        "owner": factories.UserFactory(username="wang.fang", email="wang.fang@example.com", department=east),
        "colleague": factories.UserFactory(username="chen.jing", department=east),
        "outsider": factories.UserFactory(username="zhang.wei", department=north),
    }
    cast["customer"] = CustomerFactory(name="上海华东精密机械有限公司", region="上海", owner=cast["owner"])
    return cast
