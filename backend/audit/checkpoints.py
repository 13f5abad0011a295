"""Signed checkpoints of the audit chain's head, kept where the database cannot reach them.

A chain shows an edited, inserted or deleted event, but not its newest events cut off, nor an
emptied table: what is left still links up. So, every AUDIT_CHECKPOINT_SECONDS (Celery beat) and
after each verification, the head (id, hash, number of events, time) is signed with the chain key
and written to write-once storage (AUDIT_CHECKPOINT_URL: an S3 bucket with Object Lock in
compliance mode in production). `audit_verify` compares the table with the newest checkpoint.

A checkpoint whose signature does not verify is a forgery (or was signed with another key) and is
reported, never trusted.
"""

from __future__ import annotations

import hmac
import json
from dataclasses import asdict, dataclass
from functools import lru_cache

from django.conf import settings
from django.db import connections, router
from django.utils import timezone

from backend.audit.keys import keyed_digest
from backend.audit.models import AuditEvent
from storage.locked import WriteOnceBucket, write_once_bucket_from_url

PREFIX = "audit-checkpoints/"
_PURPOSE = b"audit-checkpoint"


@dataclass(frozen=True)
class Checkpoint:
    head_id: int
    head_hash: str
    count: int
    written_at: str

    def body(self) -> bytes:
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":")).encode()

    def signature(self) -> str:
        return keyed_digest(_PURPOSE, self.body())


@dataclass(frozen=True)
class Checkpoints:
    newest: Checkpoint | None
    forged: list[str]  # keys (and versions) of records whose signature does not verify


@lru_cache(maxsize=4)
def _bucket_for(url: str) -> WriteOnceBucket:
    return write_once_bucket_from_url(url)


def checkpoint_bucket() -> WriteOnceBucket:
    return _bucket_for(settings.AUDIT_CHECKPOINT_URL)


def _head() -> tuple[int, str, int]:
    alias = router.db_for_read(AuditEvent)
    table = connections[alias].ops.quote_name(AuditEvent._meta.db_table)
    with connections[alias].cursor() as cursor:
        cursor.execute(f"SELECT id, hash FROM {table} ORDER BY id DESC LIMIT 1")  # noqa: S608 - a table name
        row = cursor.fetchone()
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608
        count = cursor.fetchone()[0]
    return (int(row[0]), row[1], int(count)) if row else (0, "", 0)


def checkpoint_write() -> Checkpoint:
    """Sign the chain's current head and keep it in write-once storage."""
    head_id, head_hash, count = _head()
    checkpoint = Checkpoint(head_id=head_id, head_hash=head_hash, count=count,
                            written_at=timezone.now().isoformat(timespec="microseconds"))
    record = {"checkpoint": asdict(checkpoint), "signature": checkpoint.signature()}
    stamp = checkpoint.written_at.replace(":", "").replace("-", "").replace("+", "Z")
    checkpoint_bucket().put(f"{PREFIX}{head_id:020d}-{stamp}.json", json.dumps(record).encode(),
                            retain_days=settings.AUDIT_CHECKPOINT_RETENTION_DAYS)
    return checkpoint


def checkpoints_read() -> Checkpoints:
    """The newest genuine checkpoint (the highest head, whatever was written over or hidden later)."""
    newest: Checkpoint | None = None
    forged: list[str] = []
    for item in checkpoint_bucket().records(PREFIX):
        try:
            record = json.loads(item.data)
            checkpoint = Checkpoint(**record["checkpoint"])
            genuine = hmac.compare_digest(str(record["signature"]), checkpoint.signature())
        except (ValueError, TypeError, KeyError):
            genuine = False
        if not genuine:
            forged.append(f"{item.key}@{item.version}" if item.version else item.key)
            continue
        if newest is None or (checkpoint.head_id, checkpoint.count) > (newest.head_id, newest.count):
            newest = checkpoint
    return Checkpoints(newest=newest, forged=forged)
