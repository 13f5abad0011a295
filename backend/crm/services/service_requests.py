"""Service requests as customers raise and follow them, and the notes and files on every service record.

A portal user submits a request (with attachments checked like any upload), follows its dispatch
state and the progress notes staff mark for the customer, comments, rates it once resolved and
may file a complaint about it. Staff see all of it in the service desk at once, since it is the
same ServiceRecord, and add notes (internal, or for the customer).

Attachments are stored before the transaction that writes their rows: when the store is down or a
file is refused, nothing is saved (objects stored before a later refusal are swept as orphans).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from backend.access.policy import Action, is_portal_user, portal_can_follow_up, portal_customer_id
from backend.access.services import require
from backend.audit import services as audit
from backend.documents.store import object_store
from backend.common.errors import InvalidInput, NotFound, PermissionDenied
from backend.crm.models import (
    Order,
    Priority,
    Product,
    ServiceAttachment,
    ServiceNote,
    ServiceRecord,
    ServiceType,
)
from backend.crm.selectors.service import installed_products
from backend.crm.services.service import rate_record
from backend.crm.services.service_levels import service_level_stamp, service_notify_request
from backend.documents.intake import StoredUpload, UploadSource, store_checked_upload
from backend.sharing.models import PortalAccount

# What a customer may raise from the portal (follow-up visits are planned by staff).
PORTAL_REQUEST_TYPES = (ServiceType.ISSUE, ServiceType.MAINTENANCE, ServiceType.COMPLAINT)
MAX_ATTACHMENTS = 5
MAX_TEXT = 5000


def _portal_denied(actor, record: ServiceRecord | None, action: str) -> PermissionDenied:
    audit.record("crm.access.denied", actor=actor, target=record, outcome="denied",
                 customer_id=portal_customer_id(actor), detail={"action": action, "via": "portal"})
    return PermissionDenied()


def _store_attachments(uploads: Sequence[UploadSource]) -> list[StoredUpload]:
    if len(uploads) > MAX_ATTACHMENTS:
        message = f"Attach at most {MAX_ATTACHMENTS} files."
        raise InvalidInput(message, fields={"attachments": [message]})
    return [
        store_checked_upload(upload, max_bytes=settings.SERVICE_ATTACHMENT_MAX_BYTES,
                             allowed_types=settings.SERVICE_ATTACHMENT_TYPES)
        for upload in uploads
    ]


def _attachment_rows(
    record: ServiceRecord, stored: list[StoredUpload], actor, *, note: ServiceNote | None = None
) -> list[ServiceAttachment]:
    now = timezone.now()
    return ServiceAttachment.objects.bulk_create([
        ServiceAttachment(record=record, note=note, object_key=item.stored.key, sha256=item.stored.sha256,
                          size=item.stored.size, mime_type=item.mime_type,
                          original_filename=item.original_filename, filename=item.filename,
                          uploaded_by=actor, created_at=now)
        for item in stored
    ])


def service_request_submit(
    *,
    actor,
    type: str,
    title: str,
    description: str,
    product: Product | None = None,
    order: Order | None = None,
    attachments: Sequence[UploadSource] = (),
    complaint_about: ServiceRecord | None = None,
    urgency: str | None = None,
    preferred_visit_at: datetime | None = None,
) -> ServiceRecord:
    """A portal user raises a service request (or a complaint) for their own customer.

    `urgency` is the record's priority as the customer sees it (default normal; a complaint is high);
    `preferred_visit_at` when they would like the engineer to come, which must be in the future."""
    customer_id = portal_customer_id(actor)
    if customer_id is None:
        raise _portal_denied(actor, None, "submit")
    if complaint_about is not None and complaint_about.customer_id != customer_id:
        raise _portal_denied(actor, complaint_about, "complain")
    errors: dict[str, list[str]] = {}
    title = (title or "").strip()
    description = (description or "").strip()
    if not title:
        errors["title"] = ["A short title is required."]
    if not description:
        errors["description"] = ["Describe the problem or what you need."]
    elif len(description) > MAX_TEXT:
        errors["description"] = [f"At most {MAX_TEXT} characters."]
    if type not in PORTAL_REQUEST_TYPES:
        errors["type"] = [f"Choose one of: {', '.join(PORTAL_REQUEST_TYPES)}."]
    if order is not None and order.customer_id != customer_id:
        errors["order"] = ["No such order."]
    # a customer asks about what they have installed (their orders' products); a complaint keeps its record's
    if (product is not None and complaint_about is None
            and not installed_products(customer_id=customer_id).filter(pk=product.pk).exists()):
        errors["product"] = ["Choose one of your installed products."]
    if urgency is not None and urgency not in Priority.values:
        errors["urgency"] = [f"Choose one of: {', '.join(Priority.values)}."]
    if preferred_visit_at is not None and preferred_visit_at <= timezone.now():
        errors["preferred_visit_at"] = ["Choose a time in the future."]
    if errors:
        raise InvalidInput("The service request is incomplete.", fields=errors)
    stored = _store_attachments(attachments)
    contact_id = PortalAccount.objects.filter(user_id=actor.pk).values_list("contact_id", flat=True).first()
    priority = urgency or (Priority.HIGH if type == ServiceType.COMPLAINT else Priority.NORMAL)
    with transaction.atomic():
        record = ServiceRecord.objects.create(
            customer_id=customer_id, product=product, order=order, type=type, priority=priority,
            title=title[:200], description=description, created_by=actor, created_at=timezone.now(),
            contact_id=contact_id, complaint_about=complaint_about, preferred_visit_at=preferred_visit_at,
        )
        service_level_stamp(record)
        service_notify_request(record=record)
        files = _attachment_rows(record, stored, actor)
        audit.record("portal.service.submitted", actor=actor, target=record, customer_id=customer_id, detail={
            "type": type, "title": record.title, "product": product.code if product else None,
            "order": order.number if order else None, "attachments": [f.original_filename for f in files],
            "complaint_about": complaint_about.pk if complaint_about else None, "priority": priority,
            "preferred_visit_at": preferred_visit_at.isoformat() if preferred_visit_at else None,
        })
    return record


def service_complaint_file(*, actor, record: ServiceRecord, description: str) -> ServiceRecord:
    """A customer complains about one of their service requests: a new, high-priority complaint record."""
    if not portal_can_follow_up(actor, record):
        raise _portal_denied(actor, record, "complain")
    return service_request_submit(
        actor=actor, type=ServiceType.COMPLAINT, title=f"Complaint: {record.title}"[:200],
        description=description, product=record.product, order=record.order, complaint_about=record,
    )


def service_note_add(
    *, actor, record: ServiceRecord, body: str, visible_to_customer: bool = False,
    attachments: Sequence[UploadSource] = (),
) -> ServiceNote:
    """A comment: from the customer (portal; always shown to them) or from staff (internal unless marked)."""
    from_customer = is_portal_user(actor)
    if from_customer:
        if not portal_can_follow_up(actor, record):
            raise _portal_denied(actor, record, "comment")
    else:
        # Adding a note changes the record: compliance and colleagues who only see it may not.
        require(actor=actor, action=Action.CHANGE, obj=record)
    body = (body or "").strip()
    if not body:
        raise InvalidInput("Write a comment first.", fields={"body": ["The comment is empty."]})
    if len(body) > MAX_TEXT:
        raise InvalidInput(f"A comment has at most {MAX_TEXT} characters.",
                           fields={"body": [f"At most {MAX_TEXT} characters."]})
    stored = _store_attachments(attachments)
    with transaction.atomic():
        note = ServiceNote.objects.create(record=record, author=actor, body=body, from_customer=from_customer,
                                          visible_to_customer=from_customer or bool(visible_to_customer),
                                          created_at=timezone.now())
        files = _attachment_rows(record, stored, actor, note=note)
        event = "portal.service.commented" if from_customer else "crm.service.noted"
        audit.record(event, actor=actor, target=record, customer_id=record.customer_id, detail={
            "note": note.pk, "for_customer": note.visible_to_customer,
            "attachments": [f.original_filename for f in files],
        })
    return note


def service_request_rate(*, actor, record: ServiceRecord, satisfaction) -> ServiceRecord:
    """The customer rates their resolved request, 1–5, from the portal."""
    if not portal_can_follow_up(actor, record):
        raise _portal_denied(actor, record, "rate")
    return rate_record(actor=actor, record=record, satisfaction=satisfaction, event="portal.service.rated")


def service_request_viewed(*, actor, record: ServiceRecord) -> None:
    audit.record("portal.service.viewed", actor=actor, target=record, customer_id=record.customer_id)


@dataclass(frozen=True)
class AttachmentDownload:
    attachment: ServiceAttachment
    chunks: Iterator[bytes]


def service_attachment_download(*, actor, attachment_id: int) -> AttachmentDownload:
    """An attachment's bytes (checksum-verified) for whoever may see its service record. Audited."""
    from backend.access.policy import visible

    attachment = (visible(actor, ServiceAttachment.objects.select_related("record"))
                  .filter(pk=attachment_id).first())
    if attachment is None:
        raise NotFound()
    chunks = object_store().iter_verified(attachment.object_key, sha256=attachment.sha256)
    audit.record("crm.service.attachment_downloaded", actor=actor, target=attachment.record,
                 customer_id=attachment.record.customer_id,
                 detail={"attachment": attachment.pk, "file": attachment.original_filename})
    return AttachmentDownload(attachment=attachment, chunks=chunks)
