"""The document page's actions: upload (raw body with progress, or a plain form), check-out, approve, restore,
and the upload errors a person must understand: wrong type, too large, lock held, store down."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from backend.audit.models import AuditEvent
from backend.documents.services import document_checkout
from tests.fixtures.clients import client_for
from tests.web.world import pdf_with_text

pytestmark = pytest.mark.django_db


def _xhr_upload(client, document_id: int, content: bytes, filename: str, comment: str = "",
                content_type: str = "application/pdf"):
    return client.post(
        f"/documents/{document_id}/versions/?comment={quote(comment)}", content, content_type=content_type,
        headers={"X-Requested-With": "XMLHttpRequest",
                 "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"})


def test_raw_body_upload_creates_a_version_and_is_audited(world):
    client = client_for(world.rep)
    response = _xhr_upload(client, world.quote_doc.pk, pdf_with_text("第二版 v2"), "报价单-v2.pdf", "第二版")
    assert response.status_code == 201
    body = response.json()
    assert body["version"] == 2 and body["redirect"] == f"/documents/{world.quote_doc.pk}/"
    version = world.quote_doc.versions.get(number=2)
    assert version.original_filename == "报价单-v2.pdf" and version.comment == "第二版"
    assert AuditEvent.objects.filter(event_type="document.version.uploaded", actor_id=world.rep.pk).exists()
    page = client.get(f"/documents/{world.quote_doc.pk}/").content.decode()
    assert "报价单-v2.pdf" in page and "第二版" in page


def test_upload_while_someone_else_holds_the_lock_names_the_holder_in_the_users_language(world):
    document_checkout(actor=world.rep, document=world.quote_doc)
    from backend.access.services import document_permission_grant

    document_permission_grant(actor=world.rep, document=world.quote_doc, level="change", user=world.colleague)
    colleague = client_for(world.colleague, "zh-hans")
    response = _xhr_upload(colleague, world.quote_doc.pk, pdf_with_text("x"), "x.pdf")
    assert response.status_code == 409
    assert "王芳" in response.json()["message"]
    assert "锁定编辑" in response.json()["message"]
    page = colleague.get(f"/documents/{world.quote_doc.pk}/").content.decode()
    assert 'data-testid="lock-holder"' in page and "王芳" in page
    assert world.quote_doc.versions.count() == 1


def test_wrong_type_and_too_large_are_clear_messages(world, settings):
    client = client_for(world.rep)
    response = _xhr_upload(client, world.quote_doc.pk, b"MZ\x90\x00" + b"\x00" * 200, "tool.pdf",
                           content_type="application/octet-stream")
    assert response.status_code == 415
    assert "not allowed" in response.json()["message"]
    settings.UPLOAD_MAX_BYTES = 100
    response = _xhr_upload(client, world.quote_doc.pk, pdf_with_text("big"), "big.pdf")
    assert response.status_code == 413
    assert "upload limit" in response.json()["message"]
    assert world.quote_doc.versions.count() == 1


def test_store_down_says_nothing_was_saved_and_the_plain_form_keeps_the_comment(world, settings):
    settings.STORAGE_URL = "s3://nobody:nothing@127.0.0.1:9/dead?secure=0"
    client = client_for(world.rep)
    response = _xhr_upload(client, world.quote_doc.pk, pdf_with_text("x"), "x.pdf")
    assert response.status_code == 503
    assert "Nothing was saved" in response.json()["message"]
    # the no-JavaScript form: the page comes back with the message and the comment still filled in
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(f"/documents/{world.quote_doc.pk}/versions/", {
        "file": SimpleUploadedFile("x.pdf", pdf_with_text("x"), content_type="application/pdf"),
        "comment": "保留这条备注"})
    assert response.status_code == 503
    page = response.content.decode()
    assert "Nothing was saved" in page and 'value="保留这条备注"' in page


def test_checkout_checkin_approve_restore_through_the_page(world):
    client = client_for(world.rep)
    doc = world.quote_doc
    assert client.post(f"/documents/{doc.pk}/checkout/").status_code == 302
    doc.refresh_from_db()
    assert doc.lock_holder() == world.rep
    # someone else sees who holds it
    other = client_for(world.colleague).get(f"/documents/{doc.pk}/").content.decode()
    assert "Locked for editing by 王芳" in other
    assert client.post(f"/documents/{doc.pk}/checkin/").status_code == 302
    # a restore makes a new draft; approving it makes it the valid version
    assert client.post(f"/documents/{doc.pk}/versions/1/restore/").status_code == 302
    assert client.post(f"/documents/{doc.pk}/versions/2/approve/", {"valid_until": "2099-12-31"}).status_code == 302
    doc.refresh_from_db()
    assert doc.valid_version.number == 2 and doc.valid_version.status == "approved"
    assert set(AuditEvent.objects.filter(target_id=str(doc.pk)).values_list("event_type", flat=True)) >= {
        "document.checked_out", "document.checked_in", "document.version.restored", "document.version.status_changed"}
    # a past date is refused with a message, nothing changes
    response = client.post(f"/documents/{doc.pk}/versions/1/approve/", {"valid_until": "2001-01-01"}, follow=True)
    assert "not in the past" in response.content.decode()


def test_checkin_by_someone_without_the_lock_is_refused_with_a_message(world):
    document_checkout(actor=world.rep, document=world.quote_doc)
    admin = client_for(world.admin)
    response = admin.post(f"/documents/{world.quote_doc.pk}/checkin/", follow=True)
    assert response.status_code == 200
    assert "Locked for editing by 王芳" in response.content.decode()
    assert json.loads(json.dumps({"ok": True}))
