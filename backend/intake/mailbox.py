"""The IMAP side of the intake: a mailbox named by a URL, its new messages by UID, marking them done.

    imap://user:password@host:port/INBOX      plain IMAP (port 143 by default)
    imaps://user:password@host:port/INBOX     IMAP over TLS (port 993 by default)

The user name and password may be percent-encoded. `Mailbox.label` names the mailbox without its password
(what the database records beside each message's UIDVALIDITY and UID).
"""

from __future__ import annotations

import imaplib
import re
import ssl
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from backend.common.errors import InvalidInput

_UIDVALIDITY = re.compile(rb"UIDVALIDITY (\d+)")
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")


@dataclass(frozen=True)
class MailboxAddress:
    secure: bool
    host: str
    port: int
    user: str
    password: str
    folder: str

    @property
    def label(self) -> str:
        return f"{self.user}@{self.host}:{self.port}/{self.folder}"


def mailbox_address(url: str) -> MailboxAddress:
    parts = urlsplit(url or "")
    if parts.scheme not in ("imap", "imaps") or not parts.hostname:
        raise InvalidInput("MAIL_INTAKE_URL must look like imap://user:password@host:port/INBOX (or imaps://).")
    secure = parts.scheme == "imaps"
    folder = unquote(parts.path.lstrip("/")) or "INBOX"
    return MailboxAddress(secure=secure, host=parts.hostname, port=parts.port or (993 if secure else 143),
                          user=unquote(parts.username or ""), password=unquote(parts.password or ""), folder=folder)


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Mailbox:
    """One connection to the mailbox's folder (a context manager). Reads with BODY.PEEK (nothing is marked
    \\Seen by reading); `mark_done` marks a message \\Seen, or moves it, once its rows are committed."""

    def __init__(self, address: MailboxAddress, *, ca_file: str = "", timeout: float = 60.0):
        self.address = address
        self.ca_file = ca_file
        self.timeout = timeout
        self.uidvalidity = 0

    def __enter__(self) -> Mailbox:
        a = self.address
        if a.secure:
            self.imap = imaplib.IMAP4_SSL(a.host, a.port, ssl_context=ssl.create_default_context(cafile=self.ca_file or None),
                                          timeout=self.timeout)
        else:
            self.imap = imaplib.IMAP4(a.host, a.port, timeout=self.timeout)
        self.imap.login(a.user, a.password)
        status, _ = self.imap.select(_quoted(a.folder))
        if status != "OK":
            raise imaplib.IMAP4.error(f"cannot open the folder {a.folder}")
        found = self.imap.untagged_responses.get("UIDVALIDITY") or [b"0"]
        self.uidvalidity = int(found[-1])
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.imap.logout()
        except Exception:  # noqa: BLE001 - closing anyway
            pass

    def unseen_uids(self) -> list[int]:
        status, data = self.imap.uid("SEARCH", None, "UNSEEN")
        if status != "OK":
            raise imaplib.IMAP4.error("UID SEARCH failed")
        return sorted(int(uid) for uid in (data[0] or b"").split())

    def size(self, uid: int) -> int:
        status, data = self.imap.uid("FETCH", str(uid), "(RFC822.SIZE)")
        for item in data or []:
            text = item[0] if isinstance(item, tuple) else item
            match = _SIZE.search(text or b"")
            if match:
                return int(match.group(1))
        return 0

    def fetch(self, uid: int, *, headers_only: bool = False) -> bytes:
        section = "BODY.PEEK[HEADER]" if headers_only else "BODY.PEEK[]"
        status, data = self.imap.uid("FETCH", str(uid), f"({section})")
        if status != "OK":
            raise imaplib.IMAP4.error(f"UID FETCH {uid} failed")
        for item in data or []:
            if isinstance(item, tuple) and len(item) == 2:
                return item[1]
        raise imaplib.IMAP4.error(f"message {uid} is gone")

    def mark_done(self, uid: int, *, move_to: str = "") -> None:
        self.imap.uid("STORE", str(uid), "+FLAGS.SILENT", r"(\Seen)")
        if move_to:
            status, _ = self.imap.uid("MOVE", str(uid), _quoted(move_to))
            if status != "OK":  # a server without MOVE: copy, then delete the original
                self.imap.uid("COPY", str(uid), _quoted(move_to))
                self.imap.uid("STORE", str(uid), "+FLAGS.SILENT", r"(\Deleted)")
                self.imap.expunge()
