"""Messages as a mail client sends them, for the intake's tests."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import make_msgid


def mail(*, sender: str, subject: str, attachments=(), body: str = "Please find attached.",
         message_id: str | None = None) -> bytes:
    """A message as a mail client would send it; `attachments` are (filename, bytes, maintype/subtype)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "intake@dossier.example"
    message["Subject"] = subject
    message["Message-ID"] = message_id or make_msgid(domain="mail.example")
    message["Date"] = "Mon, 07 Dec 2026 09:30:00 +0800"
    message.set_content(body)
    for filename, content, mime in attachments:
        maintype, subtype = mime.split("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes()
