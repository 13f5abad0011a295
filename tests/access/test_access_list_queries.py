""""Who can access this": one query per kind of rule, however many groups and departments hold a grant."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backend.access.services import document_access_list, document_permission_grant
from tests import factories

pytestmark = pytest.mark.django_db


def _queries_for_access_list(owner, document) -> tuple[int, list]:
    with CaptureQueriesContext(connection) as captured:
        rules = document_access_list(actor=owner, document_id=document.pk)
    return len(captured.captured_queries), rules


def test_the_access_list_costs_the_same_queries_for_one_department_grant_or_three(staff):
    # given a document granted to one department's group, and another granted to three
    owner = staff["owner"]
    one = factories.document(owner, title="One department", content=b"%PDF-1.4 one")
    three = factories.document(owner, title="Three departments", content=b"%PDF-1.4 three")
    departments = [factories.DepartmentFactory(code=f"dept-{n}", name=f"部门 {n}") for n in range(3)]
    document_permission_grant(actor=owner, document=one, level="view", group=departments[0].group)
    for department in departments:
        document_permission_grant(actor=owner, document=three, level="view", group=department.group)

    # when the owner lists who can access each
    one_count, _ = _queries_for_access_list(owner, one)
    three_count, rules = _queries_for_access_list(owner, three)

    # then the three grants cost no more queries than the one, and each group still reads as its department
    assert three_count == one_count
    assert {rule.principal_label for rule in rules if rule.principal_type == "group"} == {"部门 0", "部门 1", "部门 2"}
