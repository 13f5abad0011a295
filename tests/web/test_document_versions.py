"""Versions on the document page: approve (asked first, naming what is superseded, four-eyes), restore and
delete (asked first), compare two versions (audited as a preview), and the upload form while someone else
holds the lock. Each page and action: no grant → 404, grant → 200/302, the audit row present."""

from __future__ import annotations

import pytest

from backend.access.services import document_permission_grant
from backend.audit.models import AuditEvent
from backend.documents import services
from backend.documents.models import Document, VersionStatus
from backend.sharing.shares import document_share_create
from tests.fixtures.clients import client_for
from tests.web.world import pdf_with_text, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def contract(world, django_capture_on_commit_callbacks):
    """The world's confidential contract (王芳 uploaded v1, a draft); 陈静 may change it, 李雷 may read it (pages and text on screen, not the file)."""
    document_permission_grant(actor=world.rep, document=world.contract, level="change", user=world.colleague)
    document_permission_grant(actor=world.rep, document=world.contract, level="read", user=world.team)
    return world.contract


def _new_version(document, actor, text: str, callbacks):
    with callbacks(execute=True):  # the version's text is extracted on commit, as in production
        version, _ = services.document_version_create(actor=actor, document=document,
                                                      upload=upload(pdf_with_text(text), "contract.pdf"))
    return version


def _events(kind: str, document) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_type=kind, target_id=str(document.pk)).order_by("id"))


# --- the permission matrix ----------------------------------------------------------------------

PAGES = [
    ("get", "/documents/{doc}/versions/1/approve/"),
    ("post", "/documents/{doc}/versions/1/approve/"),
    ("get", "/documents/{doc}/versions/1/restore/"),
    ("post", "/documents/{doc}/versions/1/restore/"),
    ("get", "/documents/{doc}/delete/"),
    ("post", "/documents/{doc}/delete/"),
    ("get", "/documents/{doc}/compare/?old=1&new=1"),
]


@pytest.mark.parametrize("method,path", PAGES)
def test_without_a_grant_every_versions_page_and_action_is_404(contract, world, method, path):
    response = getattr(client_for(world.outsider), method)(path.format(doc=contract.pk))
    assert response.status_code == 404
    contract.refresh_from_db()
    assert contract.versions.count() == 1 and contract.valid_version.status == VersionStatus.DRAFT


@pytest.mark.parametrize("method,path", PAGES[:-1])
def test_view_access_is_not_enough_to_approve_restore_or_delete(contract, world, method, path):
    assert getattr(client_for(world.team), method)(path.format(doc=contract.pk)).status_code == 404


def test_change_access_is_not_enough_to_delete(contract, world):
    assert client_for(world.colleague).get(f"/documents/{contract.pk}/delete/").status_code == 404
    assert client_for(world.colleague).post(f"/documents/{contract.pk}/delete/").status_code == 404
    assert Document.objects.filter(pk=contract.pk).exists()


# --- approve --------------------------------------------------------------------------------------


def test_a_reviewer_is_asked_first_then_approves_with_a_valid_until_date(contract, world):
    reviewer = client_for(world.colleague)
    # the confirmation names what happens; nothing is approved yet, so nothing is superseded
    page = reviewer.get(f"/documents/{contract.pk}/versions/1/approve/")
    assert page.status_code == 200
    text = page.content.decode()
    assert 'data-testid="approve-form"' in text and 'name="valid_until"' in text
    assert "No version is approved yet, so none becomes superseded." in text
    assert contract.versions.get(number=1).status == VersionStatus.DRAFT  # asking changed nothing

    response = reviewer.post(f"/documents/{contract.pk}/versions/1/approve/", {"valid_until": "2099-06-30"})

    assert response.status_code == 302 and response.url == f"/documents/{contract.pk}/"
    version = contract.versions.get(number=1)
    assert version.status == VersionStatus.APPROVED and str(version.valid_until) == "2099-06-30"
    [event] = _events("document.version.status_changed", contract)
    assert event.actor_id == world.colleague.pk and event.detail["valid_until"] == "2099-06-30"


def test_the_confirmation_names_the_valid_version_that_becomes_superseded(world, django_capture_on_commit_callbacks):
    # given the quote document's v1 is approved and valid, and 王芳 uploads v2
    _new_version(world.quote_doc, world.rep, "报价单 第二版", django_capture_on_commit_callbacks)

    text = client_for(world.rep).get(f"/documents/{world.quote_doc.pk}/versions/2/approve/").content.decode()

    assert "Version 2 (uploaded by 王芳" in text
    assert "Version 1, the valid version now (uploaded by 王芳" in text and "becomes superseded" in text


def test_the_uploader_is_told_another_person_must_approve(contract, world):
    uploader = client_for(world.rep)
    # the document page offers no approve button, and says why
    page = uploader.get(f"/documents/{contract.pk}/").content.decode()
    assert 'data-testid="four-eyes-notice"' in page and "you uploaded this version" in page
    assert 'data-testid="approve-1"' not in page
    # the confirmation page says the same, with no form
    confirm = uploader.get(f"/documents/{contract.pk}/versions/1/approve/")
    assert confirm.status_code == 403 and 'data-testid="approve-form"' not in confirm.content.decode()
    # and a POST anyway is refused with the message, audited as a denial
    response = uploader.post(f"/documents/{contract.pk}/versions/1/approve/", {}, follow=True)
    assert "Another person must approve: you uploaded this version." in response.content.decode()
    assert contract.versions.get(number=1).status == VersionStatus.DRAFT
    assert _events("document.access.denied", contract)[-1].detail["rule"] == "four_eyes"
    # while the reviewer is offered the button
    assert 'data-testid="approve-1"' in client_for(world.colleague).get(f"/documents/{contract.pk}/").content.decode()


def test_the_four_eyes_notice_is_translated(contract, world):
    page = client_for(world.rep, "zh-hans").get(f"/documents/{contract.pk}/").content.decode()
    assert "需要另一人批准：此版本由您上传。" in page


def test_only_the_newest_draft_is_offered_for_approval(world, django_capture_on_commit_callbacks):
    doc = world.quote_doc
    _new_version(doc, world.rep, "v2", django_capture_on_commit_callbacks)
    _new_version(doc, world.rep, "v3", django_capture_on_commit_callbacks)
    page = client_for(world.rep).get(f"/documents/{doc.pk}/").content.decode()
    assert 'data-testid="approve-3"' in page and 'data-testid="approve-2"' not in page
    response = client_for(world.rep).post(f"/documents/{doc.pk}/versions/2/approve/", {}, follow=True)
    assert "Only the newest version can be approved." in response.content.decode()
    assert doc.versions.get(number=2).status == VersionStatus.DRAFT


# --- restore ------------------------------------------------------------------------------------


def test_restore_asks_first_naming_the_version_and_what_it_becomes(contract, world, django_capture_on_commit_callbacks):
    _new_version(contract, world.rep, "second draft", django_capture_on_commit_callbacks)
    reviewer = client_for(world.colleague)

    page = reviewer.get(f"/documents/{contract.pk}/versions/1/restore/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "The content of version 1 (uploaded by 王芳" in text and "It becomes version 3, a draft" in text
    assert contract.versions.count() == 2  # asking changed nothing

    response = reviewer.post(f"/documents/{contract.pk}/versions/1/restore/")

    assert response.status_code == 302
    restored = contract.versions.get(number=3)
    assert restored.restored_from.number == 1 and restored.uploaded_by == world.colleague
    assert _events("document.version.restored", contract)[-1].detail == {
        "version": 3, "restored_from": 1, "sha256": restored.sha256}


# --- delete ---------------------------------------------------------------------------------------


def test_delete_asks_first_saying_what_goes_then_moves_it_to_the_trash(contract, world):
    share = document_share_create(actor=world.rep, document=contract, customer=world.customer)
    owner = client_for(world.rep)

    page = owner.get(f"/documents/{contract.pk}/delete/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "its 1 version move to the trash" in text
    assert "Its 1 share with customers stops while it is in the trash." in text
    assert world.customer.name in text and "restore it from the trash for 30 days" in text
    assert Document.objects.get(pk=contract.pk).trashed_at is None  # asking changed nothing

    response = owner.post(f"/documents/{contract.pk}/delete/", follow=True)

    assert response.redirect_chain[0] == ("/trash/", 302)
    assert "was moved to the trash" in response.content.decode()
    assert Document.objects.get(pk=contract.pk).trashed_at is not None
    assert owner.get(f"/documents/{contract.pk}/").status_code == 404
    trashed = AuditEvent.objects.get(event_type="document.trashed", target_id=str(contract.pk))
    assert trashed.actor_id == world.rep.pk


# --- compare --------------------------------------------------------------------------------------


def test_compare_shows_the_changes_side_by_side_escaped_and_audited_as_a_preview(
        contract, world, django_capture_on_commit_callbacks):
    # given v2 of the contract changes a clause (its text holds markup, which must stay text)
    _new_version(contract, world.rep, "供货合同 Supply contract\n保密 confidential\n付款 net 60 <b>bold</b>",
                 django_capture_on_commit_callbacks)
    # when 李雷, who may only read it, compares v1 with v2 from the version list
    viewer = client_for(world.team)
    listing = viewer.get(f"/documents/{contract.pk}/").content.decode()
    assert f'href="/documents/{contract.pk}/compare/?old=1&amp;new=2"' in listing
    response = viewer.get(f"/documents/{contract.pk}/compare/?old=1&new=2")

    # then the added line is marked, markup is escaped, and each version's read is a preview
    assert response.status_code == 200
    text = response.content.decode()
    assert 'data-testid="diff"' in text and "<ins>" in text
    assert "&lt;b&gt;bold&lt;/b&gt;" in text and "<b>bold" not in text
    previews = _events("document.version.previewed", contract)
    assert [(e.actor_id, e.detail["version"], e.detail["compared_with"], e.detail["view"]) for e in previews] == [
        (world.team.pk, 1, 2, "compare"), (world.team.pk, 2, 1, "compare")]
    assert not _events("document.version.downloaded", contract)


def test_comparing_a_version_that_does_not_exist_is_404(contract, world):
    assert client_for(world.rep).get(f"/documents/{contract.pk}/compare/?old=1&new=9").status_code == 404


# --- the upload form while someone else holds the lock ---------------------------------------------


def test_the_upload_form_is_disabled_while_someone_else_holds_the_lock(contract, world):
    services.document_checkout(actor=world.rep, document=contract)

    page = client_for(world.colleague).get(f"/documents/{contract.pk}/").content.decode()

    assert 'data-testid="upload-disabled"' in page and "Locked for editing by 王芳" in page
    fieldset = page[page.index('data-testid="upload-fieldset"') - 200:page.index('data-testid="upload-fieldset"')]
    assert " disabled " in fieldset
    # the holder's own form stays open
    own = client_for(world.rep).get(f"/documents/{contract.pk}/").content.decode()
    assert 'data-testid="upload-disabled"' not in own


def test_check_out_is_offered_as_lock_for_editing(contract, world):
    assert "Lock for editing" in client_for(world.rep).get(f"/documents/{contract.pk}/").content.decode()
    assert "锁定编辑" in client_for(world.rep, "zh-hans").get(f"/documents/{contract.pk}/").content.decode()
