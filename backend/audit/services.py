"""Writing the audit trail.

``record()`` is the only way rows get into ``AuditEvent``. Services call it
inside their own ``transaction.atomic()`` so the event commits or rolls back
with the change it describes:

    with transaction.atomic():
        version = DocumentVersion.objects.create(...)
        record(DOCUMENT_VERSION_UPLOADED, actor=actor, target=version.document,
               detail={"version": version.number, "sha256": version.sha256})

The chain lock (the head row, locked and read in one statement) is held from
inside ``record()`` until the caller's transaction ends, and every other
audited write waits for it. An event recorded outside any transaction (a
recorded read, such as a search) is a transaction of its own; on
PostgreSQL it costs two round trips (``BEGIN`` + the lock, the ``INSERT`` +
``COMMIT``) instead of four. Record the event as the
last write of the transaction, after any slow work.

``record_many()`` appends a batch (an import's records) the same way: one chain lock, each event hashed
onto the one before exactly as ``record()`` would, one insert.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import operator
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from json.encoder import encode_basestring
from typing import Any

from django.conf import settings
from django.db import connections, router, transaction
from django.db.models import Model
from django.db.models.base import ModelState
from django.utils import timezone

from backend.audit.context import current_request_context
from backend.common.metrics import AUDIT_EVENTS
from backend.audit.events import is_registered
from backend.audit.keys import chain_key
from backend.audit.models import (
    CHAIN_FORMAT,
    GENESIS_HASH,
    HASHED_FIELDS,
    AuditEvent,
    ChainHead,
    Outcome,
    _hashed_int,
    _hashed_ip,
    _hashed_timestamp,
    canonical_ip,
    canonical_json_value,
)

try:
    from psycopg import ClientCursor as _CLIENT_CURSOR
    from psycopg.pq import TransactionStatus

    _IDLE = TransactionStatus.IDLE
except ImportError:  # pragma: no cover - psycopg2 or another database
    _CLIENT_CURSOR = _IDLE = None


def record(
    event_type: str,
    *,
    actor,
    target: Model | None = None,
    outcome: str = Outcome.SUCCESS,
    detail: Mapping[str, Any] | None = None,
    customer_id: int | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
    target_label: str | None = None,
) -> AuditEvent | None:
    """Append one event to the trail and return it (None when AUDIT_ENABLED is off).

    ``actor`` is the acting user, or None for the system (an anonymous user
    counts as None). ``target`` is the model instance acted on; the explicit
    ``target_*`` arguments describe something that is not a model instance, or
    override what ``target`` gives. Raises ValueError for an unregistered
    ``event_type``, an unknown ``outcome`` or a ``detail`` that is not a JSON
    object.
    """
    if not getattr(settings, "AUDIT_ENABLED", True):
        return None
    # Everything that can be prepared before taking the chain lock is.
    event = _event(event_type, actor_fields=_actor_fields(actor), context=current_request_context(),
                   target=target, outcome=outcome, detail=detail, customer_id=customer_id,
                   target_type=target_type, target_id=target_id, target_label=target_label)

    alias = router.db_for_write(AuditEvent)
    if _record_as_own_transaction(alias, event):
        AUDIT_EVENTS.inc()
        return event
    with transaction.atomic(using=alias, savepoint=False):
        head_id, head_hash = _lock_chain_and_read_head(alias)
        _chain(event, head_id, head_hash)
        event.save(using=alias)
        # Counted once the event is durable (at once outside a transaction).
        transaction.on_commit(AUDIT_EVENTS.inc, using=alias)
    return event


def _chain(event: AuditEvent, head_id: int, head_hash: str) -> None:
    """Give `event` its place after the head (under the chain lock): its id, the hash before it, its time,
    its own hash."""
    event.id = head_id + 1
    event.prev_hash = head_hash
    event.occurred_at = timezone.now()
    event.hash = event.compute_hash()


def _record_as_own_transaction(alias: str, event: AuditEvent) -> bool:
    """Write `event` as a transaction of its own in two round trips; False (nothing done) where this does not apply.

    When no transaction is open (a recorded read, such as a search, records outside any atomic block), the
    transaction record() opens holds the event alone. Through Django's atomic() it takes four round trips
    (BEGIN, the chain lock, the INSERT, COMMIT); on PostgreSQL with client-side binding (Django's default
    for psycopg 3, which sends a statement with its values as one query text) the same statements go as two
    query texts: `BEGIN; <lock the head and read it>`, then `INSERT ...; COMMIT`. The same transaction: the
    head row stays locked from the first until the COMMIT, and the event is the same row with the same hash.
    If anything fails in between, the transaction is rolled back before the error goes on. Inside a
    caller's transaction (every service's write), on SQLite, or with server-side binding, record() uses
    atomic() as before.
    """
    connection = connections[alias]
    if connection.vendor != "postgresql" or _CLIENT_CURSOR is None or connection.in_atomic_block:
        return False
    if not connection.get_autocommit():
        return False
    with connection.cursor() as cursor:
        if not isinstance(cursor.cursor, _CLIENT_CURSOR):
            return False
        try:
            cursor.execute("BEGIN; " + _head_lock_sql(connection))
            cursor.nextset()
            row = cursor.fetchone()
            if row is not None and (row[2] is None or row[2] <= row[0]):
                head_id, head_hash = int(row[0]), row[1]
            else:  # missing or behind the events: repaired under the lock, in this transaction (rare)
                head_id, head_hash = _repair_head(cursor, connection)
            _chain(event, head_id, head_hash)
            values = [field.get_db_prep_save(getattr(event, field.attname), connection)
                      for field in _INSERTED_FIELDS]
            cursor.execute(_insert_sql(connection) + "; COMMIT", values)
        except BaseException:
            if connection.connection is not None and connection.connection.info.transaction_status != _IDLE:
                connection.connection.rollback()
            raise
    event._state.adding = False
    event._state.db = alias
    return True


_INSERTED_FIELDS = tuple(AuditEvent._meta.concrete_fields)


def _insert_sql(connection) -> str:
    """INSERT of one event with every column, its values as %s (no RETURNING: the id is given)."""
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(field.column) for field in _INSERTED_FIELDS)
    return f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(_INSERTED_FIELDS))})"  # noqa: S608


_OUTCOMES = frozenset(Outcome.values)
_ATTNAMES = tuple(field.attname for field in AuditEvent._meta.concrete_fields)


@dataclass(frozen=True)
class Entry:
    """One event for ``record_many``: the arguments ``record()`` takes, by the same names."""

    event_type: str
    actor: Any = None
    target: Model | None = None
    outcome: str = Outcome.SUCCESS
    detail: Mapping[str, Any] | None = None
    customer_id: int | None = None
    target_type: str | None = None
    target_id: str | None = None
    target_label: str | None = None


def record_many(entries: Iterable[Entry], *, return_events: bool = True) -> list[AuditEvent] | int:
    """Append many events to the trail in order, as ``record()`` called once for each would, in one
    transaction: every entry is checked and prepared first (nothing is written when one is wrong: the
    same ValueError as ``record()``), then the chain's head is locked once, each event hashed onto the
    one before it exactly as ``record()`` hashes, and all are written with one insert (COPY on
    PostgreSQL). For a batch of writes (an import): record them as the last write of the batch's
    transaction, as ``record()`` is. Returns the events ([] when AUDIT_ENABLED is off), or with
    ``return_events=False`` only how many were written (an import does not read back its hundreds of thousands).

    On PostgreSQL each event goes into the COPY as soon as it is hashed, so the server inserts the batch's
    first events (nine indexes) while the later ones are hashed here."""
    if not getattr(settings, "AUDIT_ENABLED", True):
        return [] if return_events else 0
    context_fields = _context_fields(current_request_context())
    actors: dict[int, tuple[Any, str]] = {}
    rows: list[dict[str, Any]] = []
    for entry in entries:
        actor_key = id(entry.actor)
        if actor_key not in actors:
            actors[actor_key] = _actor_fields(entry.actor)
        rows.append(_event_values(
            entry.event_type, actor_fields=actors[actor_key], context_fields=context_fields, target=entry.target,
            outcome=entry.outcome, detail=entry.detail, customer_id=entry.customer_id,
            target_type=entry.target_type, target_id=entry.target_id, target_label=entry.target_label))
    if not rows:
        return [] if return_events else 0
    alias = router.db_for_write(AuditEvent)
    with transaction.atomic(using=alias, savepoint=False):
        head_id, head_hash = _lock_chain_and_read_head(alias)
        _insert_all(alias, _chained(rows, head_id, head_hash, _BatchHasher(timezone.now())))
        count = len(rows)
        transaction.on_commit(lambda: AUDIT_EVENTS.inc(count), using=alias)
    if not return_events:
        return count
    return [_saved_event(values, alias) for values in rows]


def _chained(rows: list[dict[str, Any]], head_id: int, head_hash: str, hasher: "_BatchHasher"):
    """Each event (its values) given the next id, the hash before it and its own hash, as record() would under
    the lock, one at a time: yields (values, the detail's JSON text the hash covered)."""
    occurred_at = hasher.occurred_at
    for values in rows:
        head_id += 1
        values["id"] = head_id
        values["prev_hash"] = head_hash
        values["occurred_at"] = occurred_at
        values["hash"] = head_hash = hasher.hash(values)
        yield values, hasher.detail_text


_DEFAULTS = {field.attname: field.get_default() for field in AuditEvent._meta.concrete_fields}


def _saved_event(values: dict[str, Any], alias: str) -> AuditEvent:
    """The event just written, as a model instance holding exactly `values` (as a read from the database
    gives it), built without Model.__init__: a batch of an import has hundreds of thousands."""
    event = AuditEvent.__new__(AuditEvent)
    event.__dict__.update(_DEFAULTS)
    event.__dict__.update(values)
    state = ModelState()
    state.adding, state.db = False, alias
    event._state = state
    return event


# --- the batch's hashing: the bytes of backend.audit.models.canonical_bytes, made faster -------------------
#
# canonical_bytes() builds a dict and json.dumps() it with sorted keys; here the same JSON text is joined from
# each value's own encoding, in the same sorted key order, by an encoder with the same options (JSON of an
# object is "{" + '"key":value' joined by "," + "}", and each value encodes the same alone or inside it). The
# values shared by a batch (its time, the request's context, the actor) are encoded once, and the HMAC's
# keyed state is computed once and copied. tests/audit/test_record_many_hashing.py proves the bytes equal.

_JSON = json.JSONEncoder(skipkeys=False, ensure_ascii=False, check_circular=True, allow_nan=False,
                         sort_keys=True, separators=(",", ":")).encode
_HASHED_KEYS = tuple(sorted(("format",) + HASHED_FIELDS))
# {"actor_id":%s,"actor_label":%s,...}: the object's text around its values, in sorted key order
_TEMPLATE = "{" + ",".join(f'"{name}":%s' for name in _HASHED_KEYS) + "}"
_IN_KEY_ORDER = operator.itemgetter(*_HASHED_KEYS)


def _json_text(value: Any) -> str:
    return encode_basestring(value) if type(value) is str else _JSON(value)


class _BatchHasher:
    """hash(event) == event.compute_hash() for events of one batch (one occurred_at), faster."""

    def __init__(self, occurred_at):
        self._keyed = hmac.new(chain_key(), b"audit-event\x00", hashlib.sha256)
        self._constant = {"format": _JSON(CHAIN_FORMAT), "occurred_at": _JSON(_hashed_timestamp(occurred_at))}
        self.occurred_at = self._occurred_at = occurred_at
        self._memo: dict[tuple, dict[str, str]] = {}
        # the last hashed event's detail as JSON text: the insert stores it as it is (jsonb keeps the value,
        # not the text, so it reads back as what DjangoJSONEncoder's text would)
        self.detail_text = ""

    def _shared(self, values: Mapping[str, Any]) -> dict[str, str]:
        # what repeats across a batch (event type, actor, request context, target type, outcome): encoded once
        # for each combination of them
        key = (values["event_type"], type(values["actor_id"]), values["actor_id"], values["actor_label"],
               values["ip"], values["user_agent"], values["request_id"], values["target_type"], values["outcome"])
        parts = self._memo.get(key)
        if parts is None:
            parts = self._memo[key] = {
                **self._constant,
                "event_type": _json_text(values["event_type"]),
                "actor_id": _JSON(_hashed_int(values["actor_id"])),
                "actor_label": _json_text(values["actor_label"]),
                "ip": _JSON(_hashed_ip(values["ip"])),
                "user_agent": _json_text(values["user_agent"]),
                "request_id": _json_text(values["request_id"]),
                "target_type": _json_text(values["target_type"]),
                "outcome": _json_text(values["outcome"]),
            }
        return parts

    def canonical_bytes(self, event: Mapping[str, Any] | AuditEvent) -> bytes:
        """`event`: an event's values by attribute name (as _event_values gives them), or the event."""
        values = event if isinstance(event, Mapping) else vars(event)
        if values["occurred_at"] != self._occurred_at:
            raise ValueError("an event of another batch")
        # _event_values() keeps the detail's canonical form already; canonical_json_value() of it is the same
        detail = self.detail_text = _JSON(values["detail"])
        parts = {
            **self._shared(values),
            "id": _JSON(int(values["id"])),
            "target_id": _json_text(values["target_id"]),
            "target_label": _json_text(values["target_label"]),
            "customer_id": _JSON(_hashed_int(values["customer_id"])),
            "detail": detail,
            "prev_hash": _json_text(values["prev_hash"]),
        }
        return (_TEMPLATE % _IN_KEY_ORDER(parts)).encode("utf-8")

    def hash(self, event: Mapping[str, Any] | AuditEvent) -> str:
        digest = self._keyed.copy()
        digest.update(self.canonical_bytes(event))
        return digest.hexdigest()


def _context_fields(context) -> tuple[str | None, str, str]:
    """The request context's ip, user agent and request id as an event stores them."""
    return canonical_ip(context.ip), _text(context.user_agent, 400), _text(context.request_id, 64)


def _event(event_type: str, *, actor_fields: tuple[Any, str], context, target, outcome, detail, customer_id,
           target_type, target_id, target_label) -> AuditEvent:
    """An unsaved, unchained event with record()'s checks and record()'s field values."""
    values = _event_values(event_type, actor_fields=actor_fields, context_fields=_context_fields(context),
                           target=target, outcome=outcome, detail=detail, customer_id=customer_id,
                           target_type=target_type, target_id=target_id, target_label=target_label)
    # By position, in the model's column order (Django's fast path; id, time and hashes are set under the lock).
    return AuditEvent(*[values.get(name) for name in _ATTNAMES])


def _event_values(event_type: str, *, actor_fields: tuple[Any, str], context_fields, target, outcome, detail,
                  customer_id, target_type, target_id, target_label) -> dict[str, Any]:
    """An event's stored values but its id, time and hashes, checked as record() checks them."""
    if not is_registered(event_type):
        raise ValueError(
            f"unknown audit event type {event_type!r}; register it in the app's audit_events module"
        )
    if outcome not in _OUTCOMES:
        raise ValueError(f"audit outcome must be one of {Outcome.values}, got {outcome!r}")
    if detail is None:
        detail = {}
    elif not isinstance(detail, Mapping):
        raise ValueError("audit detail must be a mapping")
    if target is not None:
        if target.pk is None:
            raise ValueError("an audit target must be saved before it is recorded")
        if target_type is None:
            target_type = target._meta.label_lower
        if target_id is None:
            target_id = str(target.pk)
        if target_label is None:
            target_label = str(target)
    actor_id, actor_label = actor_fields
    ip, user_agent, request_id = context_fields
    return {
        "event_type": event_type,
        "actor_id": actor_id,
        "actor_label": actor_label,
        "ip": ip,
        "user_agent": user_agent,
        "request_id": request_id,
        "target_type": _text(target_type, 100),
        "target_id": _text(target_id, 64),
        "target_label": _text(target_label, 200),
        "customer_id": None if customer_id is None else int(customer_id),
        "outcome": str(outcome),
        "detail": _canonical_detail(detail),
    }


_PLAIN = frozenset((str, bool, int, type(None)))


def _canonical_detail(detail: Mapping[str, Any]) -> dict[str, Any]:
    """canonical_json_value(detail), faster for the usual detail: a dict of text keys and plain values (text,
    booleans, whole numbers, None), which canonical_json_value() copies unchanged."""
    if type(detail) is dict:
        for key, value in detail.items():
            if type(key) is not str or type(value) not in _PLAIN:
                break
        else:
            return dict(detail)
    return canonical_json_value(detail)


_COLUMNS = ("id", "occurred_at", "event_type", "actor_id", "actor_label", "ip", "user_agent", "request_id",
            "target_type", "target_id", "target_label", "customer_id", "outcome", "detail", "prev_hash", "hash")


def _insert_all(alias: str, chained: Iterable[tuple[dict[str, Any], str]]) -> None:
    """One insert of chained events ((their values by attribute name, their detail as JSON text), taken one at a
    time): COPY on PostgreSQL (the head's statement trigger fires once, as for an INSERT ... SELECT),
    bulk_create elsewhere. The detail is stored as the JSON the model would write."""
    connection = connections[alias]
    if connection.vendor != "postgresql":
        AuditEvent.objects.using(alias).bulk_create(
            [AuditEvent(**{name: values.get(name, _DEFAULTS[name]) for name in _ATTNAMES}) for values, _ in chained],
            batch_size=500)
        return
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(AuditEvent._meta.get_field(name).column) for name in _COLUMNS)
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:  # noqa: S608 - names only
            for values, detail in chained:
                copy.write_row((
                    values["id"], values["occurred_at"], values["event_type"], values["actor_id"],
                    values["actor_label"], values["ip"], values["user_agent"], values["request_id"],
                    values["target_type"], values["target_id"], values["target_label"], values["customer_id"],
                    values["outcome"], detail, values["prev_hash"], values["hash"]))


def _actor_fields(actor) -> tuple[Any, str]:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None, ""
    return actor.pk, _text(actor.get_username(), 150)


def _text(value: Any, max_length: int) -> str:
    if value is None:
        return ""
    return str(value).replace("\x00", "")[:max_length]


def _lock_chain_and_read_head(alias: str) -> tuple[int, str]:
    """Lock the chain's head row and read the newest event's id and hash: one statement, as a rule.

    PostgreSQL: ``SELECT ... FOR UPDATE`` of the one ``ChainHead`` row. The row lock is the chain lock
    (held until the caller's transaction ends), and under READ COMMITTED a locking read returns the
    row's newest committed version, so it sees the head the previous lock holder moved (the events'
    INSERT trigger, migration 0005). SQLite: the repair statement below, whose write takes the
    database's write lock first.

    The head is a copy of the newest event, so it is repaired when it is missing (a flushed database)
    or behind the table (rows added with triggers off): the same PostgreSQL statement reads the events'
    highest id, and only then a second statement, under the lock, rebuilds the head from the newest
    event; it never moves the head back. Ids are head + 1, so they are gapless and in chain order; a
    transaction that somehow read a stale head fails on the primary key instead of forking the chain.
    """
    connection = connections[alias]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_head_lock_sql(connection))
            row = cursor.fetchone()
            if row is not None and (row[2] is None or row[2] <= row[0]):
                return int(row[0]), row[1]
        elif connection.vendor != "sqlite":
            raise NotImplementedError(f"the audit chain lock is not implemented for {connection.vendor}")
        return _repair_head(cursor, connection)


def _head_lock_sql(connection) -> str:
    """PostgreSQL: lock the head row and read it with the events' highest id (last_id, last_hash, max id)."""
    head = connection.ops.quote_name(ChainHead._meta.db_table)
    events = connection.ops.quote_name(AuditEvent._meta.db_table)
    return (f"SELECT head.last_id, head.last_hash, (SELECT MAX(id) FROM {events}) "  # noqa: S608 - names
            f"FROM {head} AS head WHERE head.id = 1 FOR UPDATE OF head")


def _repair_head(cursor, connection) -> tuple[int, str]:
    """Rebuild a missing head, or move one behind the events up to the newest event (never back), and return it."""
    head = connection.ops.quote_name(ChainHead._meta.db_table)
    events = connection.ops.quote_name(AuditEvent._meta.db_table)
    ahead = f"excluded.last_id > {head}.last_id"
    cursor.execute(
        f"INSERT INTO {head} (id, last_id, last_hash) "  # noqa: S608 - table names only
        f"SELECT 1, COALESCE(MAX(id), 0), COALESCE((SELECT hash FROM {events} WHERE id = "
        f"(SELECT MAX(id) FROM {events})), %s) FROM {events} WHERE true "
        f"ON CONFLICT (id) DO UPDATE SET "
        f"last_id = CASE WHEN {ahead} THEN excluded.last_id ELSE {head}.last_id END, "
        f"last_hash = CASE WHEN {ahead} THEN excluded.last_hash ELSE {head}.last_hash END "
        f"RETURNING last_id, last_hash",
        [GENESIS_HASH],
    )
    last_id, last_hash = cursor.fetchone()
    return int(last_id), last_hash


def audit_trail_verify_and_record(*, actor, batch_size: int = 5000):
    """Verify the chain and the newest checkpoint, record the outcome (audit.chain.verified), and
    when all is well sign a new checkpoint that includes that event. Returns the verification."""
    from backend.audit.checkpoints import checkpoint_write
    from backend.audit.events import AUDIT_CHAIN_VERIFIED
    from backend.audit.selectors import audit_trail_verify

    result = audit_trail_verify(batch_size=batch_size)
    with transaction.atomic():
        record(
            AUDIT_CHAIN_VERIFIED, actor=actor, outcome=Outcome.SUCCESS if result.ok else Outcome.FAILURE,
            detail={"checked": result.checked, "first_bad_id": result.first_bad_id, "reason": result.reason,
                    "last_id": result.last_id, "last_hash": result.last_hash},
        )
    if result.ok:
        checkpoint_write()
    return result
