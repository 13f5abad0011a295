"""The four-eyes rule of approving a version, per classification (settings.DOCUMENT_FOUR_EYES_CLASSIFICATIONS),
and approving only the newest draft: enforced in the service, so the API obeys it too."""

from __future__ import annotations

import datetime as dt

import pytest

from backend.access.policy import four_eyes_forbids
from backend.access.services import document_permission_grant
from backend.audit.models import AuditEvent
from backend.common.errors import Conflict, FourEyesRequired
from backend.documents import services
from backend.documents.models import VersionStatus
from tests import factories
from tests.fixtures.clients import api_client as client_for

pytestmark = [pytest.mark.django_db, pytest.mark.s3]


@pytest.fixture
def people():
    department = factories.DepartmentFactory(code="legal")
    author = factories.UserFactory(username="author", display_name="Ann Author", department=department)
    reviewer = factories.UserFactory(username="reviewer", display_name="Rex Reviewer", department=department)
    return author, reviewer


def _document(author, reviewer, classification: str):
    document = factories.document(author, title=f"A {classification} contract", classification=classification)
    document_permission_grant(actor=author, document=document, level="change", user=reviewer)
    return document


def _v1(document):
    return services.version_get(document=document, number=1)


def test_the_uploader_may_not_approve_a_confidential_version_and_the_refusal_is_audited(people):
    author, reviewer = people
    # given a confidential document whose only version the author uploaded
    document = _document(author, reviewer, "confidential")

    # when the author approves it
    with pytest.raises(FourEyesRequired) as refused:
        services.document_version_approve(actor=author, version=_v1(document))

    # then it is refused (403, a stable code), nothing changed, and the refusal is a recorded denial
    assert refused.value.status_code == 403 and refused.value.code == "four_eyes_required"
    assert _v1(document).status == VersionStatus.DRAFT
    denial = AuditEvent.objects.get(event_type="document.access.denied", actor_id=author.pk)
    assert denial.outcome == "denied" and denial.target_id == str(document.pk)
    assert denial.detail["rule"] == "four_eyes" and denial.detail["version"] == 1
    assert not AuditEvent.objects.filter(event_type="document.version.status_changed").exists()


def test_another_person_with_change_access_approves_the_confidential_version(people):
    author, reviewer = people
    document = _document(author, reviewer, "secret")

    # when the reviewer (not the uploader) approves it, with a valid-until date
    until = dt.date.today() + dt.timedelta(days=30)
    approved = services.document_version_approve(actor=reviewer, version=_v1(document), valid_until=until)

    # then it is approved, valid until that date, and audited
    assert approved.status == VersionStatus.APPROVED and approved.approved_by == reviewer
    assert approved.valid_until == until
    event = AuditEvent.objects.get(event_type="document.version.status_changed")
    assert event.actor_id == reviewer.pk and event.detail["valid_until"] == until.isoformat()


def test_the_uploader_may_approve_an_internal_version(people):
    author, reviewer = people
    document = _document(author, reviewer, "internal")

    approved = services.document_version_approve(actor=author, version=_v1(document))

    assert approved.status == VersionStatus.APPROVED
    assert not four_eyes_forbids(author, _v1(document))


def test_with_the_rule_turned_off_the_uploader_approves_a_confidential_version(people, settings):
    author, reviewer = people
    settings.DOCUMENT_FOUR_EYES_CLASSIFICATIONS = []
    document = _document(author, reviewer, "confidential")

    approved = services.document_version_approve(actor=author, version=_v1(document))

    assert approved.status == VersionStatus.APPROVED
    assert not AuditEvent.objects.filter(event_type="document.access.denied").exists()


def test_the_rule_follows_the_setting_for_internal_documents_too(people, settings):
    author, reviewer = people
    settings.DOCUMENT_FOUR_EYES_CLASSIFICATIONS = ["internal"]
    document = _document(author, reviewer, "internal")

    with pytest.raises(FourEyesRequired):
        services.document_version_approve(actor=author, version=_v1(document))
    assert services.document_version_approve(actor=reviewer, version=_v1(document)).status == VersionStatus.APPROVED


def test_the_api_answers_403_with_a_clear_message_for_the_uploader(people):
    author, reviewer = people
    document = _document(author, reviewer, "confidential")

    response = client_for(author).post(f"/api/documents/{document.pk}/versions/1/approve/", {})

    assert response.status_code == 403
    body = response.json()
    assert body["code"] == "four_eyes_required" and "you uploaded this version" in body["detail"]
    assert client_for(reviewer).post(f"/api/documents/{document.pk}/versions/1/approve/", {}).status_code == 200


def test_only_the_newest_draft_can_be_approved(people):
    author, reviewer = people
    # given an internal document with draft versions 1 and 2
    document = _document(author, reviewer, "internal")
    services.document_version_create(actor=author, document=document,
                                     upload=factories.upload_source(factories.pdf_bytes("v2"), "v2.pdf"))

    # when someone approves the older draft, then it is refused and nothing changes
    with pytest.raises(Conflict, match="newest"):
        services.document_version_approve(actor=reviewer, version=_v1(document))
    assert _v1(document).status == VersionStatus.DRAFT
    # while the newest draft is approved
    newest = services.version_get(document=document, number=2)
    assert services.document_version_approve(actor=reviewer, version=newest).status == VersionStatus.APPROVED


def test_a_restored_version_counts_as_uploaded_by_whoever_restored_it(people):
    author, reviewer = people
    # given the reviewer approved v1 of a confidential document, and the author restores it as v2
    document = _document(author, reviewer, "confidential")
    services.document_version_approve(actor=reviewer, version=_v1(document))
    restored = services.document_version_restore(actor=author, version=_v1(document))

    # then the author may not approve the restored copy; the reviewer may
    with pytest.raises(FourEyesRequired):
        services.document_version_approve(actor=author, version=restored)
    assert services.document_version_approve(actor=reviewer, version=restored).status == VersionStatus.APPROVED
