"""E-mail (.eml): the headers people search for, the body, and the text of every attachment."""

from __future__ import annotations

import email
from email import policy
from email.message import EmailMessage

from indexing.extract.base import ExtractionFailed, Unsupported
from indexing.extract.decoding import decode_text
from indexing.extract.html_text import html_to_text_into
from indexing.extract.registry import extract_into, supported

_HEADERS = ("Subject", "From", "To", "Cc", "Date")


def _part_text(part: EmailMessage) -> str:
    payload = part.get_payload(decode=True) or b""
    charset = part.get_content_charset()
    if charset:
        if charset.lower() in ("gb2312", "gbk"):
            charset = "gb18030"
        try:
            return payload.decode(charset)
        except (LookupError, UnicodeDecodeError):
            pass
    return decode_text(payload)[0]


def _message_into(message: EmailMessage, budget) -> None:
    for name in _HEADERS:
        try:
            value = message.get(name)
        except (ValueError, IndexError, TypeError):  # malformed header
            value = None
        if value:
            budget.add(f"{name}: {value}")
    body = message.get_body(preferencelist=("plain", "html")) if message.is_multipart() else message
    if body is not None and body.get_content_maintype() == "text":
        text = _part_text(body)
        if body.get_content_subtype() == "html":
            html_to_text_into(text, budget)
        else:
            budget.add(text)
    if message.is_multipart():
        for attachment in message.iter_attachments():
            budget.check()
            _attachment_into(attachment, budget)


def _attachment_into(part: EmailMessage, budget) -> None:
    from backend.documents.filetypes import sniff_mime

    filename = part.get_filename() or ""
    budget.add(f"Attachment: {filename}" if filename else "Attachment")
    if part.get_content_type() == "message/rfc822":
        inner = part.get_payload()
        inner = inner[0] if isinstance(inner, list) and inner else inner
        if isinstance(inner, EmailMessage) and budget.depth < budget.max_depth:
            budget.depth += 1
            try:
                _message_into(inner, budget)
            finally:
                budget.depth -= 1
        return
    data = part.get_payload(decode=True) or b""
    if not data or budget.depth >= budget.max_depth:
        return
    mime = sniff_mime(data[: 64 * 1024], filename)
    declared = part.get_content_type()
    if not supported(mime) and declared in ("text/plain", "text/csv", "text/html"):
        # libmagic guesses wildly on short non-UTF-8 text; reading declared text as text is harmless.
        mime = declared
    budget.depth += 1
    try:
        extract_into(data, mime, budget)
    except (Unsupported, ExtractionFailed) as exc:
        # One unreadable attachment does not fail the whole message.
        budget.add(f"({filename or 'attachment'}: {exc})" if isinstance(exc, ExtractionFailed) else "")
    finally:
        budget.depth -= 1


def extract(data: bytes, budget) -> str:
    try:
        message = email.message_from_bytes(data, policy=policy.default)
    except (ValueError, TypeError, IndexError) as exc:
        raise ExtractionFailed(f"the e-mail is corrupt: {exc}") from exc
    try:
        _message_into(message, budget)
    except (ValueError, TypeError, IndexError, KeyError, LookupError) as exc:
        raise ExtractionFailed(f"the e-mail is corrupt: {type(exc).__name__}: {exc}") from exc
    return "eml"
