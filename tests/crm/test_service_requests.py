"""Service requests from the portal: submitting with attachments, following up, staff notes, ratings, complaints."""

from __future__ import annotations

import io
import os

import pytest
from django.utils import timezone
from PIL import Image

from backend.access.policy import visible
from backend.accounts.models import Role
from backend.audit.models import AuditEvent
from backend.documents.store import object_store
from backend.common.errors import FileTooLarge, InvalidInput, NotFound, PermissionDenied, UnsupportedFileType
from backend.crm.models import DispatchState, Priority, ServiceAttachment, ServiceNote, ServiceRecord, ServiceType
from backend.crm.selectors.service import service_record_list_visible, service_record_thread
from backend.crm.services.service import service_record_confirm, service_record_dispatch, service_record_resolve
from backend.crm.services.service_requests import (
    service_attachment_download,
    service_complaint_file,
    service_note_add,
    service_request_rate,
    service_request_submit,
)
from backend.documents.integrity import storage_orphans_sweep
from backend.sharing.models import PortalAccount
from tests import factories
from tests.crm.factories import CustomerFactory, OrderFactory, ServiceRecordFactory
from tests.portal_factories import portal_user

pytestmark = pytest.mark.django_db


def photo_bytes(size=(320, 240), noise: bool = False) -> bytes:
    image = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)) if noise else Image.new("RGB", size,
                                                                                                    (10, 120, 200))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def zip_bytes() -> bytes:
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "hello")
    return out.getvalue()


def _events(event_type, **filters):
    return AuditEvent.objects.filter(event_type=event_type, **filters).order_by("id")


@pytest.fixture
def world(people):
    a, owner = people["customer"], people["owner"]
    b = CustomerFactory(name="Beta 贝塔", owner=owner)
    return {**people, "a": a, "b": b, "alice": portal_user(a, name="Alice"), "bob": portal_user(b, name="Bob")}


def _submit(world, actor=None, **kwargs):
    fields = {"type": ServiceType.ISSUE, "title": "主轴异响 Spindle noise", "description": "Loud above 3000 rpm."}
    return service_request_submit(actor=actor or world["alice"], **{**fields, **kwargs})


def _resolve(world, record):
    engineer = world["engineer"]
    record = service_record_dispatch(actor=engineer, record=record, engineer=engineer)
    record = service_record_confirm(actor=engineer, record=record)
    return service_record_resolve(actor=engineer, record=record, resolution="Bearing replaced.")


# --- submitting -------------------------------------------------------------------------------


def test_a_customer_submits_a_request_with_a_photo_and_staff_see_it_at_once(world):
    # given a photo of the fault and one of A's orders
    photo = photo_bytes()
    order = OrderFactory(customer=world["a"], total=1000)
    product = order.lines.get().product  # installed at A: on one of its orders
    # when Alice submits a request with it
    record = _submit(world, product=product, order=order,
                     attachments=[factories.upload_source(photo, filename="主轴.png")])
    # then it is A's record, raised by her contact, not yet dispatched, with the photo stored
    assert record.customer_id == world["a"].pk and record.from_portal
    assert record.contact_id == PortalAccount.objects.get(user=world["alice"]).contact_id
    assert record.dispatch_state == DispatchState.NOT_DISPATCHED and record.priority == Priority.NORMAL
    attachment = ServiceAttachment.objects.get(record=record)
    assert attachment.mime_type == "image/png" and attachment.original_filename == "主轴.png"
    assert attachment.size == len(photo) and attachment.uploaded_by == world["alice"]
    # and the service desk lists it, and the submission is audited with the customer
    assert record in service_record_list_visible(user=world["engineer"])
    event = _events("portal.service.submitted").get()
    assert event.customer_id == world["a"].pk and event.actor_id == world["alice"].pk
    assert event.detail["attachments"] == ["主轴.png"] and event.detail["order"] == order.number
    # and Alice (not Bob) downloads the exact bytes, audited
    download = service_attachment_download(actor=world["alice"], attachment_id=attachment.pk)
    assert b"".join(download.chunks) == photo
    with pytest.raises(NotFound):
        service_attachment_download(actor=world["bob"], attachment_id=attachment.pk)
    assert _events("crm.service.attachment_downloaded", customer_id=world["a"].pk).count() == 1


@pytest.mark.parametrize("bad", ["type", "size"])
def test_a_forbidden_or_oversized_file_saves_nothing(world, settings, bad):
    # given a good photo followed by a zip archive (not allowed) or by a photo over the limit
    settings.SERVICE_ATTACHMENT_MAX_BYTES = 50_000
    good = factories.upload_source(photo_bytes(), filename="ok.png")
    if bad == "type":
        wrong, error = factories.upload_source(zip_bytes(), filename="photo.png"), UnsupportedFileType
    else:
        wrong, error = factories.upload_source(photo_bytes((400, 400), noise=True), filename="big.png"), FileTooLarge
    # when Alice submits the request
    with pytest.raises(error) as exc:
        _submit(world, attachments=[good, wrong])
    # then 415 / 413, and no record, no attachment row and no audit event were written
    assert exc.value.status_code == (415 if bad == "type" else 413)
    assert not ServiceRecord.objects.exists() and not ServiceAttachment.objects.exists()
    assert not _events("portal.service.submitted").exists()


def test_incomplete_requests_are_refused_with_field_errors(world):
    other_order = OrderFactory(customer=world["b"])
    with pytest.raises(InvalidInput) as exc:
        _submit(world, type=ServiceType.FOLLOW_UP, title=" ", description="", order=other_order)
    assert set(exc.value.extra["fields"]) == {"type", "title", "description", "order"}
    with pytest.raises(InvalidInput) as too_many:
        _submit(world, attachments=[factories.upload_source(photo_bytes(), filename=f"{n}.png") for n in range(6)])
    assert "attachments" in too_many.value.extra["fields"]
    assert not ServiceRecord.objects.exists()


def test_staff_and_disabled_portal_users_cannot_submit(world):
    with pytest.raises(PermissionDenied):
        _submit(world, actor=world["owner"])
    PortalAccount.objects.filter(user=world["alice"]).update(disabled_at=timezone.now())
    alice = type(world["alice"]).objects.get(pk=world["alice"].pk)
    with pytest.raises(PermissionDenied):
        _submit(world, actor=alice)
    assert not ServiceRecord.objects.exists()


# --- following up -------------------------------------------------------------------------------


def test_comments_and_staff_notes_show_to_the_customer_only_when_meant_for_them(world):
    # given Alice's request
    record = _submit(world, attachments=[factories.upload_source(photo_bytes(), filename="fault.png")])
    engineer = world["engineer"]
    # when she comments, and staff add an internal note (with a log file) and a note for her (with a photo)
    mine = service_note_add(actor=world["alice"], record=record, body="It got worse today.")
    internal = service_note_add(actor=engineer, record=record, body="Customer overloads the spindle.",
                                attachments=[factories.upload_source(b"internal log\n", filename="log.txt")])
    progress = service_note_add(actor=engineer, record=record, body="Engineer visits on Monday.",
                                visible_to_customer=True,
                                attachments=[factories.upload_source(photo_bytes((64, 64)), filename="part.png")])
    # then her comment is marked as hers and shown to her; staff see every note and file
    assert mine.from_customer and mine.visible_to_customer
    assert not internal.from_customer and not internal.visible_to_customer
    staff_thread = service_record_thread(user=engineer, record=record)
    assert [n.pk for n in staff_thread["notes"]] == [mine.pk, internal.pk, progress.pk]
    assert [a.original_filename for a in staff_thread["attachments"]] == ["fault.png", "log.txt", "part.png"]
    # and Alice sees her comment and the progress note, and neither the internal note nor its file
    thread = service_record_thread(user=world["alice"], record=record)
    assert [n.pk for n in thread["notes"]] == [mine.pk, progress.pk]
    assert [a.original_filename for a in thread["attachments"]] == ["fault.png", "part.png"]
    internal_file = ServiceAttachment.objects.get(original_filename="log.txt")
    with pytest.raises(NotFound):
        service_attachment_download(actor=world["alice"], attachment_id=internal_file.pk)
    # and each note is audited with the customer
    assert _events("portal.service.commented", customer_id=world["a"].pk).count() == 1
    assert _events("crm.service.noted", customer_id=world["a"].pk).count() == 2


def test_another_customers_portal_user_can_do_nothing_with_a_record(world):
    # given Alice's request and Bob, the portal user of customer B
    record = _submit(world)
    bob = world["bob"]
    # then Bob neither sees it nor comments, rates or complains, and his attempts are audited
    assert not visible(bob, ServiceRecord.objects.filter(pk=record.pk)).exists()
    assert service_record_thread(user=bob, record=record) == {"notes": [], "attachments": []}
    with pytest.raises(PermissionDenied):
        service_note_add(actor=bob, record=record, body="hello")
    _resolve(world, record)
    with pytest.raises(PermissionDenied):
        service_request_rate(actor=bob, record=record, satisfaction=1)
    with pytest.raises(PermissionDenied):
        service_complaint_file(actor=bob, record=record, description="bad")
    with pytest.raises(PermissionDenied):
        _submit(world, actor=bob, type=ServiceType.COMPLAINT, complaint_about=record)
    assert not ServiceNote.objects.exists()
    assert ServiceRecord.objects.get(pk=record.pk).satisfaction is None
    assert ServiceRecord.objects.count() == 1
    denied = _events("crm.access.denied", actor_id=bob.pk)
    assert denied.count() == 4 and set(denied.values_list("customer_id", flat=True)) == {world["b"].pk}


def test_staff_without_the_right_to_change_the_record_cannot_add_notes(world):
    # given Alice's request; compliance sees every record but changes nothing; an outsider sees nothing
    record = _submit(world)
    for person in ("compliance", "outsider"):
        with pytest.raises(PermissionDenied):
            service_note_add(actor=world[person], record=record, body="note")
    assert not ServiceNote.objects.exists()
    # while the customer's owner and the service staff may
    assert service_note_add(actor=world["owner"], record=record, body="Called the customer.")
    assert service_note_add(actor=world["engineer"], record=record, body="Parts ordered.")


def test_empty_comments_are_refused(world):
    record = _submit(world)
    with pytest.raises(InvalidInput):
        service_note_add(actor=world["alice"], record=record, body="   ")
    with pytest.raises(InvalidInput):
        service_note_add(actor=world["alice"], record=record, body="x" * 5001)


def test_rating_only_once_resolved(world):
    # given Alice's open request
    record = _submit(world)
    # when she rates it before it is resolved / then 400 naming the state
    with pytest.raises(InvalidInput) as early:
        service_request_rate(actor=world["alice"], record=record, satisfaction=5)
    assert early.value.extra["current"] == DispatchState.NOT_DISPATCHED
    # when staff resolve it, she rates 4, then changes her mind to 5
    _resolve(world, record)
    service_request_rate(actor=world["alice"], record=record, satisfaction="4")
    rated = service_request_rate(actor=world["alice"], record=record, satisfaction=5)
    # then the last score stands and both are audited with the customer
    assert rated.satisfaction == 5
    events = _events("portal.service.rated", customer_id=world["a"].pk)
    assert [e.detail["satisfaction"] for e in events] == [4, 5] and events.last().detail["previous"] == 4
    for junk in (0, 6, "3.5", "five", None):
        with pytest.raises(InvalidInput):
            service_request_rate(actor=world["alice"], record=record, satisfaction=junk)


def test_staff_cannot_rate_through_the_portal_service(world):
    record = _resolve(world, _submit(world))
    with pytest.raises(PermissionDenied):
        service_request_rate(actor=world["owner"], record=record, satisfaction=5)


def test_a_complaint_is_a_new_high_priority_record_about_the_first(world):
    record = _submit(world, product=OrderFactory(customer=world["a"], total=1000).lines.get().product)
    complaint = service_complaint_file(actor=world["alice"], record=record, description="Nobody came.")
    assert complaint.pk != record.pk and complaint.complaint_about_id == record.pk
    assert complaint.type == ServiceType.COMPLAINT and complaint.priority == Priority.HIGH
    assert complaint.customer_id == world["a"].pk and complaint.product_id == record.product_id
    assert complaint.title.startswith("Complaint: ")
    assert list(record.complaints.all()) == [complaint]
    with pytest.raises(InvalidInput):
        service_complaint_file(actor=world["alice"], record=record, description="")


def test_a_customer_may_follow_up_records_staff_opened_for_them(world):
    # given a record staff opened for customer A (no contact)
    record = ServiceRecordFactory(customer=world["a"])
    # then Alice sees and comments on it; Bob does not
    assert record in service_record_list_visible(user=world["alice"])
    assert record not in service_record_list_visible(user=world["bob"])
    assert service_note_add(actor=world["alice"], record=record, body="Thanks!").from_customer


def test_attachments_survive_the_orphan_sweep(world):
    # given a request with a photo and a comment with another
    record = _submit(world, attachments=[factories.upload_source(photo_bytes(), filename="a.png")])
    service_note_add(actor=world["alice"], record=record, body="Another angle.",
                     attachments=[factories.upload_source(photo_bytes((100, 80)), filename="b.png")])
    keys = list(ServiceAttachment.objects.values_list("object_key", flat=True))
    # and an object no row references
    from backend.documents.services import store_checked_upload
    from django.conf import settings

    orphan = store_checked_upload(factories.upload_source(photo_bytes((50, 50)), filename="orphan.png"),
                                  max_bytes=settings.SERVICE_ATTACHMENT_MAX_BYTES,
                                  allowed_types=settings.SERVICE_ATTACHMENT_TYPES)
    # when the orphan sweep runs with no grace period
    storage_orphans_sweep(grace_seconds=0)
    # then the attachments are still there (and still verify), only the orphan is gone
    store = object_store()
    for key in keys:
        assert store.exists(key)
    assert not store.exists(orphan.stored.key)
    attachment = ServiceAttachment.objects.first()
    assert b"".join(service_attachment_download(actor=world["alice"], attachment_id=attachment.pk).chunks)


def test_portal_request_types(world):
    for allowed in (ServiceType.ISSUE, ServiceType.MAINTENANCE, ServiceType.COMPLAINT):
        assert _submit(world, type=allowed).type == allowed
    assert world["alice"].role == Role.PORTAL
