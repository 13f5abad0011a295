"""Fixtures for the CRM tests."""

import pytest

# CRM tests that touch documents keep their bytes in a throw-away local store.
from tests.fixtures.documents import local_disk_documents  # noqa: F401 - autouse in this folder


@pytest.fixture
def people(db):
    """The cast most CRM tests need, around one customer owned by `owner`.

    owner      sales rep who owns the customer (department sales-east)
    team       sales rep on the customer's account team (another department)
    colleague  sales rep in the owner's department (sees the customer, may not change it)
    outsider   sales rep with no relationship to the customer
    engineer   service engineer (service role: sees every customer, changes service records)
    compliance compliance officer (sees everything, changes nothing)
    admin      administrator
    """
    from backend.accounts.models import Role
    from backend.crm.models import AccountTeamMember
    from tests import factories
    from tests.crm.factories import CustomerFactory

    east = factories.DepartmentFactory(code="sales-east")
    north = factories.DepartmentFactory(code="sales-north")
    service = factories.DepartmentFactory(code="service")
    cast = {
        "owner": factories.UserFactory(username="wang.fang", display_name="王芳", department=east),
        "team": factories.UserFactory(username="li.lei", display_name="李雷", department=north),
        "colleague": factories.UserFactory(username="chen.jing", display_name="陈静", department=east),
        "outsider": factories.UserFactory(username="zhang.wei", display_name="张伟", department=north),
        "engineer": factories.UserFactory(username="tom.becker", display_name="Tom Becker", role=Role.SERVICE,
                                          department=service),
        "compliance": factories.UserFactory(username="zhao.jing", role=Role.COMPLIANCE,
                                            department=factories.DepartmentFactory(code="compliance")),
        "admin": factories.UserFactory(username="wu.lei", role=Role.ADMIN,
                                       department=factories.DepartmentFactory(code="management")),
    }
    cast["customer"] = CustomerFactory(name="上海华东精密机械有限公司", region="上海", owner=cast["owner"])
    AccountTeamMember.objects.create(customer=cast["customer"], user=cast["team"], role="co-seller")
    return cast
