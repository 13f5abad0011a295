"""Writes of the mail intake: take a message from the mailbox, assign a queued one, poll the mailbox.

    mail_intake_poll()                   the worker's pass (beat task, `manage.py mail_intake --once`)
    message_take(mailbox=, uidvalidity=, uid=, raw=)
                                         record one message and, when it matches a customer, make its documents
    message_assign(actor=, message=, customer=, quote=, order=)
                                         staff give a queued message its customer; its documents are made

Exactly once: a message is recorded by (mailbox, UIDVALIDITY, UID), in the same transaction as its documents,
and marked \\Seen (or moved) on the server only after that transaction committed. A poll that died between the
commit and the flag finds the message recorded next time, and only sets the flag. A message that arrives again
under another UID (copied back, a new UIDVALIDITY) with a Message-ID taken before is recorded as a duplicate of
the first, and makes nothing.

Documents: the message as .eml and each attachment that passes the upload checks (type sniffed from the content,
UPLOAD_ALLOWED_TYPES, MAIL_INTAKE_MAX_ATTACHMENT_BYTES) each become a document through the document service
(in the .eml document, each rejected attachment is replaced by a note saying why; the message as it came stays on
the intake's row, in the store, for the record),
owned by the owner of the quote or order the subject names, else by the customer's owner (MAIL_INTAKE_USER when
that person is inactive), and linked to that record (or the customer). Rejected attachments are listed on the
message with their reason.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_noop

from backend.access.policy import Action, can, is_active_staff
from backend.access.policy.intake import may_work_intake_queue
from backend.access.services import require
from backend.accounts.models import User
from backend.audit import services as audit
from backend.common.errors import Conflict, FileTooLarge, InvalidInput, NotFound, UnsupportedFileType
from backend.crm.models import Customer, Order, Quote
from backend.crm.services.links import document_link_create
from backend.documents import services as documents
from backend.documents.filetypes import SNIFF_BYTES, sniff_mime
from backend.documents.models import DocumentKind
from backend.documents.store import object_store
from backend.intake.audit_events import (
    INTAKE_MESSAGE_ASSIGNED,
    INTAKE_MESSAGE_DUPLICATE,
    INTAKE_MESSAGE_FILED,
    INTAKE_MESSAGE_QUEUED,
)
from backend.intake.mailbox import Mailbox, mailbox_address
from backend.intake.matching import Match, match_message
from backend.intake.models import IntakeMessage, IntakePart, MatchedBy, MessageStatus, PartKind, RejectReason
from backend.intake.notification_kinds import SALES_MAIL_FILED
from backend.intake.parsing import ParsedMessage, parse_message, without_attachments

logger = logging.getLogger(__name__)


# --- the parts of a message ----------------------------------------------------------------------------------


@dataclass
class _Part:
    kind: str
    filename: str
    content: bytes
    mime_type: str = ""
    rejected: str = ""


def _checked(part: _Part, *, limit: int) -> _Part:
    """The upload checks, before anything is stored: empty, type (from the content), size."""
    if not part.content:
        part.rejected = RejectReason.EMPTY
        return part
    part.mime_type = sniff_mime(part.content[:SNIFF_BYTES], part.filename)
    if part.mime_type not in settings.UPLOAD_ALLOWED_TYPES:
        part.rejected = RejectReason.TYPE
    elif len(part.content) > min(limit, settings.UPLOAD_MAX_BYTES):
        part.rejected = RejectReason.SIZE
    return part


def _eml_name(parsed: ParsedMessage) -> str:
    stem = "".join(c if c.isalnum() or c in " -_" else "_" for c in (parsed.subject or "message"))[:80].strip()
    return f"{stem or 'message'}.eml"


def _removal_note(part: _Part) -> str:
    reason = {RejectReason.TYPE: f"its type ({part.mime_type}) is not allowed",
              RejectReason.SIZE: f"its size ({len(part.content)} bytes) is over the limit",
              RejectReason.EMPTY: "it is empty"}.get(part.rejected, part.rejected)
    return f"Dossier's mail intake removed the attachment {part.filename}: {reason}.\n"


def _parts_of(raw: bytes, parsed: ParsedMessage, *, truncated: bool) -> list[_Part]:
    """The .eml part (without the rejected attachments: each is replaced by a note saying why) and each attachment,
    checked. The raw message itself stays as it came, on the message's row."""
    if truncated:  # only the headers were fetched: the message itself is over the limit
        return [_Part(kind=PartKind.MESSAGE, filename=_eml_name(parsed), content=raw, mime_type="message/rfc822",
                      rejected=RejectReason.SIZE)]
    attachments = [_checked(_Part(kind=PartKind.ATTACHMENT, filename=attachment.filename,
                                  content=attachment.content), limit=settings.MAIL_INTAKE_MAX_ATTACHMENT_BYTES)
                   for attachment in parsed.attachments]
    eml = without_attachments(raw, {position: _removal_note(part) for position, part in enumerate(attachments)
                                    if part.rejected})
    message = _checked(_Part(kind=PartKind.MESSAGE, filename=_eml_name(parsed), content=eml),
                       limit=settings.MAIL_INTAKE_MAX_MESSAGE_BYTES)
    return [message, *attachments]


# --- who owns what a message becomes -------------------------------------------------------------------------


def _intake_user():
    name = (settings.MAIL_INTAKE_USER or "").strip()
    user = User.objects.filter(username=name).first() if name else None
    return user if user is not None and is_active_staff(user) else None


def documents_owner_for(*, customer: Customer, record=None):
    """The record's owner, else the customer's; MAIL_INTAKE_USER when that person is inactive; None when
    nobody active may change the record (the message then waits in the queue)."""
    target = record if record is not None else customer
    for candidate in (target.owner, customer.owner, _intake_user()):
        if candidate is not None and is_active_staff(candidate) and can(candidate, Action.CHANGE, target):
            return candidate
    return None


def _make_documents(*, message: IntakeMessage, parts: list[_Part], parsed: ParsedMessage, owner, target) -> list:
    """Inside the caller's transaction: a document per accepted part, linked to `target`; the part rows."""
    kind = DocumentKind.QUOTE if isinstance(target, Quote) else DocumentKind.OTHER
    description = f"{parsed.sender_name} <{parsed.sender}>: {parsed.subject}".strip()[:1000]
    made = []
    for position, part in enumerate(parts):
        document = None
        if not part.rejected:
            title = (parsed.subject or parsed.sender or part.filename) if part.kind == PartKind.MESSAGE \
                else part.filename
            try:
                document, _ = documents.document_create(
                    actor=owner, title=title[:200] or part.filename, kind=kind,
                    classification=settings.MAIL_INTAKE_CLASSIFICATION, description=description,
                    upload=documents.UploadSource(stream=io.BytesIO(part.content), filename=part.filename,
                                                  declared_size=len(part.content)),
                    comment="mail intake",
                )
            except UnsupportedFileType:
                part.rejected = RejectReason.TYPE
            except FileTooLarge:
                part.rejected = RejectReason.SIZE
            if document is not None:
                document_link_create(actor=owner, document=document, target=target)
                made.append(document)
        IntakePart.objects.update_or_create(
            message=message, position=position,
            defaults={"kind": part.kind, "filename": part.filename, "mime_type": part.mime_type,
                      "size": len(part.content), "document": document, "rejected": part.rejected},
        )
    return made


def _detail(message: IntakeMessage, parts: list[_Part], made: list) -> dict:
    return {
        "mailbox": message.mailbox, "uidvalidity": message.uidvalidity, "uid": message.uid,
        "message_id": message.message_id, "sender": message.sender, "subject": message.subject,
        "sha256": message.sha256, "documents": [document.pk for document in made],
        "rejected": [{"filename": part.filename, "reason": part.rejected, "type": part.mime_type,
                      "size": len(part.content)} for part in parts if part.rejected],
    }


# --- taking a message from the mailbox -----------------------------------------------------------------------


def message_take(*, mailbox: str, uidvalidity: int, uid: int, raw: bytes, truncated: bool = False) -> IntakeMessage:
    """Record one message (idempotent by mailbox, UIDVALIDITY and UID) and, matched, make its documents."""
    existing = IntakeMessage.objects.filter(mailbox=mailbox, uidvalidity=uidvalidity, uid=uid).first()
    if existing is not None:
        return existing
    parsed = parse_message(raw)
    # The raw message goes to the store first (content-addressed, outside the transaction, as uploads do);
    # a transaction that then fails leaves an object the sweep removes.
    stored = object_store().put_stream(io.BytesIO(raw), content_type="message/rfc822")
    parts = _parts_of(raw, parsed, truncated=truncated)
    match = match_message(sender=parsed.sender, subject=parsed.subject)
    record = match.quote or match.order
    owner = documents_owner_for(customer=match.customer, record=record) if match.customer is not None else None
    try:
        with transaction.atomic():
            message = IntakeMessage.objects.create(
                mailbox=mailbox, uidvalidity=uidvalidity, uid=uid, message_id=parsed.message_id,
                sender=parsed.sender, sender_name=parsed.sender_name, subject=parsed.subject, sent_at=parsed.sent_at,
                object_key=stored.key, sha256=stored.sha256, size=stored.size, status=MessageStatus.QUEUED,
            )
            first = (IntakeMessage.objects.filter(message_id=parsed.message_id)
                     .exclude(pk=message.pk).exclude(status=MessageStatus.DUPLICATE).order_by("id").first()
                     if parsed.message_id else None)
            if first is not None:
                message.status, message.duplicate_of = MessageStatus.DUPLICATE, first
                message.save(update_fields=["status", "duplicate_of"])
                audit.record(INTAKE_MESSAGE_DUPLICATE, actor=None, target=message,
                             detail={**_detail(message, [], []), "duplicate_of": first.pk})
                return message
            if match.customer is not None and owner is not None and not (truncated or parts[0].rejected):
                made = _make_documents(message=message, parts=parts, parsed=parsed, owner=owner,
                                       target=record or match.customer)
                _set_filed(message, match=match, owner=owner)
                _tell_owner(message, owner=owner, made=made)
                audit.record(INTAKE_MESSAGE_FILED, actor=None, target=message, customer_id=match.customer.pk,
                             detail={**_detail(message, parts, made), "matched_by": match.matched_by})
                return message
            for position, part in enumerate(parts):
                IntakePart.objects.create(message=message, position=position, kind=part.kind,
                                          filename=part.filename, mime_type=part.mime_type,
                                          size=len(part.content), rejected=part.rejected)
            message.queue_reason = ("too_large" if truncated or parts[0].rejected
                                    else "no_owner" if match.customer is not None else match.problem)
            message.customer = match.customer
            message.save(update_fields=["queue_reason", "customer"])
            audit.record(INTAKE_MESSAGE_QUEUED, actor=None, target=message,
                         detail={**_detail(message, parts, []), "reason": message.queue_reason})
            return message
    except IntegrityError:
        # Another worker recorded the same UID first: theirs stands.
        taken = IntakeMessage.objects.filter(mailbox=mailbox, uidvalidity=uidvalidity, uid=uid).first()
        if taken is None:
            raise
        return taken


def _tell_owner(message: IntakeMessage, *, owner, made: list, actor=None) -> None:
    """The documents' owner hears of the mail in their inbox (not when they filed it themselves)."""
    if not made or owner is None or (actor is not None and actor.pk == owner.pk):
        return
    from backend.notifications.services import notify

    notify(kind=SALES_MAIL_FILED, recipients=[owner],
           title=(gettext_noop("Mail from %(sender)s is filed with %(customer)s"),
                  {"sender": message.sender_name or message.sender, "customer": message.customer.name}),
           body=message.subject, link=reverse("web:customer", args=[message.customer_id]) + "#documents",
           target=message.customer, once_key=f"intake-{message.pk}")


def _set_filed(message: IntakeMessage, *, match: Match, owner) -> None:
    message.status = MessageStatus.FILED
    message.matched_by = match.matched_by
    message.customer, message.quote, message.order = match.customer, match.quote, match.order
    message.documents_owner = owner
    message.save(update_fields=["status", "matched_by", "customer", "quote", "order", "documents_owner"])


# --- staff assign a queued message ---------------------------------------------------------------------------


def _raw_of(message: IntakeMessage) -> bytes:
    with object_store().open(message.object_key) as reader:
        return reader.read()


def message_assign(*, actor, message: IntakeMessage, customer: Customer, quote: Quote | None = None,
                   order: Order | None = None) -> IntakeMessage:
    """Give a queued message its customer (and optionally one of its quotes or orders): its documents are made,
    owned as on arrival, and linked. 404 unless the actor works the queue and may see the records."""
    if not may_work_intake_queue(actor):
        raise NotFound()
    require(actor=actor, action=Action.VIEW, obj=customer)
    record = quote or order
    if quote is not None and order is not None:
        raise InvalidInput(gettext_noop("Choose a quote or an order, not both."))
    if record is not None:
        require(actor=actor, action=Action.VIEW, obj=record)
        if record.customer_id != customer.pk:
            raise InvalidInput(gettext_noop("That quote or order belongs to another customer."),
                               fields={"record": [gettext_noop("That quote or order belongs to another customer.")]})
    owner = documents_owner_for(customer=customer, record=record)
    if owner is None:
        raise Conflict(gettext_noop("Nobody active owns this customer, so nobody could own the documents. Hand "
                                    "the customer to an active colleague first."), reason="no_owner")
    raw = _raw_of(message)
    parsed = parse_message(raw)
    with transaction.atomic():
        locked = IntakeMessage.objects.select_for_update().get(pk=message.pk)
        if locked.status != MessageStatus.QUEUED:
            raise Conflict(gettext_noop("This message was already assigned."), reason="not_queued")
        truncated = locked.queue_reason == "too_large"
        parts = _parts_of(raw, parsed, truncated=truncated)
        made = _make_documents(message=locked, parts=parts, parsed=parsed, owner=owner, target=record or customer)
        _set_filed(locked, match=Match(customer=customer, quote=quote, order=order, matched_by=MatchedBy.STAFF),
                   owner=owner)
        locked.status, locked.assigned_by, locked.assigned_at = MessageStatus.ASSIGNED, actor, timezone.now()
        locked.save(update_fields=["status", "assigned_by", "assigned_at"])
        _tell_owner(locked, owner=owner, made=made, actor=actor)
        audit.record(INTAKE_MESSAGE_ASSIGNED, actor=actor, target=locked, customer_id=customer.pk,
                     detail={**_detail(locked, parts, made), "record": str(record) if record else ""})
    return locked


# --- the worker's pass ---------------------------------------------------------------------------------------


@dataclass
class PollReport:
    mailbox: str = ""
    taken: list[int] = field(default_factory=list)      # message rows made in this pass
    already: int = 0                                     # found recorded (a pass that died before \Seen)
    failed: int = 0                                      # left unseen, for the next pass

    def as_dict(self) -> dict:
        return {"mailbox": self.mailbox, "taken": len(self.taken), "already": self.already, "failed": self.failed}


def mail_intake_poll(*, url: str | None = None) -> PollReport:
    """Take every unseen message of the mailbox. Each is committed before it is marked \\Seen (or moved)."""
    address = mailbox_address(url if url is not None else settings.MAIL_INTAKE_URL)
    report = PollReport(mailbox=address.label)
    with Mailbox(address, ca_file=settings.MAIL_INTAKE_CA_FILE) as box:
        for uid in box.unseen_uids():
            recorded = IntakeMessage.objects.filter(mailbox=address.label, uidvalidity=box.uidvalidity,
                                                    uid=uid).exists()
            if recorded:
                report.already += 1
            else:
                try:
                    truncated = box.size(uid) > settings.MAIL_INTAKE_MAX_MESSAGE_BYTES
                    raw = box.fetch(uid, headers_only=truncated)
                    message = message_take(mailbox=address.label, uidvalidity=box.uidvalidity, uid=uid, raw=raw,
                                           truncated=truncated)
                    report.taken.append(message.pk)
                except Exception:  # noqa: BLE001 - one bad message must not stop the others; it stays unseen
                    logger.exception("mail intake: message %s of %s failed; it stays unseen", uid, address.label)
                    report.failed += 1
                    continue
            box.mark_done(uid, move_to=settings.MAIL_INTAKE_DONE_FOLDER)
    return report
