"""Decisions the pages used to take by role are the policy's: the compliance console, report exports,
sharing from the document page, reviewing a document's access and reading its access log."""

from __future__ import annotations

import itertools

import pytest
from django.contrib.auth.models import AnonymousUser

from backend.access.policy import (
    Action,
    can,
    can_review_access,
    document_rights,
    may_export_reports,
    may_open_compliance_console,
    may_read_access_log,
    may_share_document,
)
from backend.access.services import document_permission_grant
from backend.accounts.models import Role
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    sales = factories.DepartmentFactory(code="sales")
    return {
        "owner": factories.UserFactory(username="owner", department=sales),
        "colleague": factories.UserFactory(username="colleague", department=sales),
        "outsider": factories.UserFactory(username="outsider"),
        "admin": factories.UserFactory(username="admin", role=Role.ADMIN),
        "compliance": factories.UserFactory(username="compliance", role=Role.COMPLIANCE),
        "gone compliance": factories.UserFactory(username="gone", role=Role.COMPLIANCE, is_active=False),
        "manager": factories.UserFactory(username="manager"),
        "downloader": factories.UserFactory(username="downloader"),
        "portal": factories.UserFactory(username="portal", role=Role.PORTAL),
    }


def test_only_active_compliance_staff_may_open_the_compliance_console(people):
    allowed = {name for name, person in people.items() if may_open_compliance_console(person)}
    assert allowed == {"compliance"}
    assert not may_open_compliance_console(AnonymousUser())


def test_every_active_staff_member_may_export_reports_and_nobody_else(people):
    refused = {name for name, person in people.items() if not may_export_reports(person)}
    assert refused == {"gone compliance", "portal"}
    assert not may_export_reports(AnonymousUser())


def test_document_rights_agree_with_the_single_questions_without_asking_twice(people, django_assert_max_num_queries):
    owner = people["owner"]
    docs = [factories.document(owner, title=c, classification=c) for c in ("public", "internal", "confidential", "secret")]
    for doc in docs[2:]:
        document_permission_grant(actor=owner, document=doc, level="manage", user=people["manager"])
        document_permission_grant(actor=owner, document=doc, level="download", user=people["downloader"])
    for person, doc in itertools.product(people.values(), docs):
        # given the answers asked one by one
        expected = {
            "read": can(person, Action.READ, doc),
            "change": can(person, Action.CHANGE, doc), "download": can(person, Action.DOWNLOAD, doc),
            "manage": can(person, Action.MANAGE, doc), "share": may_share_document(person, doc),
            "review_access": can_review_access(person, doc),
        }
        # when they are asked at once: the same answers, and at most one query per right
        # (read is asked only of those who may not download: every rule that allows downloading allows reading)
        with django_assert_max_num_queries(4 * 2) as asked:
            rights = document_rights(person, doc)
        assert vars(rights) == expected, (person.username, doc.title)
        assert may_read_access_log(person, doc) == rights.review_access
        if person.pk == owner.pk or person.role == Role.ADMIN and doc.classification in ("public", "internal"):
            assert len(asked) == 0  # the owner's and the broad rules need no query
    # confidential documents: sharing needs the right to manage, downloading is not enough
    assert may_share_document(people["manager"], docs[2]) and not may_share_document(people["downloader"], docs[2])
    assert may_share_document(people["colleague"], docs[1]) and not may_share_document(people["outsider"], docs[1])
