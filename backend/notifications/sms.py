"""The SMS gateway: a small interface and the backends settings choose from (SMS_BACKEND).

No SMS provider is reachable from here, so the only backend shipped writes each message as a JSON line
to a file (SMS_FILE_PATH), like Django's file e-mail backend; a provider's backend is a class with the
same ``send`` method, named in SMS_BACKEND.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string


class SmsGateway(Protocol):
    def send(self, *, to: str, text: str) -> None:
        """Send `text` to the phone number `to`; raise on failure (the delivery is retried)."""


class FileSmsBackend:
    """Appends {"at", "to", "text"} as one JSON line per message to SMS_FILE_PATH."""

    _lock = threading.Lock()

    def __init__(self, path: str | None = None) -> None:
        self.path = Path(path or settings.SMS_FILE_PATH)

    def send(self, *, to: str, text: str) -> None:
        if not to.strip():
            raise ValueError("no phone number")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"at": timezone.now().isoformat(), "to": to, "text": text}, ensure_ascii=False)
        with self._lock, self.path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")


def sms_gateway() -> SmsGateway:
    return import_string(settings.SMS_BACKEND)()
