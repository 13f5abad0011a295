"""A raw message read with the standard library: who sent it, its subject, its Message-ID, its attachments.

Nothing here touches the database or the store; `parse_message` never raises on a malformed message (it
reads what it can, as a mail client would).
"""

from __future__ import annotations

import email
import email.policy
import email.utils
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from backend.common.text import clean_line


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    declared_type: str


@dataclass(frozen=True)
class ParsedMessage:
    message_id: str
    sender: str          # the address, lowercased ("" when there is none)
    sender_name: str
    subject: str
    sent_at: datetime | None
    attachments: list[Attachment] = field(default_factory=list)

    @property
    def sender_domain(self) -> str:
        return self.sender.rpartition("@")[2] if "@" in self.sender else ""


def _header(message, name: str) -> str:
    try:
        value = message.get(name)
    except Exception:  # noqa: BLE001 - a header the parser cannot read counts as missing
        return ""
    return str(value) if value is not None else ""


def _attachment_parts(message):
    """The leaf parts that are files (a name, or disposition attachment), in order; the body text (plain or
    HTML) is not one of them: it stays in the .eml."""
    for part in message.walk():
        if part.is_multipart():
            continue
        if part.get_filename() or part.get_content_disposition() == "attachment":
            yield part


def without_attachments(raw: bytes, notes: dict[int, str]) -> bytes:
    """The message with the attachments at these positions (as `parse_message` numbers them) replaced by a short
    text part saying why (`notes[position]`); the message unchanged when there is nothing to replace."""
    if not notes:
        return raw
    message = email.message_from_bytes(raw, policy=email.policy.default)
    for position, part in enumerate(list(_attachment_parts(message))):
        if position in notes:
            name = clean_line(part.get_filename() or "attachment")[:200]
            part.set_content(notes[position], subtype="plain", charset="utf-8", disposition="attachment",
                             filename=f"{name}.removed.txt")
    return message.as_bytes()


def parse_message(raw: bytes) -> ParsedMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    name, address = email.utils.parseaddr(_header(message, "From"))
    sent_at = None
    try:
        sent_at = email.utils.parsedate_to_datetime(_header(message, "Date")) if _header(message, "Date") else None
        if sent_at is not None and timezone.is_naive(sent_at):
            sent_at = timezone.make_aware(sent_at, timezone.utc)
    except (TypeError, ValueError, IndexError):
        sent_at = None
    attachments: list[Attachment] = []
    for part in _attachment_parts(message):
        filename = part.get_filename()
        try:
            content = part.get_payload(decode=True) or b""
        except Exception:  # noqa: BLE001 - an undecodable part is kept as empty, and rejected as such
            content = b""
        attachments.append(Attachment(filename=clean_line(filename or "attachment")[:255], content=content,
                                      declared_type=part.get_content_type()))
    return ParsedMessage(
        message_id=_header(message, "Message-ID").strip()[:500],
        sender=(address or "").strip().lower()[:320],
        sender_name=clean_line(name or "")[:200],
        subject=clean_line(_header(message, "Subject"))[:500],
        sent_at=sent_at,
        attachments=attachments,
    )
