"""Reading the audit trail."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from backend.audit.models import GENESIS_HASH, HASHED_FIELDS, AuditEvent, compute_hash


@dataclass(frozen=True)
class ChainVerification:
    """The result of walking the chain.

    ``checked`` counts the events read, up to and including the first bad one.
    ``last_id``/``last_hash`` name the head of an intact chain; keep them
    somewhere outside the database to detect later truncation of the tail,
    which no chain can show by itself.
    """

    ok: bool
    checked: int
    first_bad_id: int | None
    reason: str
    last_id: int | None = None
    last_hash: str = ""


def audit_chain_verify(*, batch_size: int = 5000) -> ChainVerification:
    """Recompute every hash in id order and check each link, in constant memory.

    An edited event fails its own hash. A deleted, inserted or moved event
    breaks the link of the event after the gap (ids are part of the hash, so
    moving an event to another id also fails its own hash).
    """
    if batch_size < 1:
        raise ValueError("batch_size must be positive")
    rows = AuditEvent.objects.order_by("id").values(*HASHED_FIELDS, "hash")
    expected_prev = GENESIS_HASH
    prev_id: int | None = None
    checked = 0
    while True:
        page = rows if prev_id is None else rows.filter(id__gt=prev_id)
        batch = list(page[:batch_size])
        if not batch:
            break
        for row in batch:
            checked += 1
            event_id = row["id"]
            if row["prev_hash"] != expected_prev:
                if prev_id is None:
                    reason = (
                        "the first event does not start the chain (its prev_hash is not the "
                        "genesis hash): earlier events were deleted or this one was altered"
                    )
                else:
                    reason = (
                        f"prev_hash does not match the hash of event #{prev_id}: an event was "
                        "deleted, inserted or moved between them, or this one was altered"
                    )
                return ChainVerification(False, checked, event_id, reason, prev_id, expected_prev)
            try:
                actual = compute_hash(row)
            except (TypeError, ValueError) as exc:
                reason = f"the event cannot be hashed ({exc}): it was altered"
                return ChainVerification(False, checked, event_id, reason, prev_id, expected_prev)
            if actual != row["hash"]:
                reason = "the stored hash does not match the event's contents: the event was altered"
                return ChainVerification(False, checked, event_id, reason, prev_id, expected_prev)
            expected_prev = row["hash"]
            prev_id = event_id
    return ChainVerification(True, checked, None, "chain intact", prev_id, expected_prev)


def audit_events_for_target(*, target_type: str, target_id: str) -> QuerySet[AuditEvent]:
    """Events about one object, oldest first, e.g. ("documents.document", "42")."""
    return AuditEvent.objects.filter(target_type=target_type, target_id=str(target_id)).order_by("id")


def audit_trail_verify(*, batch_size: int = 5000) -> ChainVerification:
    """The chain (audit_chain_verify), then the table against the newest signed checkpoint: a tail
    cut off, a lower head, an emptied table or a rewritten head event are tampering too."""
    from backend.audit.checkpoints import checkpoints_read
    from storage.errors import StoreError

    chain = audit_chain_verify(batch_size=batch_size)
    if not chain.ok:
        return chain
    try:
        anchors = checkpoints_read()
    except StoreError as exc:
        return ChainVerification(False, chain.checked, None, f"the checkpoints cannot be read ({exc}); the chain "
                                 "itself is intact, but a cut-off tail cannot be ruled out", chain.last_id,
                                 chain.last_hash)
    if anchors.forged:
        return ChainVerification(False, chain.checked, None, "a checkpoint's signature does not verify (forged, or "
                                 f"signed with another key): {', '.join(anchors.forged[:5])}", chain.last_id,
                                 chain.last_hash)
    newest = anchors.newest
    if newest is None:
        return chain
    head = chain.last_id or 0
    if newest.head_id > head:
        if chain.checked == 0:
            reason = (f"the audit trail is empty, but the checkpoint of {newest.written_at} counted "
                      f"{newest.count} events up to #{newest.head_id}: it was emptied")
        else:
            reason = (f"events #{head + 1} to #{newest.head_id} are missing: the checkpoint of "
                      f"{newest.written_at} saw the chain up to #{newest.head_id}; its tail was cut off")
        return ChainVerification(False, chain.checked, head + 1, reason, chain.last_id, chain.last_hash)
    anchored = AuditEvent.objects.filter(id=newest.head_id).values_list("hash", flat=True).first()
    if anchored != newest.head_hash:
        return ChainVerification(False, chain.checked, newest.head_id,
                                 f"event #{newest.head_id} is not the one the checkpoint of {newest.written_at} "
                                 "signed: the chain was rewritten", chain.last_id, chain.last_hash)
    if chain.checked < newest.count:
        return ChainVerification(False, chain.checked, None,
                                 f"{chain.checked} events, fewer than the {newest.count} the checkpoint of "
                                 f"{newest.written_at} counted", chain.last_id, chain.last_hash)
    return ChainVerification(True, chain.checked, None,
                             f"chain intact; it matches the checkpoint of {newest.written_at} (#{newest.head_id})",
                             chain.last_id, chain.last_hash)
