"""Version life cycle, check-out locks, restore, downloads with ranges and checksum verification."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from minio import Minio

from backend.access.services import document_permission_grant
from backend.accounts.models import Role
from backend.audit.models import AuditEvent
from backend.documents import services
from backend.common.errors import NotFound
from backend.documents.models import VersionStatus
from backend.sharing.models import DocumentShare
from backend.sharing.shares import document_share_create, share_get_for_portal
from tests import factories
from tests.crm.factories import CustomerFactory
from tests.fixtures.clients import api_client as client_for
from tests.portal_factories import portal_user

pytestmark = [pytest.mark.django_db, pytest.mark.s3]


@pytest.fixture
def team():
    department = factories.DepartmentFactory(code="sales")
    alice = factories.UserFactory(username="alice", display_name="Alice Wang", department=department)
    bob = factories.UserFactory(username="bob", display_name="Bob Li", department=department)
    admin = factories.UserFactory(username="root", role=Role.ADMIN, department=department)
    document = factories.document(alice, title="Framework contract", classification="internal")
    document_permission_grant(actor=alice, document=document, level="change", user=bob)
    return alice, bob, admin, document


def _upload(client, document, marker):
    return client.post(
        f"/api/documents/{document.pk}/versions/",
        {"file": SimpleUploadedFile(f"{marker}.pdf", factories.pdf_bytes(marker))},
        format="multipart",
    )


def test_approving_a_version_supersedes_the_previous_approved_one(team):
    alice, bob, admin, document = team
    client = client_for(alice)
    # given v1 approved and v2 uploaded
    assert client.post(f"/api/documents/{document.pk}/versions/1/approve/", {}).status_code == 200
    assert _upload(client, document, "v2").status_code == 201

    # then the valid version is still v1 while v2 is a draft
    body = client.get(f"/api/documents/{document.pk}/").json()
    assert body["valid_version"]["number"] == 1

    # when v2 is approved
    response = client.post(f"/api/documents/{document.pk}/versions/2/approve/", {"valid_until": "2099-12-31"})

    # then v2 is valid and approved, v1 superseded, and approving v1 again is a conflict
    assert response.status_code == 200
    versions = {v["number"]: v["status"] for v in client.get(f"/api/documents/{document.pk}/versions/").json()}
    assert versions == {1: "superseded", 2: "approved"}
    assert client.get(f"/api/documents/{document.pk}/").json()["valid_version"]["number"] == 2
    again = client.post(f"/api/documents/{document.pk}/versions/1/approve/", {})
    assert again.status_code == 409
    assert "superseded" in again.json()["detail"]
    event = AuditEvent.objects.filter(event_type="document.version.status_changed").latest("id")
    assert event.detail["superseded"] == [1]


def test_a_version_past_its_valid_until_reads_as_expired(team):
    alice, _, _, document = team
    # when v1 is approved with a date in the past
    client = client_for(alice)
    client.post(f"/api/documents/{document.pk}/versions/1/approve/", {"valid_until": "2020-01-31"})

    # then it reads as expired (while stored as approved)
    body = client.get(f"/api/documents/{document.pk}/").json()
    assert body["valid_version"]["status"] == "expired"
    assert document.versions.get(number=1).status == VersionStatus.APPROVED


def test_check_out_blocks_other_uploads_with_409_naming_the_holder_and_since(team):
    alice, bob, _, document = team
    # given Bob holds the check-out
    assert client_for(bob).post(f"/api/documents/{document.pk}/checkout/").status_code == 200

    # when Alice (the owner!) tries to upload and to check out
    upload = _upload(client_for(alice), document, "alice-v2")
    checkout = client_for(alice).post(f"/api/documents/{document.pk}/checkout/")

    # then both are 409 and say who holds it since when
    for response in (upload, checkout):
        assert response.status_code == 409
        body = response.json()
        assert body["code"] == "locked"
        assert "Bob Li" in body["detail"]
        assert body["holder"]["username"] == "bob"
        assert body["since"]
    # and Bob himself can still upload; nothing of Alice's attempt was stored as a version
    assert _upload(client_for(bob), document, "bob-v2").status_code == 201
    assert document.versions.count() == 2


def test_an_expired_check_out_no_longer_blocks(team, settings):
    alice, bob, _, document = team
    # given Bob's check-out has run past its time
    services.document_checkout(actor=bob, document=document)
    document.refresh_from_db()
    type(document).objects.filter(pk=document.pk).update(checkout_expires_at=timezone.now() - dt.timedelta(seconds=1))

    # when Alice uploads
    response = _upload(client_for(alice), document, "after-expiry")

    # then it works and the document shows no holder
    assert response.status_code == 201
    assert client_for(alice).get(f"/api/documents/{document.pk}/").json()["checkout"] is None


def test_an_admin_breaks_a_lock_and_that_is_audited(team):
    alice, bob, admin, document = team
    services.document_checkout(actor=bob, document=document)

    # when the admin breaks it with a reason
    response = client_for(admin).post(f"/api/documents/{document.pk}/break-lock/", {"reason": "Bob is on leave"})

    # then the lock is gone and the audit says whose lock, since when, why
    assert response.status_code == 200
    assert response.json()["checkout"] is None
    event = AuditEvent.objects.get(event_type="document.lock_broken")
    assert event.actor == admin
    assert event.detail["holder"] == "bob"
    assert event.detail["reason"] == "Bob is on leave"


def test_check_in_by_someone_else_is_refused(team):
    alice, bob, _, document = team
    services.document_checkout(actor=bob, document=document)
    response = client_for(alice).post(f"/api/documents/{document.pk}/checkin/")
    assert response.status_code == 409


def test_restore_makes_a_new_version_with_the_old_content_and_rewrites_nothing(team):
    alice, _, _, document = team
    client = client_for(alice)
    _upload(client, document, "v2")
    v1 = document.versions.get(number=1)

    # when v1 is restored
    response = client.post(f"/api/documents/{document.pk}/versions/1/restore/", {"comment": "back to v1"})

    # then v3 exists with v1's content and v1, v2 are untouched
    assert response.status_code == 201
    body = response.json()
    assert (body["number"], body["restored_from"], body["sha256"]) == (3, 1, v1.sha256)
    assert body["status"] == "draft"
    downloaded = b"".join(client.get(f"/api/documents/{document.pk}/versions/3/download/").streaming_content)
    assert hashlib.sha256(downloaded).hexdigest() == v1.sha256
    assert document.versions.get(number=1).sha256 == v1.sha256


def test_download_streams_with_safe_headers_and_supports_ranges(team):
    alice, _, _, document = team
    client = client_for(alice)
    version = document.versions.get(number=1)
    version_filename = "报价单 2026.pdf"
    type(version).objects.filter(pk=version.pk).update(filename=version_filename)

    # when the whole file, a range, a suffix range and an impossible range are asked for
    full = client.get(f"/api/documents/{document.pk}/download/")
    part = client.get(f"/api/documents/{document.pk}/versions/1/download/", HTTP_RANGE="bytes=2-9")
    tail = client.get(f"/api/documents/{document.pk}/versions/1/download/", HTTP_RANGE="bytes=-5")
    beyond = client.get(f"/api/documents/{document.pk}/versions/1/download/", HTTP_RANGE="bytes=999999-")

    # then headers and bytes are right
    body = b"".join(full.streaming_content)
    assert full.status_code == 200
    assert full["Content-Type"] == "application/pdf"
    assert int(full["Content-Length"]) == len(body) == version.size
    assert "filename*=utf-8''%E6%8A%A5%E4%BB%B7%E5%8D%95%202026.pdf" in full["Content-Disposition"]
    assert full["Accept-Ranges"] == "bytes"
    assert part.status_code == 206
    assert b"".join(part.streaming_content) == body[2:10]
    assert part["Content-Range"] == f"bytes 2-9/{len(body)}"
    assert b"".join(tail.streaming_content) == body[-5:]
    assert beyond.status_code == 416
    assert beyond["Content-Range"] == f"bytes */{len(body)}"


def test_a_corrupted_object_aborts_the_download_and_is_audited(team, s3_server, settings):
    alice, _, _, document = team
    version = document.versions.get(number=1)
    # given the stored bytes were changed behind Dossier's back
    bucket = settings.STORAGE_URL.split("/")[3].split("?")[0]
    raw = Minio(s3_server.endpoint, access_key=s3_server.access_key, secret_key=s3_server.secret_key, secure=False)
    import io

    tampered = b"%PDF-1.4 tampered" + b"x" * (version.size - 17)
    raw.put_object(bucket, version.object_key, io.BytesIO(tampered), len(tampered))

    # when it is downloaded
    from storage.errors import ObjectCorrupt

    response = client_for(alice).get(f"/api/documents/{document.pk}/versions/1/download/")
    if response.status_code == 200:
        # the failure shows mid-stream: the body is cut short
        with pytest.raises(ObjectCorrupt):
            b"".join(response.streaming_content)
    else:
        assert response.status_code == 503

    # then the failure is audited with both digests
    event = AuditEvent.objects.get(event_type="document.version.checksum_failed", outcome="failure")
    assert event.actor == alice
    assert event.detail["expected"] == version.sha256
    assert event.detail["actual"] == hashlib.sha256(tampered).hexdigest()


def test_an_object_that_changed_length_is_refused_before_any_byte_and_audited(team, s3_server, settings):
    import io

    alice, _, _, document = team
    version = document.versions.get(number=1)
    # given the stored object grew behind Dossier's back: a client that stops reading at the
    # version's size must not receive other bytes as a complete response
    bucket = settings.STORAGE_URL.split("/")[3].split("?")[0]
    raw = Minio(s3_server.endpoint, access_key=s3_server.access_key, secret_key=s3_server.secret_key, secure=False)
    tampered = b"%PDF-1.4 tampered" + b"x" * version.size
    raw.put_object(bucket, version.object_key, io.BytesIO(tampered), len(tampered))

    # when it is downloaded
    response = client_for(alice).get(f"/api/documents/{document.pk}/versions/1/download/")

    # then no byte is served and the failure is audited with both digests
    assert response.status_code == 503
    assert response.json()["code"] == "content_corrupt"
    event = AuditEvent.objects.get(event_type="document.version.checksum_failed", outcome="failure")
    assert event.actor == alice
    assert event.detail["expected"] == version.sha256
    assert event.detail["actual"] == hashlib.sha256(tampered).hexdigest()


def test_presigned_url_is_handed_out_and_audited(team):
    import requests

    alice, _, _, document = team
    # when a presigned URL is asked for
    response = client_for(alice).get(f"/api/documents/{document.pk}/versions/1/download/?presign=1")

    # then it downloads the same bytes directly from S3, and handing it out was audited
    assert response.status_code == 200, response.content
    direct = requests.get(response.json()["url"], timeout=10)
    assert direct.status_code == 200
    assert hashlib.sha256(direct.content).hexdigest() == document.versions.get(number=1).sha256
    assert AuditEvent.objects.filter(event_type="document.version.download_url_issued", actor=alice).exists()


def test_deleting_a_document_removes_objects_only_when_unreferenced(team, django_capture_on_commit_callbacks):
    alice, _, _, document = team
    from backend.documents.store import object_store

    shared = factories.pdf_bytes("shared")
    keep = factories.document(alice, title="Keeps the shared bytes", content=shared)
    doomed = factories.document(alice, title="Goes away", content=shared)
    only_doomed = services.document_version_create(
        actor=alice, document=doomed, upload=factories.upload_source(factories.pdf_bytes("only-doomed"))
    )[0]

    # when one of the two documents sharing content is deleted, then purged from the trash
    response = client_for(alice).delete(f"/api/documents/{doomed.pk}/")
    from backend.documents.models import Document
    from backend.documents.trash import document_purge

    with django_capture_on_commit_callbacks(execute=True):
        document_purge(actor=alice, document=Document.objects.get(pk=doomed.pk), reason="emptied")

    # then its unique object is gone, the shared one stays, and the other document still downloads
    assert response.status_code == 204
    store = object_store()
    assert not store.exists(only_doomed.object_key)
    assert store.exists(keep.valid_version.object_key)
    assert client_for(alice).get(f"/api/documents/{keep.pk}/download/").status_code == 200


def test_approving_while_someone_else_holds_the_check_out_is_409_like_an_upload(team):
    alice, bob, _, document = team
    # given Alice uploaded a draft v2 and Bob then checked the document out
    assert _upload(client_for(alice), document, "alice-v2").status_code == 201
    assert client_for(bob).post(f"/api/documents/{document.pk}/checkout/").status_code == 200

    # when Alice (the owner) approves v2
    response = client_for(alice).post(f"/api/documents/{document.pk}/versions/2/approve/", {})

    # then 409 names the holder and since when, and nothing changed
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "locked" and body["holder"]["username"] == "bob" and body["since"]
    assert "Bob Li" in body["detail"]
    document.refresh_from_db()
    assert document.valid_version.number == 2 and document.valid_version.status == VersionStatus.DRAFT
    assert not AuditEvent.objects.filter(event_type="document.version.status_changed").exists()
    # while the holder may approve it
    assert client_for(bob).post(f"/api/documents/{document.pk}/versions/2/approve/", {}).status_code == 200


def test_a_document_with_a_version_pinned_by_a_share_can_be_deleted_and_its_shares_end(team):
    alice, _, _, document = team
    customer = CustomerFactory(name="Pinned Ltd", owner=alice)
    reader = portal_user(customer)
    pinned = document_share_create(actor=alice, document=document, customer=customer,
                                   version=document.valid_version)
    following = document_share_create(actor=alice, document=document, customer=customer)

    # when the owner deletes the document, the customer can no longer open it
    response = client_for(alice).delete(f"/api/documents/{document.pk}/")
    assert response.status_code == 204
    with pytest.raises(NotFound):
        share_get_for_portal(user=reader, share_id=pinned.pk)
    # and when it is purged from the trash
    from backend.documents.models import Document
    from backend.documents.trash import document_purge

    document_purge(actor=alice, document=Document.objects.get(pk=document.pk), reason="emptied")

    # then it is deleted (not a 500 from the protected version), the shares went with it, each end audited
    assert not DocumentShare.objects.filter(pk__in=[pinned.pk, following.pk]).exists()
    ended = AuditEvent.objects.filter(event_type="document.share.revoked", customer_id=customer.pk)
    assert sorted(e.detail["share"] for e in ended) == sorted([pinned.pk, following.pk])
    assert {e.detail["reason"] for e in ended} == {"document_deleted"}
    deleted = AuditEvent.objects.get(event_type="document.purged")
    assert sorted(deleted.detail["shares"]) == sorted([pinned.pk, following.pk])
    with pytest.raises(NotFound):
        share_get_for_portal(user=reader, share_id=pinned.pk)
