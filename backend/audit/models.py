"""The audit trail: one append-only, hash-chained table.

Each row stores the keyed hash (HMAC-SHA256 under a key kept outside the
database, backend/audit/keys.py) of its own canonical form (``hash``) and the
hash of the row before it (``prev_hash``); the first row points at
``GENESIS_HASH``. Signed checkpoints of the head, kept in write-once storage
(backend/audit/checkpoints.py), show a tail cut off or an emptied table.
Editing, deleting, inserting or reordering rows therefore breaks the chain, and
``backend.audit.selectors.audit_chain_verify`` finds the first broken row.

Rows are written only by ``backend.audit.services.record``, which locks the
chain's head (``ChainHead``, one row that a trigger moves to each new event),
reads it in the same statement and computes the hash. The model refuses every
change to an existing row; on PostgreSQL, triggers (migration 0002) refuse
UPDATE, DELETE and TRUNCATE at the database as well.
"""

from __future__ import annotations

import datetime as dt
import decimal
import ipaddress
import json
import math
import uuid
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone

from backend.audit.errors import AuditImmutable
from backend.audit.events import event_label
from backend.audit.targets import meaningful_label, target_display, target_type_label
from backend.audit.keys import keyed_digest

GENESIS_HASH = "0" * 64

# Bumped only if the canonical form or the hash below ever changes; it is part of every hash.
# 2: HMAC-SHA256 under the chain key (backend/audit/keys.py); 1 was plain SHA-256, which anyone
# with database access could recompute after an edit.
CHAIN_FORMAT = 2

# Every stored field except ``hash``, in the names ``QuerySet.values()`` uses.
HASHED_FIELDS = (
    "id",
    "occurred_at",
    "event_type",
    "actor_id",
    "actor_label",
    "ip",
    "user_agent",
    "request_id",
    "target_type",
    "target_id",
    "target_label",
    "customer_id",
    "outcome",
    "detail",
    "prev_hash",
)


class Outcome(models.TextChoices):
    SUCCESS = "success", "success"
    DENIED = "denied", "denied"
    FAILURE = "failure", "failure"


# --- canonical form and hash -------------------------------------------------


def canonical_json_value(value: Any) -> Any:
    """The one JSON shape of ``detail`` that is both stored and hashed.

    Decimal, UUID and date/time values become strings (as DjangoJSONEncoder
    writes them), keys become strings, and a float with an integral value
    becomes an int. The last rule matters on PostgreSQL: jsonb keeps numbers as
    exact decimals, so 1e300 comes back as a 301-digit integer, and the hash
    computed before the insert must equal the one computed after reading.
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("audit detail cannot hold NaN or infinity")
        exact = decimal.Decimal(repr(value))
        if exact == exact.to_integral_value():
            return int(exact)
        return value
    if isinstance(value, Mapping):
        return {
            (key if isinstance(key, str) else json.dumps(canonical_json_value(key))): canonical_json_value(item)
            for key, item in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [canonical_json_value(item) for item in value]
    if isinstance(value, (decimal.Decimal, uuid.UUID, dt.datetime, dt.date, dt.time, dt.timedelta)):
        return DjangoJSONEncoder().default(value)
    raise TypeError(f"audit detail cannot hold a {type(value).__name__}")


def canonical_ip(value: str | None) -> str | None:
    """A valid address as the text we store, or None."""
    if not value:
        return None
    try:
        address = ipaddress.ip_address(str(value).split("%", 1)[0].strip())
    except ValueError:
        return None
    return str(address)


def _hashed_ip(value: str | None) -> str | None:
    # The packed bytes, not str(): Python 3.13 changed how IPv4-mapped IPv6
    # addresses print, and PostgreSQL prints them its own way too.
    if not value:
        return None
    return ipaddress.ip_address(value).packed.hex()


def _hashed_timestamp(value: dt.datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _hashed_int(value: Any) -> int | str | None:
    if value is None:
        return None
    return value if isinstance(value, int) else str(value)


def canonical_bytes(values: Mapping[str, Any]) -> bytes:
    """The exact bytes that are hashed: sorted-key JSON, UTF-8, no whitespace."""
    document = {
        "format": CHAIN_FORMAT,
        "id": int(values["id"]),
        "occurred_at": _hashed_timestamp(values["occurred_at"]),
        "event_type": values["event_type"],
        "actor_id": _hashed_int(values["actor_id"]),
        "actor_label": values["actor_label"],
        "ip": _hashed_ip(values["ip"]),
        "user_agent": values["user_agent"],
        "request_id": values["request_id"],
        "target_type": values["target_type"],
        "target_id": values["target_id"],
        "target_label": values["target_label"],
        "customer_id": _hashed_int(values["customer_id"]),
        "outcome": values["outcome"],
        "detail": canonical_json_value(values["detail"]),
        "prev_hash": values["prev_hash"],
    }
    return json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def compute_hash(values: Mapping[str, Any]) -> str:
    return keyed_digest(b"audit-event", canonical_bytes(values))


# --- the model ---------------------------------------------------------------


class AuditEventQuerySet(models.QuerySet):
    """Reads only: every bulk write path raises."""

    def update(self, **kwargs):
        raise AuditImmutable("audit events cannot be updated")

    def _update(self, values):
        raise AuditImmutable("audit events cannot be updated")

    def bulk_update(self, objs, fields, batch_size=None):
        raise AuditImmutable("audit events cannot be updated")

    def delete(self):
        raise AuditImmutable("audit events cannot be deleted")

    delete.queryset_only = True

    def _raw_delete(self, using):
        raise AuditImmutable("audit events cannot be deleted")


class AuditEvent(models.Model):
    id = models.BigAutoField(primary_key=True)
    occurred_at = models.DateTimeField(default=timezone.now)
    event_type = models.CharField(max_length=100)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        # The trail outlives the people in it: no constraint, no cascade, and
        # actor_label keeps the username the event was recorded under.
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,  # covered by the (actor, id) index
        related_name="audit_events",
    )
    actor_label = models.CharField(max_length=150, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=400, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    target_type = models.CharField(max_length=100, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_label = models.CharField(max_length=200, blank=True)
    customer_id = models.BigIntegerField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.SUCCESS)
    detail = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        base_manager_name = "objects"
        ordering = ["id"]
        indexes = [
            models.Index(fields=["target_type", "target_id", "id"], name="audit_target_idx"),
            models.Index(fields=["actor", "id"], name="audit_actor_idx"),
            models.Index(fields=["event_type", "id"], name="audit_type_idx"),
            models.Index(fields=["occurred_at", "id"], name="audit_time_idx"),
            models.Index(
                fields=["customer_id", "id"],
                name="audit_customer_idx",
                condition=Q(customer_id__isnull=False),
            ),
        ]
        constraints = [
            # A constraint rather than unique=True: on PostgreSQL the latter
            # adds a second, LIKE-only index that every insert would pay for.
            models.UniqueConstraint(fields=["hash"], name="audit_hash_unique"),
            models.CheckConstraint(
                condition=Q(outcome__in=Outcome.values), name="audit_outcome_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.id} {self.event_type} by {self.actor_label or '-'}"

    # --- what readers see (the compliance console): labels in the active language, never codes ---

    @property
    def event_label(self) -> str:
        """The event type's translated label (its dotted name only for a type no longer registered)."""
        return event_label(self.event_type)

    @property
    def target_type_label(self) -> str:
        return target_type_label(self.target_type)

    @property
    def target_label_shown(self) -> str:
        """The stored target label, or "" when it is only Django's "Activity object (3)"."""
        return meaningful_label(self.target_label)

    @property
    def target_display(self) -> str:
        return target_display(self.target_type, self.target_id, self.target_label)

    def hashed_values(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in HASHED_FIELDS}

    def compute_hash(self) -> str:
        return compute_hash(self.hashed_values())

    def save(self, *args, force_insert=False, force_update=False, using=None, update_fields=None):
        if args or force_update or update_fields is not None or not self._state.adding:
            raise AuditImmutable("audit events are append-only; an existing event cannot be saved")
        super().save(force_insert=True, using=using)

    def delete(self, using=None, keep_parents=False):
        raise AuditImmutable("audit events are append-only and cannot be deleted")


class ChainHead(models.Model):
    """The chain's one head row (id 1): the newest event's id and hash.

    ``record()`` locks and reads it in one statement (backend/audit/services.py), which is the
    chain lock; an AFTER INSERT trigger on the events (migration 0005) moves it to each new event
    in the same transaction, so appending costs that statement and the event's INSERT. It is a
    copy, not evidence: when it is missing (a flushed test database) or behind the events table,
    the next ``record()`` takes the newest event instead.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_id = models.BigIntegerField()
    last_hash = models.CharField(max_length=64)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(id=1), name="audit_chainhead_single_row")]

    def __str__(self) -> str:
        return f"head #{self.last_id}"
