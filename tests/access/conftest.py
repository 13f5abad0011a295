"""What the access tests share: documents stored on the local disk, and the staff the document rules speak of."""

from __future__ import annotations

import pytest

from backend.accounts.models import Role
from tests import factories
from tests.fixtures.documents import local_disk_documents  # noqa: F401 - autouse in this folder


@pytest.fixture
def staff() -> dict:
    """An owner and a colleague in sales; an outsider, an admin, a compliance officer, a grantee and a group
    member in legal; an inactive user in sales."""
    sales = factories.DepartmentFactory(code="sales")
    legal = factories.DepartmentFactory(code="legal")
    return {
        "owner": factories.UserFactory(username="owner", department=sales),
        "colleague": factories.UserFactory(username="colleague", department=sales),
        "outsider": factories.UserFactory(username="outsider", department=legal),
        "admin": factories.UserFactory(username="admin", role=Role.ADMIN, department=legal),
        "compliance": factories.UserFactory(username="compliance", role=Role.COMPLIANCE, department=legal),
        "grantee": factories.UserFactory(username="grantee", department=legal),
        "group_member": factories.UserFactory(username="member", department=legal),
        "inactive": factories.UserFactory(username="gone", department=sales, is_active=False),
    }
