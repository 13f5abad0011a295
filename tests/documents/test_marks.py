"""Viewer marks: each view gets a new code, remembered with its audit event; compliance resolves a code."""

from __future__ import annotations

import pytest
from django.db import transaction

from backend.accounts.models import Role
from backend.audit import services as audit
from backend.audit.models import AuditEvent
from backend.common.errors import NotFound, PermissionDenied
from backend.documents.audit_events import DOCUMENT_VERSION_PREVIEWED, DOCUMENT_VIEW_MARK_RESOLVED
from backend.documents.marks import (
    CODE_ALPHABET,
    bind_mark,
    issue_mark,
    normalise_code,
    resolve_mark,
    viewer_label,
)
from backend.documents.models import ViewMark
from tests.factories import UserFactory, document

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner():
    return UserFactory(username="wang.fang", display_name="王芳")


def _marked_view(viewer, version, **meta):
    with transaction.atomic():
        event = audit.record(DOCUMENT_VERSION_PREVIEWED, actor=viewer, target=version.document,
                             detail={"version": version.number, "page": 1})
        mark = issue_mark(viewer=viewer, version=version, request_meta=meta, purpose="preview")
        bind_mark(mark, event)
    return mark, event


def test_a_mark_carries_viewer_account_time_address_classification_and_a_fresh_code(owner):
    # given a secret document
    doc = document(owner, classification="secret")
    # when its owner is shown a page from 203.0.113.7
    mark, _ = _marked_view(owner, doc.valid_version, address="203.0.113.7")
    again, _ = _marked_view(owner, doc.valid_version, address="203.0.113.7")
    # then the mark names them, their account, the address and the classification in both languages
    assert mark.viewer == "王芳 (wang.fang)"
    assert mark.address == "203.0.113.7"
    assert mark.classification == "绝密 / SECRET"
    text = "\n".join(mark.lines())
    for part in ("王芳 (wang.fang)", "203.0.113.7", "绝密 / SECRET", mark.code, mark.when_text):
        assert part in text
    # and each view has its own 8-character code of the unambiguous alphabet
    assert len(mark.code) == 8 and set(mark.code) <= set(CODE_ALPHABET)
    assert again.code != mark.code


def test_the_code_resolves_to_the_audit_event_of_that_view_for_compliance(owner):
    # given a view marked inside the transaction of its audit event
    doc = document(owner, classification="confidential")
    mark, event = _marked_view(owner, doc.valid_version, address="198.51.100.4")
    officer = UserFactory(role=Role.COMPLIANCE)
    # when compliance looks the code up as typed from a photo (lower case, a dash, an O for a zero)
    typed = (mark.code[:4] + "-" + mark.code[4:]).lower().replace("0", "o")
    found = resolve_mark(actor=officer, code=typed)
    # then it finds that very event: who, what, when, from where
    assert found.event.pk == event.pk
    assert found.mark.viewer_id == owner.pk and found.mark.address == "198.51.100.4"
    assert found.document_id == doc.pk and found.mark.purpose == "preview"
    # and the lookup itself is in the trail
    lookup = AuditEvent.objects.filter(event_type=DOCUMENT_VIEW_MARK_RESOLVED).latest("id")
    assert lookup.actor_id == officer.pk and lookup.detail["code"] == mark.code and lookup.detail["found"]


def test_only_compliance_resolves_and_an_unknown_code_is_not_found_but_recorded(owner):
    doc = document(owner, classification="confidential")
    mark, _ = _marked_view(owner, doc.valid_version)
    # the owner of the document cannot look codes up
    with pytest.raises(PermissionDenied):
        resolve_mark(actor=owner, code=mark.code)
    # compliance asking for a code never issued gets NotFound, recorded as a failed lookup
    officer = UserFactory(role=Role.COMPLIANCE)
    with pytest.raises(NotFound):
        resolve_mark(actor=officer, code="ZZZZZZZZ")
    lookup = AuditEvent.objects.filter(event_type=DOCUMENT_VIEW_MARK_RESOLVED).latest("id")
    assert lookup.outcome == "failure" and lookup.detail["found"] is False


def test_a_mark_rolls_back_with_its_view(owner):
    doc = document(owner)
    with pytest.raises(RuntimeError), transaction.atomic():
        issue_mark(viewer=owner, version=doc.valid_version, request_meta=None, purpose="preview")
        raise RuntimeError("the view failed")
    assert not ViewMark.objects.exists()


def test_a_portal_viewer_is_named_by_contact_email_and_customer():
    from backend.crm.models import Customer
    from tests.portal_factories import portal_user

    owner = UserFactory()
    customer = Customer.objects.create(name="华东机械", owner=owner)
    reader = portal_user(customer, name="李娜", email="li.na@example.com")
    assert viewer_label(reader) == "李娜 <li.na@example.com> · 华东机械"


def test_normalise_code_reads_look_alikes():
    assert normalise_code(" ab1l-oi9z ") == "AB11019Z"


def test_view_grants_made_before_the_read_level_become_read_grants_and_back(owner):
    """Migration documents 0009: a view grant made when view still showed the pages keeps showing them."""
    import importlib

    from django.apps import apps

    from backend.access.policy import Action, can
    from backend.access.services import document_permission_grant

    migration = importlib.import_module("backend.documents.migrations.0009_view_only_and_marks")
    doc = document(owner, classification="confidential")
    reader = UserFactory()
    document_permission_grant(actor=owner, document=doc, level="view", user=reader)
    assert not can(reader, Action.READ, doc)
    # when the migration runs over it
    migration.view_grants_become_read(apps, None)
    # then the reader reads the pages (and still may not download)
    assert can(reader, Action.READ, doc) and not can(reader, Action.DOWNLOAD, doc)
    # and backwards it is a view grant again
    migration.read_grants_become_view(apps, None)
    assert can(reader, Action.VIEW, doc) and not can(reader, Action.READ, doc)


def test_a_page_of_a_version_deleted_meanwhile_is_not_found_and_leaves_no_mark_or_event(owner):
    # given a page about to be marked for a reader, whose document is deleted for good meanwhile
    from backend.documents.models import Document
    from backend.documents.previews import marked_page

    doc = document(owner)
    version = doc.valid_version
    Document.objects.filter(pk=doc.pk).delete()
    events = AuditEvent.objects.count()
    # when the page is marked
    # then it is simply not found: no half-made mark, no event, no server error
    with pytest.raises(NotFound):
        marked_page(actor=owner, version=version, png=b"", request_meta={}, purpose="preview",
                    event_type=DOCUMENT_VERSION_PREVIEWED, target=doc, detail={"page": 1})
    assert not ViewMark.objects.filter(version_id=version.pk).exists()
    assert AuditEvent.objects.count() == events
