"""The key of the audit chain: it lives outside the database, so that someone who can write the
database still cannot recompute the chain after changing it.

AUDIT_CHAIN_KEY (the key as text) or AUDIT_CHAIN_KEY_FILE (a file holding it) names it. With
neither, a random key is made once in DATA_DIR/audit-chain.key (mode 0600): enough for the demo and
a single machine; production keeps the file away from the database's host and its backups.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from functools import lru_cache
from pathlib import Path

from django.conf import settings


class AuditKeyMissing(RuntimeError):
    """The configured key file cannot be read."""


def _key_file() -> Path:
    return Path(settings.AUDIT_CHAIN_KEY_FILE) if settings.AUDIT_CHAIN_KEY_FILE else settings.DATA_DIR / "audit-chain.key"


@lru_cache(maxsize=4)
def _load(text: str, path: str, generate: bool) -> bytes:
    if text:
        return text.encode()
    file = Path(path)
    if generate and not file.exists():
        file.parent.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            pass
        else:
            with os.fdopen(descriptor, "w") as out:
                out.write(secrets.token_hex(32))
    try:
        value = file.read_text().strip()
    except OSError as exc:
        raise AuditKeyMissing(f"the audit chain key file {file} cannot be read: {exc}") from exc
    if len(value) < 32:
        raise AuditKeyMissing(f"the audit chain key in {file} is shorter than 32 characters")
    return value.encode()


def chain_key() -> bytes:
    """The key every event's hash is keyed with."""
    return _load(settings.AUDIT_CHAIN_KEY, str(_key_file()), not settings.AUDIT_CHAIN_KEY_FILE)


def keyed_digest(purpose: bytes, data: bytes) -> str:
    """HMAC-SHA256 under the chain key, separated by purpose (event hashes, checkpoint signatures)."""
    return hmac.new(chain_key(), purpose + b"\x00" + data, hashlib.sha256).hexdigest()
