"""audit_chain_verify() finds tampering; audit_events_for_target() lists an object's events."""

from __future__ import annotations

import pytest

from backend.audit.events import DOCUMENT_UPDATED, DOCUMENT_VIEWED
from backend.audit.models import compute_hash
from backend.audit.selectors import audit_chain_verify, audit_events_for_target
from backend.audit.services import record

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain(actor):
    """Five events about two documents: ids e[0].id .. e[4].id."""
    return [
        record(
            DOCUMENT_VIEWED,
            actor=actor,
            target_type="documents.document",
            target_id=str(1 + n % 2),
            detail={"n": n},
        )
        for n in range(5)
    ]


def test_an_untouched_chain_verifies(chain):
    # given five recorded events
    # when the chain is verified
    result = audit_chain_verify()
    # then it is intact and ends at the last event
    assert (result.ok, result.checked, result.first_bad_id, result.reason) == (True, 5, None, "chain intact")
    assert (result.last_id, result.last_hash) == (chain[-1].id, chain[-1].hash)


def test_an_empty_trail_verifies(db):
    # given no events
    # when the chain is verified
    result = audit_chain_verify()
    # then there is nothing wrong with it
    assert (result.ok, result.checked, result.first_bad_id) == (True, 0, None)


@pytest.mark.parametrize("batch_size", [1, 2, 3, 5000])
def test_an_edited_event_is_named(chain, tamper, batch_size):
    # given someone rewrote the actor of the third event in the database
    tamper("UPDATE {table} SET actor_label = 'mallory' WHERE id = %s", (chain[2].id,))

    # when the chain is verified, in batches of any size
    result = audit_chain_verify(batch_size=batch_size)

    # then the third event is the first bad one, because its contents no longer match its hash
    assert (result.ok, result.first_bad_id, result.checked) == (False, chain[2].id, 3)
    assert "altered" in result.reason


def test_an_edited_and_rehashed_event_breaks_the_next_link(chain, tamper):
    # given someone rewrote the third event and also gave it a matching new hash
    values = {**chain[2].hashed_values(), "actor_label": "mallory"}
    tamper(
        "UPDATE {table} SET actor_label = 'mallory', hash = %s WHERE id = %s",
        (compute_hash(values), chain[2].id),
    )

    # when the chain is verified
    result = audit_chain_verify()

    # then the fourth event no longer links to it
    assert (result.ok, result.first_bad_id) == (False, chain[3].id)
    assert f"event #{chain[2].id}" in result.reason


def test_a_deleted_middle_event_is_found_at_the_next_event(chain, tamper):
    # given someone deleted the third event
    tamper("DELETE FROM {table} WHERE id = %s", (chain[2].id,))

    # when the chain is verified
    result = audit_chain_verify(batch_size=2)

    # then the fourth event is the first bad one: its predecessor is gone
    assert (result.ok, result.first_bad_id) == (False, chain[3].id)
    assert f"does not match the hash of event #{chain[1].id}" in result.reason


def test_a_deleted_first_event_is_found(chain, tamper):
    # given someone deleted the very first event
    tamper("DELETE FROM {table} WHERE id = %s", (chain[0].id,))

    # when the chain is verified
    result = audit_chain_verify()

    # then the new first event does not start the chain
    assert (result.ok, result.first_bad_id, result.checked) == (False, chain[1].id, 1)
    assert "does not start the chain" in result.reason


def test_a_swapped_pair_is_found_at_the_first_of_the_two(chain, tamper):
    # given someone swapped the second and third events' places
    second, third = chain[1].id, chain[2].id
    tamper("UPDATE {table} SET id = -1 WHERE id = %s", (second,))
    tamper("UPDATE {table} SET id = %s WHERE id = %s", (second, third))
    tamper("UPDATE {table} SET id = %s WHERE id = -1", (third,))

    # when the chain is verified
    result = audit_chain_verify()

    # then the event now in the second place is the first bad one
    assert (result.ok, result.first_bad_id) == (False, second)


def test_an_event_moved_to_another_id_fails_its_own_hash(chain, tamper):
    # given someone moved the last event to a later id (as a re-insert would)
    tamper("UPDATE {table} SET id = %s WHERE id = %s", (chain[4].id + 10, chain[4].id))

    # when the chain is verified
    result = audit_chain_verify()

    # then it links but no longer hashes
    assert (result.ok, result.first_bad_id) == (False, chain[4].id + 10)
    assert "altered" in result.reason


def test_events_for_a_target_are_listed_oldest_first(chain, actor):
    # given events about documents 1 and 2, and an update of document 2
    update = record(DOCUMENT_UPDATED, actor=actor, target_type="documents.document", target_id="2")

    # when the events for document 2 are listed
    events = list(audit_events_for_target(target_type="documents.document", target_id="2"))

    # then exactly its events come back in order
    assert events == [chain[1], chain[3], update]
