"""The search page's prepared queries: the same rows as the ORM's, whoever asks, one query per run."""

from __future__ import annotations

import pytest
from django.db import connection

from backend.access.policy import Action, visible
from backend.access.services import document_permission_grant
from backend.accounts.models import Role
from backend.documents.models import Document, DocumentVersion
from indexing import selectors
from indexing.backends.base import Hit
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.s3]


def test_the_prepared_page_query_agrees_with_visible_for_every_kind_of_staff_user():
    # given documents of every classification in one department, one of them granted to a user
    sales = factories.DepartmentFactory()
    elsewhere = factories.DepartmentFactory()
    owner = factories.UserFactory(role=Role.SALES, department=sales)
    documents = [factories.document(owner, title=f"Doc {classification}", classification=classification)
                 for classification in ("public", "internal", "confidential", "secret")]
    granted = factories.UserFactory(role=Role.STAFF, department=elsewhere)
    document_permission_grant(actor=owner, document=documents[2], level="view", user=granted)
    users = [
        owner,
        factories.UserFactory(role=Role.SALES, department=sales),
        factories.UserFactory(role=Role.SALES, department=elsewhere),
        factories.UserFactory(role=Role.SALES, department=None),
        factories.UserFactory(role=Role.ADMIN, department=sales),
        factories.UserFactory(role=Role.ADMIN, department=None),
        factories.UserFactory(role=Role.COMPLIANCE, department=elsewhere),
        granted,
    ]
    documents = list(Document.objects.filter(pk__in=[d.pk for d in documents]))
    hits = [Hit(version_id=d.valid_version_id, document_id=d.pk, score=1.0) for d in documents]
    for user in users:
        # when the page is re-checked (prepared once per role/department shape, reused across users)
        page = selectors._visible_page_versions(user, hits)
        # then it holds exactly the versions visible() allows, with their documents and uploaders
        allowed = set(
            DocumentVersion.objects.filter(
                pk__in=[hit.version_id for hit in hits],
                document_id__in=visible(user, Document.objects.all(), Action.VIEW).values("pk"),
            ).values_list("pk", flat=True)
        )
        assert set(page) == allowed, user.role
        # and each row says whether the caller may also read its pages, as visible() at the read level does
        readable = set(
            DocumentVersion.objects.filter(
                pk__in=[hit.version_id for hit in hits],
                document_id__in=visible(user, Document.objects.all(), Action.READ).values("pk"),
            ).values_list("pk", flat=True)
        )
        assert {pk for pk, version in page.items() if version.may_read} == readable, user.role
        for version in page.values():
            assert version.document.pk == version.document_id
            assert version.uploaded_by.pk == version.uploaded_by_id == owner.pk
    # and the prepared path was the one taken for active staff
    assert selectors._prepared_page("default", connection.vendor, Role.ADMIN.value, False, len(hits)) is not None


def test_an_inactive_or_portal_user_never_uses_a_prepared_page():
    owner = factories.UserFactory(role=Role.SALES)
    document = factories.document(owner, classification="public")
    hits = [Hit(version_id=document.valid_version_id, document_id=document.pk, score=1.0)]
    owner.is_active = False
    assert selectors._visible_page_versions(owner, hits) == {}
