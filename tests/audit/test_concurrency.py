"""Many writers at once still build one chain."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from backend.audit.events import DOCUMENT_VIEWED
from backend.audit.models import AuditEvent
from backend.audit.selectors import audit_chain_verify
from backend.audit.services import record

WRITERS = 20
EVENTS_EACH = 10


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_writers_build_one_gapless_chain(audit_truncate_allowed):
    assert connection.vendor == "postgresql"  # the suite's database (SQLite locks tables instead of waiting)
    # given twenty threads released at the same moment, each with its own connection
    start = threading.Barrier(WRITERS)
    failures: list[BaseException] = []

    def writer(number: int) -> None:
        try:
            start.wait(timeout=30)
            for n in range(EVENTS_EACH):
                if n % 2:
                    # inside a caller's transaction that does more work after recording
                    with transaction.atomic():
                        record(DOCUMENT_VIEWED, actor=None, detail={"writer": number, "n": n})
                        AuditEvent.objects.filter(event_type=DOCUMENT_VIEWED).exists()
                else:
                    # on its own, in autocommit mode
                    record(DOCUMENT_VIEWED, actor=None, detail={"writer": number, "n": n})
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(number,)) for number in range(WRITERS)]

    # when they all record events at once
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    # then every event was written, ids have no gaps, time never runs backwards and the chain holds
    assert not failures, failures
    rows = list(AuditEvent.objects.order_by("id").values_list("id", "occurred_at", "detail"))
    assert len(rows) == WRITERS * EVENTS_EACH
    assert [row[0] for row in rows] == list(range(rows[0][0], rows[0][0] + len(rows)))
    assert [row[1] for row in rows] == sorted(row[1] for row in rows)
    assert {(row[2]["writer"], row[2]["n"]) for row in rows} == {
        (w, n) for w in range(WRITERS) for n in range(EVENTS_EACH)
    }
    result = audit_chain_verify(batch_size=37)
    assert (result.ok, result.checked) == (True, WRITERS * EVENTS_EACH), result.reason
